package csvin

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/vintry/vintry"
)

// Upload is an import file read into rows.
type Upload struct {
	Encoding  Encoding
	Delimiter rune
	Mapping   Mapping
	Rows      []vintry.ImportRow
	// Count is the number of data rows (len(Rows) when they were read).
	Count int
	// Log holds notes for the job log (encoding, delimiter, mapping).
	Log []string
}

// ReadUpload reads a whole import file: encoding, header, mapping and every
// data row, with physical line numbers. More than maxRows data rows, a
// header that does not map, or a syntax error is an EINVALID error.
func ReadUpload(data []byte, exact bool, mappings FieldMappings, maxRows int) (*Upload, error) {
	return readUpload(data, exact, mappings, maxRows, true)
}

// CheckUpload makes the checks of ReadUpload (encoding, header, mapping,
// syntax, row count) without keeping the rows: Upload.Rows stays nil and
// Upload.Count holds the number of data rows.
func CheckUpload(data []byte, exact bool, mappings FieldMappings, maxRows int) (*Upload, error) {
	return readUpload(data, exact, mappings, maxRows, false)
}

func readUpload(data []byte, exact bool, mappings FieldMappings, maxRows int, keep bool) (*Upload, error) {
	enc, err := DetectEncoding(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	r, err := NewReader(bytes.NewReader(data), enc)
	if err != nil {
		return nil, err
	}
	m, err := ResolveMapping(r.Header(), exact, mappings)
	if err != nil {
		return nil, err
	}
	u := &Upload{Encoding: enc, Delimiter: r.Delimiter(), Mapping: m}
	u.Log = append(u.Log, fmt.Sprintf("Read as %s with delimiter %q.", enc, r.Delimiter()))
	if enc == Windows1252 {
		u.Log = append(u.Log, "The file is not valid UTF-8, so it was read as Windows-1252.")
	}
	if keep {
		// A data row takes at least one line, so the line count bounds the
		// rows: one allocation instead of a slice grown (and copied) step by
		// step, which for a large file allocated several times its size.
		u.Rows = make([]vintry.ImportRow, 0, max(0, min(bytes.Count(data, []byte{'\n'})+1, maxRows)))
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		if u.Count == maxRows {
			return nil, vintry.FieldError("file", fmt.Sprintf("Maximum %d records per request", maxRows))
		}
		u.Count++
		if keep {
			u.Rows = append(u.Rows, vintry.ImportRow{Line: rec.Line, Values: m.Values(rec)})
		}
	}
	if u.Count == 0 {
		return nil, vintry.FieldError("file", "The file has no data rows.")
	}
	return u, nil
}
