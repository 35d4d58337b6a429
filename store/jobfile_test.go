package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestWriteParts splits files of every interesting length around the part
// size, from a reader that says its length and from one that does not (and
// returns one byte at a time): the parts come in order, are full but the
// last, join to the file, and an empty file is one empty part.
func TestWriteParts(t *testing.T) {
	const size = 4
	for _, n := range []int{0, 1, 3, 4, 5, 8, 9, 13} {
		file := []byte(strings.Repeat("abcdefghij", 2)[:n])
		readers := map[string]io.Reader{
			"bytes.Reader": bytes.NewReader(file),
			"one byte":     iotest.OneByteReader(bytes.NewReader(file)),
		}
		for name, r := range readers {
			t.Run(fmt.Sprintf("%d bytes, %s", n, name), func(t *testing.T) {
				var parts [][]byte
				err := WriteParts(r, size, func(part int, b []byte) error {
					if part != len(parts) {
						t.Errorf("part %d after %d parts", part, len(parts))
					}
					if b == nil {
						t.Errorf("part %d is nil", part)
					}
					parts = append(parts, bytes.Clone(b))
					return nil
				})
				if err != nil {
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

// TestWritePartsErrors: a read error and an error of put end the write
// with that error.
func TestWritePartsErrors(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("abcdef"), iotest.ErrReader(boom))
	if err := WriteParts(r, 4, func(int, []byte) error { return nil }); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	calls := 0
	err := WriteParts(strings.NewReader("abcdefgh"), 4, func(int, []byte) error { calls++; return boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("put error: %v after %d calls", err, calls)
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
	if err := CopyParts(&out, 10, part); err != nil || out.String() != "abcdefghij" {
		t.Errorf("copy = %q, %v", out.String(), err)
	}
	out.Reset()
	if err := CopyParts(&out, 0, func(int) ([]byte, error) { t.Error("read a part of an empty file"); return nil, nil }); err != nil || out.Len() != 0 {
		t.Errorf("empty copy = %q, %v", out.String(), err)
	}
	for _, size := range []int64{9, 11} {
		if err := CopyParts(io.Discard, size, part); err == nil {
			t.Errorf("parts of 10 bytes copied as a file of %d", size)
		}
	}
	empty := func(int) ([]byte, error) { return []byte{}, nil }
	if err := CopyParts(io.Discard, 3, empty); err == nil {
		t.Error("an empty part in a file of 3 bytes was accepted")
	}
}
