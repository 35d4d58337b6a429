// Package pgtest gives tests a fresh PostgreSQL schema each. Tests run on
// PostgreSQL when the environment variable VINTRY_TEST_POSTGRES holds a
// database URL (postgres://postgres@127.0.0.1:5432/test?sslmode=disable,
// say); without it they use SQLite, or skip what only PostgreSQL can run.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable that holds the test database URL.
const EnvURL = "VINTRY_TEST_POSTGRES"

// URL returns the test database URL, "" when tests should not use PostgreSQL.
func URL() string { return os.Getenv(EnvURL) }

// Schema creates a schema vt_<random> in the test database, drops it (with
// everything in it) when the test and its cleanups registered earlier have
// finished, and returns a URL whose search_path selects it. An unreachable
// database fails the test: a run that asked for PostgreSQL must not pass
// without it.
func Schema(t testing.TB) string {
	t.Helper()
	base := URL()
	if base == "" {
		t.Fatalf("pgtest.Schema: %s is not set", EnvURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s is set but PostgreSQL is unreachable: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	name := "vt_" + strings.ToLower(rand.Text())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() { dropSchema(t, base, name) })
	u, err := WithSearchPath(base, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func dropSchema(t testing.TB, base, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("drop schema %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", name, err)
	}
}

// WithSearchPath returns the database URL (postgres:// or key=value form)
// with its search_path set to schema.
func WithSearchPath(dbURL, schema string) (string, error) {
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return dbURL + " search_path=" + schema, nil
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
