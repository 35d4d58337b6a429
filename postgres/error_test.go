package postgres_test

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/postgres"
)

// TestMapErrorDiskFull: a write refused for a full disk (SQLSTATE 53100) is
// EFULL with the client-safe message (507), never an internal error.
func TestMapErrorDiskFull(t *testing.T) {
	err := postgres.MapError(fmt.Errorf("copy: %w", &pgconn.PgError{Code: "53100", Message: "could not extend file: No space left on device"}))
	if vintry.ErrorCode(err) != vintry.EFULL || vintry.ErrorMessage(err) != vintry.MsgStorageFull {
		t.Fatalf("err = %v; want EFULL %q", err, vintry.MsgStorageFull)
	}
}
