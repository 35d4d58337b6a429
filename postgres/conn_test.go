package postgres

import "testing"

// TestRebind turns the store's placeholders into PostgreSQL's, leaving
// quoted text alone.
func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                              `SELECT 1`,
		`WHERE a = ? AND b = ?`:                 `WHERE a = $1 AND b = $2`,
		`WHERE a = ?1 AND b = ?2 OR c = ?1`:     `WHERE a = $1 AND b = $2 OR c = $1`,
		`WHERE a = '?' AND b = ?`:               `WHERE a = '?' AND b = $1`,
		`WHERE "we?rd" = ? AND x = 'it''s ?'`:   `WHERE "we?rd" = $1 AND x = 'it''s ?'`,
		`VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`: `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		`WHERE id = ?12`:                        `WHERE id = $12`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) from the cache = %q, want %q", in, got, want)
		}
	}
}
