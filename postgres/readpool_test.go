package postgres_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/postgres"
)

// TestReadsDoNotWaitForWriters holds a tenant's write lock from outside,
// so that more writers than the pool has connections each hold one while
// they wait for it; reads and token look-ups must still answer at once.
func TestReadsDoNotWaitForWriters(t *testing.T) {
	t.Parallel()
	url := schemaURL(t)
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.PasswordParams = vintry.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}
	ctx := newTenant(t, db, "acme")
	p, _ := vintry.PrincipalFromContext(ctx)
	token, err := db.IssueToken(context.Background(), "acme", "member@acme.test", 0)
	if err != nil {
		t.Fatal(err)
	}

	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var schema string
	if err := conn.QueryRow(context.Background(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	h := fnv.New64a() // the key of the tenant's write lock (lockKey in db.go)
	fmt.Fprintf(h, "vintry\x00%s\x00%s\x00%d", schema, "write", p.TenantID)
	key := int64(h.Sum64())
	if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_lock($1)`, key); err != nil {
		t.Fatal(err)
	}
	const writers = 15 // more than the pool's 10 connections
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			_, err := db.UpsertMasterEntries(ctx, vintry.KindItem, []vintry.MasterEntry{{Name: fmt.Sprintf("WAITING-%d", i)}})
			errs <- err
		})
	}
	defer func() {
		conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("writer: %v", err)
			}
		}
	}()
	// Wait until the writers hold the write pool's connections, waiting.
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		var waiting int
		if err := conn.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= 10 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("only %d writers wait for the lock", waiting)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, _, err := db.FindMasterEntries(rctx, vintry.KindItem, vintry.PageRequest{PerPage: 10}); err != nil {
		t.Errorf("read while writers wait: %v", err)
	}
	if _, _, err := db.FindInventory(rctx, vintry.InventoryFilter{}, vintry.PageRequest{PerPage: 10}); err != nil {
		t.Errorf("inventory read while writers wait: %v", err)
	}
	if _, err := db.Authenticate(rctx, "acme", token); err != nil {
		t.Errorf("token look-up while writers wait: %v", err)
	}
}
