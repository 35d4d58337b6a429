package store

import (
	"io"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// resultFile is one of an import's result files, rendered on demand.
type resultFile struct {
	Kind   vintry.FileKind
	Render func(w io.Writer) error
}

// resultFiles are the staging, output and errors files of an import of the
// rows of src with outcome out. Each renders from src again, so no file is
// ever held whole.
func resultFiles(out *importer.Outcome, src importer.Source) []resultFile {
	return []resultFile{
		{vintry.FileStaging, func(w io.Writer) error { return importer.WriteStaging(w, src) }},
		{vintry.FileOutput, func(w io.Writer) error { return importer.WriteOutput(w, src, out) }},
		{vintry.FileErrors, func(w io.Writer) error { return importer.WriteErrors(w, out) }},
	}
}
