package csvin

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vintry/vintry"
)

// Upload is an import file whose encoding, header and mapping were read. Its
// data rows are read by Each, as often as needed, never all at once.
type Upload struct {
	Encoding  Encoding
	Delimiter rune
	Mapping   Mapping
	// Log holds notes for the job log (encoding, delimiter, mapping).
	Log []string

	file    io.ReaderAt
	size    int64
	maxRows int
	columns int // in the header
}

// OpenUpload reads the encoding, header and mapping of an import file of
// size bytes, which it reads from file again for every pass (a file on disk
// need not be in memory). A header that does not map, or a syntax error in
// it, is an EINVALID error; the data rows are checked as Each reads them.
func OpenUpload(file io.ReaderAt, size int64, exact bool, mappings FieldMappings, maxRows int) (*Upload, error) {
	u := &Upload{file: file, size: size, maxRows: maxRows}
	enc, err := DetectEncoding(u.open())
	if err != nil {
		return nil, err
	}
	r, err := NewReader(u.open(), enc)
	if err != nil {
		return nil, err
	}
	m, err := ResolveMapping(r.Header(), exact, mappings)
	if err != nil {
		return nil, err
	}
	u.Encoding, u.Delimiter, u.Mapping = enc, r.Delimiter(), m
	u.columns = len(r.Header())
	u.Log = append(u.Log, fmt.Sprintf("Read as %s with delimiter %q.", enc, r.Delimiter()))
	if enc == Windows1252 {
		u.Log = append(u.Log, "The file is not valid UTF-8, so it was read as Windows-1252.")
	}
	return u, nil
}

// open returns a reader of the whole file, from its start.
func (u *Upload) open() io.Reader {
	return bufio.NewReaderSize(io.NewSectionReader(u.file, 0, u.size), 64<<10)
}

// CheckUpload makes every check of an import file (encoding, header,
// mapping, syntax, row count) without keeping its rows, and returns the
// number of data rows.
func CheckUpload(data []byte, exact bool, mappings FieldMappings, maxRows int) (int, error) {
	u, err := OpenUpload(bytes.NewReader(data), int64(len(data)), exact, mappings, maxRows)
	if err != nil {
		return 0, err
	}
	return u.each(0, nil)
}

// Each reads the data rows from the start, with their physical line numbers,
// and passes them to fn in order, up to chunk rows at a time, in a slice that
// fn must not keep. More than the maximum number of rows, none at all, or a
// syntax error is an EINVALID error (after the rows before it were passed).
func (u *Upload) Each(chunk int, fn func([]vintry.ImportRow) error) error {
	_, err := u.each(max(chunk, 1), fn)
	return err
}

// extraFields returns the problem of a record with more fields than the
// header, or nil: a value that held the delimiter unquoted (a decimal comma
// in 1,25) must not be cut off silently.
func (u *Upload) extraFields(rec Record) *vintry.RowProblem {
	if len(rec.Fields) <= u.columns {
		return nil
	}
	return &vintry.RowProblem{
		Message: fmt.Sprintf("Line %d has %d fields; the header has %d.", rec.Line, len(rec.Fields), u.columns),
		Value:   strings.Join(rec.Fields[u.columns:], string(u.Delimiter)),
		Hint:    fmt.Sprintf("a value holds the delimiter %q: quote it (a decimal comma as \"1,25\") or remove it", u.Delimiter),
	}
}

// each is Each, counting the rows; with fn nil it only counts them.
func (u *Upload) each(chunk int, fn func([]vintry.ImportRow) error) (int, error) {
	r, err := NewReader(u.open(), u.Encoding)
	if err != nil {
		return 0, err
	}
	// Grown by append up to chunk rows: a small file does not pay for a
	// chunk-sized slice (zeroed memory, 1 MB at 10 000 rows) on every pass.
	var rows []vintry.ImportRow
	count := 0
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return count, err
		}
		if count == u.maxRows {
			return count, vintry.FieldError("file", fmt.Sprintf("Maximum %d records per request", u.maxRows))
		}
		count++
		if fn == nil {
			continue
		}
		rows = append(rows, vintry.ImportRow{Line: rec.Line, Values: u.Mapping.Values(rec), Problem: u.extraFields(rec)})
		if len(rows) == chunk {
			if err := fn(rows); err != nil {
				return count, err
			}
			clear(rows)
			rows = rows[:0]
		}
	}
	if count == 0 {
		return 0, vintry.FieldError("file", "The file has no data rows.")
	}
	if len(rows) > 0 {
		if err := fn(rows); err != nil {
			return count, err
		}
	}
	return count, nil
}
