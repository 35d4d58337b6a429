package csvin

import (
	"fmt"
	"io"

	"github.com/vintry/vintry"
)

// MaxColumns is the most fields a header row may have.
const MaxColumns = 1000

// crReader turns every carriage return that is not followed by a line feed
// into a line feed, so a file with classic Mac line ends (bare CR) reads as
// lines; CRLF is left alone. A CR at the end of one Read is held back until
// the next byte is known.
type crReader struct {
	r    io.Reader
	held bool // a CR was held back from the previous Read
}

func (c *crReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	start := 0
	if c.held {
		p[0] = '\r'
		start = 1
	}
	n, err := c.r.Read(p[start:])
	n += start
	if c.held && n == 1 && err == io.EOF {
		// A CR at the very end of the input.
		c.held = false
		p[0] = '\n'
		return 1, io.EOF
	}
	c.held = false
	if n == start && err == nil {
		// Nothing new yet: keep holding the CR.
		c.held = start == 1
		return 0, nil
	}
	for i := 0; i < n; i++ {
		if p[i] != '\r' {
			continue
		}
		switch {
		case i+1 < n:
			if p[i+1] != '\n' {
				p[i] = '\n'
			}
		case err == nil:
			c.held = true
			n--
		default:
			p[i] = '\n'
		}
	}
	return n, err
}

// widthLimit passes its input through unchanged while it counts the fields
// of each record. When a record has more than MaxColumns fields it stops
// before the field over the limit, reads on only to count the rest of that
// record, and fails with an EINVALID error naming the count, so such a
// record's fields are never all held in memory. The header is the first
// record with content, as Next finds it.
type widthLimit struct {
	r      io.Reader
	delim  byte
	quoted bool
	filled bool // the current record has content
	header bool // the header record has ended
	line   int  // the physical line being read
	start  int  // the line the current record started on
	fields int  // of the current record
	ended  struct {
		fields int
		filled bool
	} // the last record that ended
	err error
}

func newWidthLimit(r io.Reader, delim rune) *widthLimit {
	return &widthLimit{r: r, delim: byte(delim), line: 1, start: 1, fields: 1}
}

func (w *widthLimit) Read(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.r.Read(p)
	for i := 0; i < n; i++ {
		if w.scan(p[i]) {
			w.err = w.tooWide(p[i+1:n], err)
			return i, w.err
		}
	}
	return n, err
}

// scan follows one byte and reports whether it starts a field over the
// limit.
func (w *widthLimit) scan(b byte) bool {
	switch {
	case b == '"':
		w.quoted = !w.quoted
	case b == '\n':
		w.line++
		if !w.quoted {
			w.ended.fields, w.ended.filled = w.fields, w.filled
			w.header = w.header || w.filled
			w.filled, w.fields, w.start = false, 1, w.line
		}
	case w.quoted:
		w.filled = w.filled || !isSpace(b)
	case b == w.delim:
		w.fields++
		return w.fields > MaxColumns
	default:
		w.filled = w.filled || !isSpace(b)
	}
	return false
}

// tooWide reads the rest of the current record, counting its fields, and
// returns the error that names their number. rest and err are what is left
// of the last Read of the input.
func (w *widthLimit) tooWide(rest []byte, err error) error {
	var buf [32 << 10]byte
	start, header := w.start, !w.header
	for {
		for _, b := range rest {
			if w.scan(b); w.start != start {
				break
			}
		}
		if w.start != start {
			return w.widthError(start, header, w.ended.fields, w.ended.filled)
		}
		if err == io.EOF {
			return w.widthError(start, header, w.fields, w.filled)
		} else if err != nil {
			return fmt.Errorf("csvin: read: %w", err)
		}
		var n int
		n, err = w.r.Read(buf[:])
		rest = buf[:n]
	}
}

// widthError is the error of a record, starting on line start, of too many
// fields.
func (w *widthLimit) widthError(start int, header bool, fields int, filled bool) error {
	if header && filled {
		return vintry.FieldError("file", fmt.Sprintf("The header has %d columns; at most %d are allowed.", fields, MaxColumns))
	}
	return vintry.FieldError("file", fmt.Sprintf("Line %d has %d fields; at most %d are allowed.", start, fields, MaxColumns))
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' }
