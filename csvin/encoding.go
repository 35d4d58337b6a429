// Package csvin reads uploaded inventory CSV files: it detects the text
// encoding, strips a byte order mark, sniffs the delimiter, reads RFC 4180
// records with the physical line number each starts on, and maps the header
// to the six import columns. It knows nothing of HTTP or SQL.
package csvin

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names the text encoding of an uploaded file.
type Encoding string

// The encodings an uploaded file can be read in.
const (
	UTF8        Encoding = "utf-8"
	UTF16LE     Encoding = "utf-16le" // detected only with a byte order mark
	UTF16BE     Encoding = "utf-16be" // detected only with a byte order mark
	Windows1252 Encoding = "windows-1252"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// DetectEncoding reads r to the end, in fixed-size chunks so memory stays
// constant whatever the input size, and returns UTF16LE or UTF16BE when the
// input starts with that byte order mark, UTF8 when the whole input is valid
// UTF-8 (with or without a UTF-8 byte order mark; an empty input is UTF8),
// and Windows1252 otherwise. A read error is returned wrapped.
func DetectEncoding(r io.Reader) (Encoding, error) {
	var head [2]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return "", fmt.Errorf("csvin: detect encoding: %w", err)
	}
	if enc, ok := utf16BOM(head[:n]); ok {
		// Drain anyway: the caller may be teeing r into storage.
		if _, err := io.Copy(io.Discard, r); err != nil {
			return "", fmt.Errorf("csvin: detect encoding: %w", err)
		}
		return enc, nil
	}
	v := &utf8Validator{}
	_, _ = v.Write(head[:n])
	if _, err := io.Copy(v, r); err != nil {
		return "", fmt.Errorf("csvin: detect encoding: %w", err)
	}
	if v.valid() {
		return UTF8, nil
	}
	return Windows1252, nil
}

// utf16BOM reports the UTF-16 encoding whose byte order mark starts p.
func utf16BOM(p []byte) (Encoding, bool) {
	switch {
	case len(p) >= 2 && p[0] == 0xFF && p[1] == 0xFE:
		return UTF16LE, true
	case len(p) >= 2 && p[0] == 0xFE && p[1] == 0xFF:
		return UTF16BE, true
	}
	return "", false
}

// utf8Validator is an io.Writer that checks that everything written to it,
// in chunks of any size, is valid UTF-8. A rune split across two writes is
// carried over to the next write.
type utf8Validator struct {
	invalid bool
	carry   [utf8.UTFMax]byte
	n       int // bytes of an incomplete rune held in carry
}

// Write never fails; it always consumes all of p.
func (v *utf8Validator) Write(p []byte) (int, error) {
	size := len(p)
	if v.invalid {
		return size, nil
	}
	p = v.completeCarry(p)
	if v.invalid || v.n > 0 {
		return size, nil
	}
	tail := incompleteTail(p)
	if !utf8.Valid(p[:len(p)-tail]) {
		v.invalid = true
		return size, nil
	}
	v.n = copy(v.carry[:], p[len(p)-tail:])
	return size, nil
}

// completeCarry moves bytes from p into the carried rune until it is complete
// (or p runs out), checks it, and returns the rest of p.
func (v *utf8Validator) completeCarry(p []byte) []byte {
	for v.n > 0 && len(p) > 0 && !utf8.FullRune(v.carry[:v.n]) {
		v.carry[v.n] = p[0]
		v.n++
		p = p[1:]
	}
	if v.n == 0 || !utf8.FullRune(v.carry[:v.n]) {
		return p
	}
	if r, size := utf8.DecodeRune(v.carry[:v.n]); r == utf8.RuneError && size == 1 {
		v.invalid = true
	}
	v.n = 0
	return p
}

// valid reports whether everything written was valid UTF-8, with no rune
// left incomplete at the end.
func (v *utf8Validator) valid() bool { return !v.invalid && v.n == 0 }

// incompleteTail returns the length of an incomplete rune at the end of p:
// the bytes from the last rune start within the final UTFMax-1 bytes, when
// they do not yet form a full rune.
func incompleteTail(p []byte) int {
	for i := len(p) - 1; i >= 0 && i > len(p)-utf8.UTFMax; i-- {
		if !utf8.RuneStart(p[i]) {
			continue
		}
		if utf8.FullRune(p[i:]) {
			return 0
		}
		return len(p) - i
	}
	return 0
}

// LooksLikeText reports whether a file prefix (the first few KB) looks like
// text rather than binary. It is false when the prefix contains a NUL byte
// (a NUL code unit when it starts with a UTF-16 byte order mark, where NUL
// bytes are normal) or when more than a tenth of its characters are control
// characters other than tab, LF, CR and form feed. An empty prefix is text.
// A character cut off at the end of the prefix does not count against it.
func LooksLikeText(prefix []byte) bool {
	if enc, ok := utf16BOM(prefix); ok {
		return utf16LooksLikeText(prefix[2:], enc == UTF16LE)
	}
	if bytes.IndexByte(prefix, 0) >= 0 {
		return false
	}
	controls := 0
	for _, b := range prefix {
		if isControl(rune(b)) {
			controls++
		}
	}
	return controls*10 <= len(prefix)
}

// utf16LooksLikeText applies LooksLikeText's rule to UTF-16 code units.
func utf16LooksLikeText(p []byte, littleEndian bool) bool {
	units, controls := 0, 0
	for i := 0; i+1 < len(p); i += 2 {
		u := rune(p[i])<<8 | rune(p[i+1])
		if littleEndian {
			u = rune(p[i+1])<<8 | rune(p[i])
		}
		if u == 0 {
			return false
		}
		units++
		if isControl(u) {
			controls++
		}
	}
	return controls*10 <= units
}

// isControl reports whether c is a C0 control character or DEL, other than
// the whitespace a text file normally holds.
func isControl(c rune) bool {
	switch c {
	case '\t', '\n', '\r', '\f':
		return false
	}
	return c < 0x20 || c == 0x7F
}

// decode returns r decoded from enc into UTF-8, without a byte order mark.
// Invalid input bytes become U+FFFD, so the result is always valid UTF-8.
func decode(r io.Reader, enc Encoding) (io.Reader, error) {
	switch enc {
	case UTF8:
		return transform.NewReader(r, unicode.UTF8BOM.NewDecoder()), nil
	case Windows1252:
		// A file with a UTF-8 BOM but invalid UTF-8 later is still read as
		// Windows-1252; its BOM must not become "ï»¿" in the first header.
		return transform.NewReader(skipUTF8BOM(r), charmap.Windows1252.NewDecoder()), nil
	case UTF16LE:
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()), nil
	case UTF16BE:
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()), nil
	}
	return nil, fmt.Errorf("csvin: unknown encoding %q", enc)
}

// skipUTF8BOM returns r without a leading UTF-8 byte order mark.
func skipUTF8BOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	return br
}
