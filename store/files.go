package store

import (
	"fmt"
	"io"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// ResultFile is one of an import's result files, rendered on demand.
type ResultFile struct {
	Kind   vintry.FileKind
	Render func(w io.Writer) error
}

// ResultFiles are the staging, output and errors files of an import of the
// rows of src with outcome out. Each renders from src again, so no file is
// ever held whole.
func ResultFiles(out *importer.Outcome, src importer.Source) []ResultFile {
	return []ResultFile{
		{vintry.FileStaging, func(w io.Writer) error { return importer.WriteStaging(w, src) }},
		{vintry.FileOutput, func(w io.Writer) error { return importer.WriteOutput(w, src, out) }},
		{vintry.FileErrors, func(w io.Writer) error { return importer.WriteErrors(w, out) }},
	}
}

// Pipe returns a reader of what render writes, rendered while it is read. The
// caller must Close it when done: Close ends render if it is still writing
// and waits until it has returned, so nothing render uses outlives the
// caller's own use of it. A render error is the reader's error; a panic in
// render becomes one, rather than end the process from a goroutine no one
// recovers.
func Pipe(render func(w io.Writer) error) io.ReadCloser {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				pw.CloseWithError(fmt.Errorf("store: rendering a file: panic: %v", p))
			}
		}()
		pw.CloseWithError(render(pw))
	}()
	return &pipeReader{PipeReader: pr, done: done}
}

type pipeReader struct {
	*io.PipeReader
	done chan struct{}
}

// Close closes the pipe and waits for render to return.
func (r *pipeReader) Close() error {
	err := r.PipeReader.Close()
	<-r.done
	return err
}
