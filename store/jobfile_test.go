package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestPartWriter cuts files of every interesting length around the part
// size, written whole, one byte at a time and in writes of 3: the parts
// come in order, are full but the last, join to the file, and an empty file
// is one empty part.
func TestPartWriter(t *testing.T) {
	const size = 4
	for _, n := range []int{0, 1, 3, 4, 5, 8, 9, 13} {
		file := []byte(strings.Repeat("abcdefghij", 2)[:n])
		for _, step := range []int{max(n, 1), 1, 3} {
			t.Run(fmt.Sprintf("%d bytes in writes of %d", n, step), func(t *testing.T) {
				var parts [][]byte
				w := newPartWriter(size, func(part int, b []byte) error {
					if part != len(parts) {
						t.Errorf("part %d after %d parts", part, len(parts))
					}
					if b == nil {
						t.Errorf("part %d is nil", part)
					}
					parts = append(parts, bytes.Clone(b))
					return nil
				})
				for rest := file; len(rest) > 0; rest = rest[min(step, len(rest)):] {
					if m, err := w.Write(rest[:min(step, len(rest))]); err != nil || m != min(step, len(rest)) {
						t.Fatalf("Write: %d, %v", m, err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				want := max(1, (n+size-1)/size)
				if len(parts) != want {
					t.Fatalf("%d parts, want %d", len(parts), want)
				}
				for i, p := range parts[:len(parts)-1] {
					if len(p) != size {
						t.Errorf("part %d holds %d bytes", i, len(p))
					}
				}
				if got := bytes.Join(parts, nil); !bytes.Equal(got, file) {
					t.Errorf("parts join to %q, want %q", got, file)
				}
			})
		}
	}
}

// TestPartWriterError: an error of put ends the write with that error, and
// nothing more is handed over.
func TestPartWriterError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	w := newPartWriter(4, func(int, []byte) error { calls++; return boom })
	if _, err := io.WriteString(w, "abcdefghij"); !errors.Is(err, boom) {
		t.Errorf("Write: %v", err)
	}
	if err := w.Close(); !errors.Is(err, boom) || calls != 1 {
		t.Errorf("Close: %v after %d calls", err, calls)
	}
}

// TestCopyParts copies parts until the size is reached, and refuses parts
// that do not add up to it.
func TestCopyParts(t *testing.T) {
	stored := [][]byte{[]byte("abcd"), []byte("efgh"), []byte("ij")}
	part := func(n int) ([]byte, error) {
		if n >= len(stored) {
			return nil, errors.New("no such part")
		}
		return stored[n], nil
	}
	var out bytes.Buffer
	if err := copyParts(&out, 10, part); err != nil || out.String() != "abcdefghij" {
		t.Errorf("copy = %q, %v", out.String(), err)
	}
	out.Reset()
	if err := copyParts(&out, 0, func(int) ([]byte, error) { t.Error("read a part of an empty file"); return nil, nil }); err != nil || out.Len() != 0 {
		t.Errorf("empty copy = %q, %v", out.String(), err)
	}
	for _, size := range []int64{9, 11} {
		if err := copyParts(io.Discard, size, part); err == nil {
			t.Errorf("parts of 10 bytes copied as a file of %d", size)
		}
	}
	empty := func(int) ([]byte, error) { return []byte{}, nil }
	if err := copyParts(io.Discard, 3, empty); err == nil {
		t.Error("an empty part in a file of 3 bytes was accepted")
	}
}
