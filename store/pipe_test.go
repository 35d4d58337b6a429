package store_test

import (
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vintry/vintry/store"
)

// TestPipeCloseWaitsForRender: finishWithFiles closes the pipe on a storage
// error and returns; the worker then closes the upload's temp file. The
// render goroutine must not still be running (reading the source) by then.
func TestPipeCloseWaitsForRender(t *testing.T) {
	var stillRendering atomic.Bool
	done := make(chan struct{})
	r := store.Pipe(func(w io.Writer) error {
		defer close(done)
		if _, err := w.Write([]byte("x")); err != nil {
			return err
		}
		// Each fills a chunk of up to ChunkRows rows from the file before it
		// calls fn, whose next write would see the closed pipe.
		stillRendering.Store(true)
		time.Sleep(100 * time.Millisecond)
		stillRendering.Store(false)
		_, err := w.Write([]byte("y"))
		return err
	})
	buf := make([]byte, 1)
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	r.Close() // the caller gives up (a DB error while storing a part)
	if stillRendering.Load() {
		t.Errorf("Close returned while the render goroutine was still reading its source")
	}
	<-done
}

// TestPipeRenderPanic checks that a panic while rendering is the reader's
// error, not the end of the process.
func TestPipeRenderPanic(t *testing.T) {
	r := store.Pipe(func(w io.Writer) error { panic("broken renderer") })
	defer r.Close()
	if _, err := io.ReadAll(r); err == nil || !strings.Contains(err.Error(), "broken renderer") {
		t.Errorf("read error = %v, want the panic", err)
	}
}
