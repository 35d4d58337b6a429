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
	// Log holds notes for the job log (encoding, delimiter, mapping).
	Log []string
}

// ReadUpload reads a whole import file: encoding, header, mapping and every
// data row, with physical line numbers. More than maxRows data rows, a
// header that does not map, or a syntax error is an EINVALID error.
func ReadUpload(data []byte, exact bool, mappings FieldMappings, maxRows int) (*Upload, error) {
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
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		if len(u.Rows) == maxRows {
			return nil, vintry.FieldError("file", fmt.Sprintf("Maximum %d records per request", maxRows))
		}
		u.Rows = append(u.Rows, vintry.ImportRow{Line: rec.Line, Values: m.Values(rec)})
	}
	if len(u.Rows) == 0 {
		return nil, vintry.FieldError("file", "The file has no data rows.")
	}
	return u, nil
}
