package csvin

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vintry/vintry"
)

// sniffSize is how much decoded input NewReader looks at to find the header
// line's delimiter. Header lines are far shorter; a longer one is judged by
// its start, and a header after more than this much blank space gets ','.
const sniffSize = 4 << 10

// Record is one data record of a CSV file.
type Record struct {
	// Line is the physical line of the file on which the record starts
	// (the header is line 1 when it is the first line).
	Line int
	// Fields are the record's fields, untrimmed, as many as the line holds.
	Fields []string
}

// Reader reads the header and the data records of a CSV stream.
type Reader struct {
	csv        *csv.Reader
	header     []string
	headerLine int
	delim      rune
}

// NewReader decodes r from enc (stripping a byte order mark), sniffs the
// delimiter and reads the header row. Bytes that are invalid in enc become
// U+FFFD, so every header name and field is valid UTF-8. A UTF-8 byte order
// mark is also stripped when enc is Windows1252 (the file was UTF-8 with a
// BOM but had invalid bytes later).
//
// The delimiter is found on the first line that holds anything but
// whitespace and delimiters: when it has no comma outside quotes but has ';'
// or tab, the more frequent of those two is the delimiter (';' on a tie);
// otherwise it is ','. Blank lines and records whose fields are all empty or
// whitespace are skipped before the header. Header names are trimmed of
// surrounding whitespace.
//
// CRLF, LF and a bare CR each end a line. A header of more than MaxColumns
// fields returns a *vintry.Error EINVALID "The header has N columns; at most
// 1000 are allowed.", counted without holding them.
//
// An input with no header row returns a *vintry.Error EINVALID "The file has
// no header row."; a CSV syntax error in the header returns EINVALID naming
// the line (see Next); a read error from r is returned wrapped.
func NewReader(r io.Reader, enc Encoding) (*Reader, error) {
	dec, err := decode(r, enc)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(&crReader{r: dec}, sniffSize)
	delim, err := sniffDelimiter(br)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(newWidthLimit(br, delim))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	rd := &Reader{csv: cr, delim: delim}
	rec, err := rd.Next()
	if err == io.EOF {
		return nil, vintry.FieldError("file", "The file has no header row.")
	} else if err != nil {
		return nil, err
	}
	rd.headerLine = rec.Line
	rd.header = make([]string, len(rec.Fields))
	for i, name := range rec.Fields {
		rd.header[i] = strings.TrimSpace(name)
	}
	return rd, nil
}

// Header returns the trimmed header names, one per header field, in file
// order. Unnamed columns are "". The caller must not modify the slice.
func (r *Reader) Header() []string { return r.header }

// Delimiter returns the field delimiter: ',', ';' or '\t'.
func (r *Reader) Delimiter() rune { return r.delim }

// Next returns the next data record, or io.EOF after the last one. It skips
// blank lines and records whose fields are all empty or whitespace (such as
// ",,,,,"). Record.Line is the physical line the record starts on: a quoted
// field holding newlines spans several lines, and CRLF, LF and a bare CR
// each end one line. Ragged records are returned as they are, with fewer or
// more fields than the header, up to MaxColumns; a record with more fields
// is an EINVALID error "Line N has M fields; at most 1000 are allowed.". Record.Fields is reused by the following call, so the
// caller must copy what it keeps.
//
// A CSV syntax error (an unterminated quoted field, a bare or extraneous
// quote) returns a *vintry.Error EINVALID whose message names the line, such
// as `Line 7: extraneous or missing " in quoted field`. A read error is
// returned wrapped. After an error the Reader must not be used.
func (r *Reader) Next() (Record, error) {
	for {
		fields, err := r.csv.Read()
		if err != nil {
			return Record{}, readError(err)
		}
		if blank(fields) {
			continue
		}
		line, _ := r.csv.FieldPos(0)
		return Record{Line: line, Fields: fields}, nil
	}
}

// blank reports whether every field is empty or whitespace.
func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// readError turns an error of csv.Reader.Read into Next's error.
func readError(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	var verr *vintry.Error
	if errors.As(err, &verr) {
		return verr // a record over MaxColumns fields
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("csvin: read: %w", err)
	}
	msg := fmt.Sprintf("Line %d: %s", pe.StartLine, syntaxProblem(pe.Err))
	if pe.Line != pe.StartLine {
		// An unterminated quote is only detected at the end of the file;
		// the line the record starts on is where to look.
		msg += fmt.Sprintf(" (detected on line %d)", pe.Line)
	}
	return vintry.FieldError("file", msg)
}

// syntaxProblem describes a csv.ParseError's cause in client-safe words.
func syntaxProblem(err error) string {
	switch {
	case errors.Is(err, csv.ErrQuote):
		return `extraneous or missing " in quoted field`
	case errors.Is(err, csv.ErrBareQuote):
		return `bare " in non-quoted field`
	}
	return "malformed CSV"
}

// sniffDelimiter peeks at the start of br, without consuming it, and returns
// the delimiter of the first line with content.
func sniffDelimiter(br *bufio.Reader) (rune, error) {
	peek, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF {
		return 0, fmt.Errorf("csvin: read: %w", err)
	}
	for len(peek) > 0 {
		var line []byte
		line, peek, _ = bytes.Cut(peek, []byte{'\n'})
		if hasContent(line) {
			return lineDelimiter(line), nil
		}
	}
	return ',', nil
}

// hasContent reports whether line holds anything but whitespace and
// delimiters, that is whether it is not a blank record.
func hasContent(line []byte) bool {
	for _, b := range line {
		switch b {
		case ' ', '\t', '\r', ',', ';':
		default:
			return true
		}
	}
	return false
}

// lineDelimiter applies the delimiter rule to one line, counting only the
// delimiters outside quoted fields.
func lineDelimiter(line []byte) rune {
	quoted := false
	var commas, semicolons, tabs int
	for _, b := range line {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == ',':
			commas++
		case b == ';':
			semicolons++
		case b == '\t':
			tabs++
		}
	}
	switch {
	case commas > 0 || semicolons+tabs == 0:
		return ','
	case semicolons >= tabs:
		return ';'
	}
	return '\t'
}
