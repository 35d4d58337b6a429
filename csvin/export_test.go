package csvin

// Accessors for the external tests only.

// HeaderLine returns the physical line of the header: 1 unless blank lines
// precede it.
func (r *Reader) HeaderLine() int { return r.headerLine }

// Source returns the CSV header name column i (an index into Columns) is
// taken from; "" when i is out of range or unmapped.
func (m Mapping) Source(i int) string {
	if i < 0 || i >= len(m.src) {
		return ""
	}
	return m.src[i]
}
