package postgres

// SetApplyChunkSize makes applyWrites send n writes per statement until the
// returned function restores the size.
func SetApplyChunkSize(n int) (restore func()) {
	old := applyChunkSize
	applyChunkSize = n
	return func() { applyChunkSize = old }
}
