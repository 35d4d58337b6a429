package postgres_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/postgres"
	"github.com/vintry/vintry/postgres/pgtest"
)

// schemaURL skips the test unless VINTRY_TEST_POSTGRES is set, and returns
// the URL of a fresh schema.
func schemaURL(t *testing.T) string {
	t.Helper()
	if pgtest.URL() == "" {
		t.Skipf("set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests", pgtest.EnvURL)
	}
	return pgtest.Schema(t)
}

// openDB opens a fresh schema with cheap password hashes.
func openDB(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), schemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.PasswordParams = vintry.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}
	return db
}

// migrationState returns the applied goose versions and River's migration
// count of the schema at url.
func migrationState(t *testing.T, url string) (versions []int64, river int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	if versions, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM river_migration`).Scan(&river); err != nil {
		t.Fatal(err)
	}
	return versions, river
}

func TestMigrationsRunTwice(t *testing.T) {
	t.Parallel()
	url := schemaURL(t)
	ctx := context.Background()
	var first []int64
	var firstRiver int
	for i := range 2 {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		db.Close()
		versions, river := migrationState(t, url)
		if i == 0 {
			first, firstRiver = versions, river
			continue
		}
		if fmt.Sprint(versions) != fmt.Sprint(first) || river != firstRiver {
			t.Errorf("second open changed the migrations: %v/%d, then %v/%d", first, firstRiver, versions, river)
		}
	}
	if fmt.Sprint(first) != "[0 1 2 3 4 7]" || firstRiver == 0 {
		t.Errorf("migrations = %v, river migrations = %d", first, firstRiver)
	}
}

func TestConcurrentOpensOnFreshSchema(t *testing.T) {
	t.Parallel()
	url := schemaURL(t)
	ctx := context.Background()
	const nodes = 3
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() {
			db, err := postgres.Open(ctx, url)
			if err == nil {
				err = db.Ping(ctx)
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	if versions, river := migrationState(t, url); fmt.Sprint(versions) != "[0 1 2 3 4 7]" || river == 0 {
		t.Errorf("after concurrent opens: migrations %v, river migrations %d", versions, river)
	}
}

func TestOpenNeedsExistingSchema(t *testing.T) {
	t.Parallel()
	url, err := pgtest.WithSearchPath(schemaURL(t), "vt_no_such_schema")
	if err != nil {
		t.Fatal(err)
	}
	if db, err := postgres.Open(context.Background(), url); err == nil {
		db.Close()
		t.Fatal("Open succeeded on a search_path whose schema does not exist")
	}
}

// roundTrips counts the client's round trips to the server over every
// connection of a pool: a write that follows a read (or comes first) starts one.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, trips: &r.n}, nil
}

type countingConn struct {
	net.Conn
	trips   *atomic.Int64
	writing atomic.Bool
}

func (c *countingConn) Write(p []byte) (int, error) {
	if !c.writing.Swap(true) {
		c.trips.Add(1)
	}
	return c.Conn.Write(p)
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.writing.Store(false)
	return c.Conn.Read(p)
}

// openCounted opens a fresh schema whose connections count round trips.
func openCounted(t *testing.T) (*postgres.DB, *roundTrips) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(schemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	trips := &roundTrips{}
	cfg.ConnConfig.DialFunc = trips.dial
	db, err := postgres.OpenConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.PasswordParams = vintry.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}
	return db, trips
}
