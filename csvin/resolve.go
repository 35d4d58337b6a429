package csvin

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vintry/vintry"
)

// ResolveMapping decides how header (the file's header names, as returned by
// Reader.Header) maps to the six Columns. Every error is a *vintry.Error
// EINVALID; the rules, checked in this order:
//
//   - Duplicate non-empty header names in the file: "Duplicate header 'X' in
//     the file", Fields key "file" (all duplicates listed). Empty header names
//     are unnamed columns: ignored, never duplicates, never mappable.
//   - exact: the header must contain all six column names exactly
//     (case-sensitive; extra columns are ignored), else "The file header must
//     contain the columns: item_name, bin_name, lot_name, date_filled,
//     quantity, uom (missing: quantity, uom)", Fields key "file". mappings are
//     ignored.
//   - not exact, mappings nil (field_mappings not sent): the header must
//     contain all six names exactly, else Message "Field mappings are
//     required" with Fields {"field_mappings": ["Field mappings are required:
//     the header does not contain the column names (missing: ...)"]}.
//   - not exact, mappings not nil: see resolveMappings.
//
// When mappings were required or refused (not exact), the error's
// Suggestions proposes columns for the headers left unmapped (see Suggest).
func ResolveMapping(header []string, exact bool, mappings FieldMappings) (Mapping, error) {
	if err := checkDuplicateHeaders(header); err != nil {
		return Mapping{}, err
	}
	if !exact && mappings != nil {
		m, err := resolveMappings(header, mappings)
		return m, withSuggestions(err, header, mappings)
	}
	m, missing := exactMapping(header)
	if len(missing) == 0 {
		return m, nil
	}
	list := strings.Join(missing, ", ")
	if exact {
		msg := fmt.Sprintf("The file header must contain the columns: %s (missing: %s)", columnList, list)
		return Mapping{}, vintry.FieldError("file", msg)
	}
	err := &vintry.Error{
		Code:    vintry.EINVALID,
		Message: "Field mappings are required",
		Fields: map[string][]string{"field_mappings": {
			fmt.Sprintf("Field mappings are required: the header does not contain the column names (missing: %s)", list),
		}},
	}
	return Mapping{}, withSuggestions(err, header, nil)
}

// withSuggestions adds to a refused mapping's error a column for each
// header Suggest can place, when there is any.
func withSuggestions(err error, header []string, mappings FieldMappings) error {
	var e *vintry.Error
	if !errors.As(err, &e) {
		return err
	}
	if s := Suggest(header, mappings); len(s) > 0 {
		e.Suggestions = s
	}
	return e
}

// checkDuplicateHeaders rejects a header naming a column twice.
func checkDuplicateHeaders(header []string) error {
	var p vintry.FieldErrors
	count := make(map[string]int, len(header))
	for _, name := range header {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		count[name]++
		if count[name] == 2 {
			p.Add("file", fmt.Sprintf("Duplicate header '%s' in the file", name))
		}
	}
	return p.Err()
}

// exactMapping maps each column from the header field of exactly its name
// and returns the columns the header lacks.
func exactMapping(header []string) (Mapping, []string) {
	var m Mapping
	idx := headerIndex(header)
	var missing []string
	for col, name := range Columns {
		i, ok := idx[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		m.set(col, i, name)
	}
	return m, missing
}

// headerIndex returns the field index of each non-empty header name.
func headerIndex(header []string) map[string]int {
	idx := make(map[string]int, len(header))
	for i, name := range header {
		if name = strings.TrimSpace(name); name != "" {
			idx[name] = i
		}
	}
	return idx
}

// resolveMappings applies field_mappings to the header:
//
//   - each non-empty Target must be one of Columns, else Message "Invalid
//     mapping target 'X'" with Fields {"field_mappings.<Header>": ["Invalid
//     mapping target 'X'. Use only: item_name, ..."]};
//   - each Header with a non-empty Target must be in the file, else "Header
//     'H' in field_mappings is not in the file" (Fields key
//     field_mappings.<H>); a header mapped to "" (ignore) may be absent;
//   - a column targeted from two headers: "Column 'T' is mapped more than
//     once (from 'A' and 'B')" (Fields key field_mappings.<B>);
//   - a column no mapping targets is taken from the header of exactly its
//     name, when the file has one that field_mappings does not mention;
//     otherwise "Required column 'T' is not mapped" (Fields key
//     "field_mappings").
//
// The Message is the first problem in that order; Fields holds them all.
func resolveMappings(header []string, mappings FieldMappings) (Mapping, error) {
	idx := headerIndex(header)
	var p vintry.FieldErrors
	checkTargets(&p, mappings)
	checkSources(&p, mappings, idx)
	m, targeted := mappedColumns(&p, mappings, idx)
	for col, name := range Columns {
		if targeted[col] {
			continue
		}
		i, ok := idx[name]
		if ok && !mentioned(mappings, name) {
			m.set(col, i, name)
			continue
		}
		p.Add("field_mappings", fmt.Sprintf("Required column '%s' is not mapped", name))
	}
	if err := p.Err(); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

// checkTargets records each mapping whose target is not a column.
func checkTargets(p *vintry.FieldErrors, mappings FieldMappings) {
	for _, fm := range mappings {
		if fm.Target == "" || columnIndex(fm.Target) >= 0 {
			continue
		}
		msg := fmt.Sprintf("Invalid mapping target '%s'", fm.Target)
		p.AddDetail("field_mappings."+fm.Header, msg, fmt.Sprintf("%s. Use only: %s", msg, columnList))
	}
}

// checkSources records each used mapping whose header is not in the file.
func checkSources(p *vintry.FieldErrors, mappings FieldMappings, idx map[string]int) {
	for _, fm := range mappings {
		if _, ok := idx[fm.Header]; ok || fm.Target == "" {
			continue
		}
		msg := fmt.Sprintf("Header '%s' in field_mappings is not in the file", fm.Header)
		p.Add("field_mappings."+fm.Header, msg)
	}
}

// mappedColumns maps each column targeted by a valid mapping, records
// columns targeted twice, and reports which columns some mapping targets.
func mappedColumns(p *vintry.FieldErrors, mappings FieldMappings, idx map[string]int) (Mapping, [len(Columns)]bool) {
	var m Mapping
	var targeted [len(Columns)]bool
	var from [len(Columns)]string
	for _, fm := range mappings {
		col := columnIndex(fm.Target)
		if col < 0 {
			continue
		}
		if targeted[col] {
			msg := fmt.Sprintf("Column '%s' is mapped more than once (from '%s' and '%s')", fm.Target, from[col], fm.Header)
			p.Add("field_mappings."+fm.Header, msg)
			continue
		}
		targeted[col], from[col] = true, fm.Header
		if i, ok := idx[fm.Header]; ok {
			m.set(col, i, fm.Header)
		}
	}
	return m, targeted
}

// mentioned reports whether field_mappings has an entry for header.
func mentioned(mappings FieldMappings, header string) bool {
	for _, fm := range mappings {
		if fm.Header == header {
			return true
		}
	}
	return false
}
