package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/vintry/vintry"
)

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

// WriteStaging writes the staging file of the rows of src: each row's line
// and trimmed values.
func WriteStaging(w io.Writer, src Source) error {
	header := append([]string{"line"}, vintry.ColumnNames[:]...)
	s := NewSheet(w, header)
	cells := make([]string, 0, len(header))
	err := src(func(rows []vintry.ImportRow) error {
		for i := range rows {
			cells = rowCells(cells[:0], &rows[i])
			if err := s.Row(cells); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.Flush()
}

// WriteOutput writes the output file of an import of the rows of src: the
// staging file with each row's result and message (its first error).
func WriteOutput(w io.Writer, src Source, o *Outcome) error {
	header := append([]string{"line"}, vintry.ColumnNames[:]...)
	s := NewSheet(w, append(header, "result", "message"))
	cells := make([]string, 0, len(header)+2)
	i, failed := 0, 0
	err := src(func(rows []vintry.ImportRow) error {
		for j := range rows {
			if i == o.Rows() {
				return errors.New("importer: the source has more rows than the import decided")
			}
			result, msg := o.Result(i), ""
			if result == vintry.ResultFailed {
				msg = o.Errors[o.starts[failed]].Message
				failed++
			}
			cells = append(rowCells(cells[:0], &rows[j]), string(result), msg)
			if err := s.Row(cells); err != nil {
				return err
			}
			i++
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.Flush()
}

// WriteErrors writes the errors file of an import: one line per error.
func WriteErrors(w io.Writer, o *Outcome) error {
	s := NewSheet(w, []string{"line", "field", "value", "message", "hint"})
	for _, e := range o.Errors {
		if err := s.Row([]string{strconv.Itoa(e.Row), e.Field, e.Value, e.Message, e.Hint}); err != nil {
			return err
		}
	}
	return s.Flush()
}

// FailedOutcome is the outcome of an import that failed as a whole, before
// any row was decided, for reason.
func FailedOutcome(reason string) *Outcome {
	return &Outcome{Status: vintry.StatusFailed, Errors: []vintry.RowError{{Message: reason}}}
}

// rowCells appends a row's line and trimmed values to cells.
func rowCells(cells []string, r *vintry.ImportRow) []string {
	cells = append(cells, strconv.Itoa(r.Line))
	for _, v := range r.Values {
		cells = append(cells, strings.TrimSpace(v))
	}
	return cells
}

// InputCSV renders JSON payload rows as the input file of a JSON import: the
// six columns, values as received.
func InputCSV(rows []vintry.ImportRow) ([]byte, error) {
	var b bytes.Buffer
	s := NewSheet(&b, vintry.ColumnNames[:])
	for _, r := range rows {
		if err := s.Row(r.Values[:]); err != nil {
			return nil, err
		}
	}
	err := s.Flush()
	return b.Bytes(), err
}

// Sheet writes a CSV file whose cells are made safe for spreadsheets
// (SafeCell): every CSV file Vintry generates is written through one, so
// none can carry a formula into a spreadsheet.
type Sheet struct {
	w    *csv.Writer
	safe []string // the row being written, reused
}

// NewSheet starts a sheet on w with its header. Errors of w show in the
// following Row or Flush.
func NewSheet(w io.Writer, header []string) *Sheet {
	s := &Sheet{w: csv.NewWriter(w)}
	s.Row(header)
	return s
}

// Row writes one row, each cell made safe.
func (s *Sheet) Row(cells []string) error {
	s.safe = s.safe[:0]
	for _, c := range cells {
		s.safe = append(s.safe, SafeCell(c))
	}
	return s.w.Write(s.safe)
}

// Flush writes what is buffered and returns the first error of the sheet.
func (s *Sheet) Flush() error {
	s.w.Flush()
	return s.w.Error()
}
