package importer

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strconv"

	"github.com/vintry/vintry"
)

// Files are the CSV files an import leaves for people to download.
type Files struct {
	Staging, Output, Errors []byte
}

var numberPattern = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// SafeCell neutralises a cell that a spreadsheet would run as a formula: a
// value starting with =, +, -, @, tab or carriage return that is not a
// number gets a leading apostrophe.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		// Only these cells can be formulas; the number check is the costly part.
		if !numberPattern.MatchString(s) {
			return "'" + s
		}
	}
	return s
}

// ResultFiles builds the staging, output and errors files of a plan.
func ResultFiles(p *Plan) (Files, error) {
	header := append([]string{"line"}, vintry.ColumnNames[:]...)
	staging := newSheet(header)
	output := newSheet(append(append([]string{}, header...), "result", "message"))
	errs := newSheet([]string{"line", "field", "value", "message", "hint"})
	// Size the buffers once (a guess that is exact unless cells need quotes):
	// a large file's buffers grown by doubling held up to twice their size,
	// and the old and the new array at each step.
	size, extra := 0, 0
	for i := range p.Rows {
		r := &p.Rows[i]
		size += 8 + len(r.Values) // line number, separators, newline
		for _, v := range r.Values {
			size += len(v)
		}
		extra += len(r.Result) + len(r.Message) + 3
	}
	staging.buf.Grow(size)
	output.buf.Grow(size + extra)
	cells := make([]string, 0, len(header)+2)
	for _, r := range p.Rows {
		cells = cells[:0]
		cells = append(cells, strconv.Itoa(r.Line))
		cells = append(cells, r.Values[:]...)
		staging.row(cells)
		output.row(append(cells, string(r.Result), r.Message))
	}
	for _, e := range p.Errors {
		errs.row([]string{strconv.Itoa(e.Row), e.Field, e.Value, e.Message, e.Hint})
	}
	var f Files
	var err error
	if f.Staging, err = staging.bytes(); err != nil {
		return f, err
	}
	if f.Output, err = output.bytes(); err != nil {
		return f, err
	}
	f.Errors, err = errs.bytes()
	return f, err
}

// InputCSV renders JSON payload rows as the input file of a JSON import: the
// six columns, values as received.
func InputCSV(rows []vintry.ImportRow) ([]byte, error) {
	s := newSheet(vintry.ColumnNames[:])
	for _, r := range rows {
		s.row(r.Values[:])
	}
	return s.bytes()
}

// sheet writes a CSV file whose cells are made safe for spreadsheets.
type sheet struct {
	buf  bytes.Buffer
	w    *csv.Writer
	safe []string // the row being written, reused
}

func newSheet(header []string) *sheet {
	s := &sheet{}
	s.w = csv.NewWriter(&s.buf)
	s.w.Write(header)
	return s
}

func (s *sheet) row(cells []string) {
	s.safe = s.safe[:0]
	for _, c := range cells {
		s.safe = append(s.safe, SafeCell(c))
	}
	s.w.Write(s.safe)
}

func (s *sheet) bytes() ([]byte, error) {
	s.w.Flush()
	return s.buf.Bytes(), s.w.Error()
}
