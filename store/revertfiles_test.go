package store

import (
	"bytes"

	"github.com/vintry/vintry/importer"
)

// revertFiles are a revert job's four files, rendered in memory (tests compare
// them with what runRevert spools).
type revertFiles struct {
	Input, Staging, Output, Errors []byte
}

// revertJobFiles renders the four files of a one-chunk plan in memory, as
// runRevert spools them.
func revertJobFiles(plan *RevertPlan) (*revertFiles, error) {
	in, stage, out, errs := newCSV(revertInputHeader()), newCSV(revertStagingHeader()), newCSV(revertOutputHeader()), newCSV(revertErrorsHeader)
	for i, it := range plan.Items {
		rows := revertRows(i+2, it)
		in.row(rows.input)
		stage.row(rows.staging)
		out.row(rows.output)
		if rows.errs != nil {
			errs.row(rows.errs)
		}
	}
	f := &revertFiles{}
	var err error
	for _, p := range []struct {
		w   *csvFile
		dst *[]byte
	}{{in, &f.Input}, {stage, &f.Staging}, {out, &f.Output}, {errs, &f.Errors}} {
		if *p.dst, err = p.w.bytes(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// csvFile is a revert file built in memory, written through the importer's
// Sheet like every generated file (cells safe for spreadsheets).
type csvFile struct {
	buf bytes.Buffer
	w   *importer.Sheet
	err error
}

func newCSV(header []string) *csvFile {
	f := &csvFile{}
	f.w = importer.NewSheet(&f.buf, header)
	return f
}

func (f *csvFile) row(cells []string) {
	if f.err == nil {
		f.err = f.w.Row(cells)
	}
}

func (f *csvFile) bytes() ([]byte, error) {
	if err := f.w.Flush(); f.err == nil {
		f.err = err
	}
	return f.buf.Bytes(), f.err
}
