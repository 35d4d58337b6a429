package serveproc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// PGSchema is a fresh schema in a PostgreSQL database, for one run.
type PGSchema struct {
	Name string // prefix + 8 random hex digits

	base string
	keep bool
}

// NewPGSchema creates a schema named prefix plus a short random suffix in
// the database at base (the program's --database URL), so runs never share
// state. keep makes Drop leave it in place.
func NewPGSchema(ctx context.Context, base, prefix string, keep bool) (*PGSchema, error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("--database: %w", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 4)
	rand.Read(b)
	s := &PGSchema{Name: prefix + hex.EncodeToString(b), base: base, keep: keep}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{s.Name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create schema %s: %w", s.Name, err)
	}
	return s, nil
}

// URL is the database URL with search_path set to the schema.
func (s *PGSchema) URL() (string, error) {
	u, err := url.Parse(s.base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", s.Name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Drop removes the schema and everything in it, unless it is to be kept.
func (s *PGSchema) Drop(ctx context.Context) error {
	if s.keep {
		return nil
	}
	conn, err := pgx.Connect(ctx, s.base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{s.Name}.Sanitize()+` CASCADE`)
	return err
}
