package csvin_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/vintry/vintry/csvin"
)

func TestDetectEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want csvin.Encoding
	}{
		{"empty", "", csvin.UTF8},
		{"ASCII", "a,b\n1,2\n", csvin.UTF8},
		{"one byte", "a", csvin.UTF8},
		{"UTF-8 BOM", "\xEF\xBB\xBFa,b\r\n", csvin.UTF8},
		{"multi-byte runes", "é€😀中\uFFFD", csvin.UTF8},
		{"UTF-16LE BOM", "\xFF\xFEa\x00", csvin.UTF16LE},
		{"UTF-16BE BOM", "\xFE\xFF\x00a", csvin.UTF16BE},
		{"UTF-16LE BOM alone", "\xFF\xFE", csvin.UTF16LE},
		{"Windows-1252 é", "Ros\xE9 2022\n", csvin.Windows1252},
		{"lone continuation byte", "a\x80b", csvin.Windows1252},
		{"truncated rune at the end", "ab\xE2\x82", csvin.Windows1252},
		{"truncated rune in the middle", "a\xE2\x82b", csvin.Windows1252},
		{"surrogate", "a\xED\xA0\x80", csvin.Windows1252},
		{"overlong", "\xC0\xAF", csvin.Windows1252},
		{"0xFF", "a\xFF", csvin.Windows1252},
		{"lone 0xFF", "\xFF", csvin.Windows1252},
		{"valid then invalid late", string(bytes.Repeat([]byte("é"), 40000)) + "\xE9", csvin.Windows1252},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			readers := map[string]io.Reader{
				"whole":    bytes.NewReader([]byte(tt.in)),
				"one byte": iotest.OneByteReader(bytes.NewReader([]byte(tt.in))),
				"half":     iotest.HalfReader(bytes.NewReader([]byte(tt.in))),
			}
			for size := 2; size <= 5; size++ {
				got, err := csvin.DetectEncoding(&chunkReader{data: []byte(tt.in), size: size})
				if err != nil || got != tt.want {
					t.Errorf("chunks of %d: got %q, %v; want %q", size, got, err, tt.want)
				}
			}
			for name, r := range readers {
				got, err := csvin.DetectEncoding(r)
				if err != nil || got != tt.want {
					t.Errorf("%s: got %q, %v; want %q", name, got, err, tt.want)
				}
			}
		})
	}
}

// chunkReader returns data in reads of at most size bytes.
type chunkReader struct {
	data []byte
	size int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.size)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestDetectEncodingSplitRunes moves a multi-byte rune across every offset of
// a read boundary.
func TestDetectEncodingSplitRunes(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"é", "€", "😀"} {
		for pad := range 40 {
			in := append(bytes.Repeat([]byte{'x'}, pad), []byte(r+r+"\n")...)
			for size := 1; size <= 8; size++ {
				got, err := csvin.DetectEncoding(&chunkReader{data: in, size: size})
				if err != nil || got != csvin.UTF8 {
					t.Fatalf("%q pad %d chunk %d: got %q, %v; want utf-8", r, pad, size, got, err)
				}
			}
		}
	}
}

// TestDetectEncodingReadsToEnd checks that the whole input is consumed, even
// when the answer is known early, and that memory stays constant. It is not
// parallel: MemStats counts every goroutine's allocations.
func TestDetectEncodingReadsToEnd(t *testing.T) {
	for _, in := range [][]byte{[]byte("\xFF\xFEa\x00b\x00"), []byte("\xE9 then more"), []byte("all valid é")} {
		r := bytes.NewReader(in)
		if _, err := csvin.DetectEncoding(r); err != nil {
			t.Fatal(err)
		}
		if r.Len() != 0 {
			t.Errorf("%q: %d bytes left unread", in, r.Len())
		}
	}
	size := int64(200 << 20)
	if testing.Short() {
		size = 20 << 20
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := csvin.DetectEncoding(io.LimitReader(repeatReader("Rosé 2022,€ 12,😀\r\n"), size))
	runtime.ReadMemStats(&after)
	if err != nil || got != csvin.UTF8 {
		t.Fatalf("%d bytes: got %q, %v; want utf-8", size, got, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("%d bytes: allocated %d bytes; want constant memory", size, alloc)
	}
}

// repeatReader reads its string over and over, cut at arbitrary points.
type repeatReader string

func (s repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], s)
	}
	return n, nil
}

func TestDetectEncodingReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, prefix := range []string{"", "a", "ab", "\xFF\xFE", "\xE9"} {
		r := io.MultiReader(bytes.NewReader([]byte(prefix)), iotest.ErrReader(boom))
		if _, err := csvin.DetectEncoding(r); !errors.Is(err, boom) {
			t.Errorf("%q: err = %v; want the read error", prefix, err)
		}
	}
}

func TestLooksLikeText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want bool
	}{
		{"empty", nil, true},
		{"CSV", []byte("a,b\r\n1,2\n\t\f"), true},
		{"UTF-8 BOM", []byte("\xEF\xBB\xBFa,b"), true},
		{"Windows-1252", []byte("Ros\xE9;\x80\x93\n"), true},
		{"a few controls", []byte("a\x1b,b,c,d,e,f,g,h,i,j"), true},
		{"NUL byte", []byte("a,b\x00"), false},
		{"PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), false},
		{"ZIP", []byte("PK\x03\x04\x14\x00\x06\x00"), false},
		{"mostly controls", []byte("\x01\x02\x03\x04abc"), false},
		{"DEL", []byte("\x7f\x7fab"), false},
		{"UTF-16LE text", utf16File("a,b\r\n1,2\r\n", true), true},
		{"UTF-16BE text", utf16File("a,b\r\n1,2\r\n", false), true},
		{"UTF-16LE cut mid unit", utf16File("a,b", true)[:5], true},
		{"UTF-16LE with a NUL unit", append(utf16File("a,b", true), 0, 0), false},
		{"UTF-16LE controls", utf16File("\x01\x02\x03a", true), false},
	}
	for _, tt := range tests {
		if got := csvin.LooksLikeText(tt.in); got != tt.want {
			t.Errorf("%s: LooksLikeText(%q) = %v; want %v", tt.name, tt.in, got, tt.want)
		}
	}
}
