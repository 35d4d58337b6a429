package store

import (
	"fmt"
	"io"
	"sync"
)

// WriteParts reads r to its end in parts of size bytes (the last one may
// be shorter; size must be positive) and calls put with each part's number,
// 0, 1, 2…, and bytes, in order. Every part is read with io.ReadFull into
// one buffer, reused for the next part: put must be done with b when it
// returns. An empty r gives one empty part 0, so a file exists even when it
// is empty; a length that is a multiple of size gives no empty last part.
func WriteParts(r io.Reader, size int, put func(part int, b []byte) error) error {
	n := bufferSize(r, size)
	if n == size && size == partBufferSize {
		// A reader of unknown length (a result file being rendered) takes
		// a whole part's buffer: reuse them, rather than allocate and zero
		// three 1 MiB buffers for every job, however small.
		p := partBuffers.Get().(*[]byte)
		defer partBuffers.Put(p)
		return writeParts(r, *p, put)
	}
	return writeParts(r, make([]byte, n), put)
}

// partBufferSize is the part size whose buffers WriteParts reuses: the
// engines' (1 MiB).
const partBufferSize = 1 << 20

var partBuffers = sync.Pool{New: func() any {
	b := make([]byte, partBufferSize)
	return &b
}}

func writeParts(r io.Reader, buf []byte, put func(part int, b []byte) error) error {
	for part := 0; ; part++ {
		n, err := io.ReadFull(r, buf)
		// Exactly these two: a reader's error that merely wraps io.EOF is an
		// error, not the end of the file.
		last := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !last {
			return err
		}
		if n == 0 && part > 0 {
			return nil
		}
		if err := put(part, buf[:n]); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// bufferSize returns size, or less when r says it holds less (a
// bytes.Reader of a small file): a small file then costs no 1 MiB buffer.
// It is never 0, for io.ReadFull to see the end of an empty r.
func bufferSize(r io.Reader, size int) int {
	if l, ok := r.(interface{ Len() int }); ok && l.Len() < size {
		return max(l.Len(), 1)
	}
	return size
}

// CopyParts writes a stored file of size bytes to w: part(0), part(1)…, in
// order, until size bytes are written, holding one part at a time. part
// returns the bytes of one part, or an error (ENOTFOUND when the part is
// gone). The parts must add up to size exactly.
func CopyParts(w io.Writer, size int64, part func(n int) ([]byte, error)) error {
	var written int64
	for n := 0; written < size; n++ {
		b, err := part(n)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return fmt.Errorf("store: part %d of a file of %d bytes is empty", n, size)
		}
		if int64(len(b)) > size-written {
			return fmt.Errorf("store: the parts of a file of %d bytes hold more", size)
		}
		m, err := w.Write(b)
		written += int64(m)
		if err != nil {
			return err
		}
	}
	return nil
}
