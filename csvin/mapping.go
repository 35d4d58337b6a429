package csvin

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vintry/vintry"
)

// Columns are the six import column names in canonical order. Every one of
// them is required.
var Columns = [6]string{"item_name", "bin_name", "lot_name", "date_filled", "quantity", "uom"}

// columnList is Columns as a sentence fragment for messages.
const columnList = "item_name, bin_name, lot_name, date_filled, quantity, uom"

const mappingsShape = "The field_mappings must be a JSON object of CSV header to column name."

// FieldMappings is a parsed field_mappings object: CSV header → target column
// name, in the order given. A nil FieldMappings means field_mappings was not
// sent; an empty one means it was sent as {}.
type FieldMappings []FieldMapping

// FieldMapping maps the CSV header Header to the column Target. An empty
// Target means "ignore this header".
type FieldMapping struct{ Header, Target string }

// ParseFieldMappings parses the field_mappings form value: a JSON object of
// string to string (or null, meaning "ignore this header", like ""). Header
// keys and targets are trimmed of surrounding whitespace. It never returns a
// nil FieldMappings without an error.
//
// Input that is not JSON, not one object, or has a value that is neither a
// string nor null returns a *vintry.Error EINVALID "The field_mappings must
// be a JSON object of CSV header to column name." with Fields
// {"field_mappings": [...]}. A header key given twice (after trimming)
// returns EINVALID "Header 'X' appears more than once in field_mappings"
// with Fields {"field_mappings.X": [...]}. Targets are not checked here;
// ResolveMapping checks them against the file.
func ParseFieldMappings(raw string) (FieldMappings, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, vintry.FieldError("field_mappings", mappingsShape)
	}
	mappings := FieldMappings{}
	for dec.More() {
		m, err := nextFieldMapping(dec)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(mappings, func(o FieldMapping) bool { return o.Header == m.Header }) {
			msg := fmt.Sprintf("Header '%s' appears more than once in field_mappings", m.Header)
			return nil, vintry.FieldError("field_mappings."+m.Header, msg)
		}
		mappings = append(mappings, m)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, vintry.FieldError("field_mappings", mappingsShape)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, vintry.FieldError("field_mappings", mappingsShape)
	}
	return mappings, nil
}

// nextFieldMapping reads one key/value pair of the field_mappings object.
func nextFieldMapping(dec *json.Decoder) (FieldMapping, error) {
	key, err := dec.Token()
	header, ok := key.(string)
	if err != nil || !ok {
		return FieldMapping{}, vintry.FieldError("field_mappings", mappingsShape)
	}
	header = strings.TrimSpace(header)
	val, err := dec.Token()
	if err != nil {
		return FieldMapping{}, vintry.FieldError("field_mappings", mappingsShape)
	}
	switch v := val.(type) {
	case nil:
		return FieldMapping{Header: header}, nil
	case string:
		return FieldMapping{Header: header, Target: strings.TrimSpace(v)}, nil
	}
	return FieldMapping{}, &vintry.Error{
		Code:    vintry.EINVALID,
		Message: mappingsShape,
		Fields: map[string][]string{"field_mappings": {
			fmt.Sprintf("%s The value for '%s' must be a string or null.", mappingsShape, header),
		}},
	}
}

// Mapping tells, for each of the six Columns, which field of a record holds
// it. Build one with ResolveMapping; the zero Mapping maps nothing, so its
// Values are all "".
type Mapping struct {
	pos [len(Columns)]int    // 1-based field index per column; 0 = unmapped
	src [len(Columns)]string // the header each column comes from
}

// Values returns the six values of rec in Columns order, each trimmed of
// surrounding whitespace. A field rec lacks (a ragged row) yields "".
func (m Mapping) Values(rec Record) [6]string {
	var out [6]string
	for i, p := range m.pos {
		if p > 0 && p <= len(rec.Fields) {
			out[i] = strings.TrimSpace(rec.Fields[p-1])
		}
	}
	return out
}

// set maps column col to the field at index idx, named header.
func (m *Mapping) set(col, idx int, header string) {
	m.pos[col] = idx + 1
	m.src[col] = header
}

// columnIndex returns the index of name in Columns, or -1.
func columnIndex(name string) int {
	return slices.Index(Columns[:], name)
}

// Check runs the checks of a mapping that need no file: every non-empty
// target is one of Columns ("Invalid mapping target 'X'", Fields key
// field_mappings.<Header>) and no column is targeted twice ("Column 'T' is
// mapped more than once (from 'A' and 'B')"), with ResolveMapping's
// messages. An empty FieldMappings is "The field_mappings must map at least
// one CSV header."; an empty header key is "A CSV header in field_mappings
// is empty.". It is how a saved mapping profile is checked.
func (fms FieldMappings) Check() error {
	if len(fms) == 0 {
		return vintry.FieldError("field_mappings", "The field_mappings must map at least one CSV header.")
	}
	var p vintry.FieldErrors
	for _, fm := range fms {
		if fm.Header == "" {
			p.Add("field_mappings.", "A CSV header in field_mappings is empty.")
		}
	}
	checkTargets(&p, fms)
	var from [len(Columns)]string
	for _, fm := range fms {
		col := columnIndex(fm.Target)
		if col < 0 {
			continue
		}
		if from[col] != "" {
			msg := fmt.Sprintf("Column '%s' is mapped more than once (from '%s' and '%s')", fm.Target, from[col], fm.Header)
			p.Add("field_mappings."+fm.Header, msg)
			continue
		}
		from[col] = fm.Header
	}
	return p.Err()
}

// JSON returns the mapping as the JSON object field_mappings takes, in
// order, with "" for an ignored header.
func (fms FieldMappings) JSON() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, fm := range fms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(fm.Header)
		v, _ := json.Marshal(fm.Target)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}
