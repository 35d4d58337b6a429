package http_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/jobs"
	"github.com/vintry/vintry/metrics"
	"github.com/vintry/vintry/postgres"
	"github.com/vintry/vintry/postgres/pgtest"
	"github.com/vintry/vintry/sqlite"
	vstore "github.com/vintry/vintry/store"
)

// store is what the tests use of a database: every service the API needs.
// *sqlite.DB and *postgres.DB both are one.
type store interface {
	vintry.TenantService
	vintry.UserService
	vintry.AuthService
	vintry.MasterDataService
	vintry.InventoryService
	vintry.InventoryWriter
	vintry.ImportService
	vintry.JobQueue
	vintry.JobLifecycle
	vintry.DraftService
	vintry.WebhookService
	vintry.MappingProfileService
	vintry.JobFileJanitor
	vintry.StorageUsage
	metrics.JobCounter
	Ping(ctx context.Context) error
	Close() error
}

// testDB is an env's database: its services, and the SQLite file's path
// for tests that read the file itself ("" on PostgreSQL).
type testDB struct {
	store
	Path string
	url  string // the PostgreSQL schema's URL; "" on SQLite
}

// countRows counts the rows of a table straight from the database, on
// either engine, for what no endpoint shows (upload drafts, say).
func (d *testDB) countRows(t *testing.T, table string) int {
	t.Helper()
	ctx := context.Background()
	var n int
	if d.url == "" {
		db, err := sql.Open("sqlite", "file:"+d.Path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// cheapHashes keep the many test users quick; production costs are tested
// in the root package.
var cheapHashes = vintry.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}

// openBackend opens a fresh database with its job queue running: SQLite in
// a temp dir, or PostgreSQL in a fresh schema when VINTRY_TEST_POSTGRES is
// set. dbOpts change the database before anything runs; on PostgreSQL they
// are applied to a stand-in *sqlite.DB whose clock, password costs and
// fault delay are then copied. stop stops the queue and closes the database.
func openBackend(t *testing.T, dbOpts []func(*sqlite.DB), cfg jobs.Config) (db *testDB, stop func()) {
	t.Helper()
	ctx := context.Background()
	if pgtest.URL() != "" {
		return openPostgres(t, dbOpts, cfg)
	}
	sdb, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sdb.PasswordParams = cheapHashes
	for _, o := range dbOpts {
		o(sdb)
	}
	queue, err := startSQLiteQueue(ctx, sdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testDB{store: sdb, Path: sdb.Path}, stopper(t, queue.Stop, sdb)
}

func openPostgres(t *testing.T, dbOpts []func(*sqlite.DB), cfg jobs.Config) (*testDB, func()) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.Schema(t)
	pdb, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	// A stand-in for the options to act on; its Service only holds settings.
	stand := &sqlite.DB{Service: vstore.NewService(nil), Now: pdb.Now}
	stand.PasswordParams = cheapHashes
	for _, o := range dbOpts {
		o(stand)
	}
	pdb.Now, pdb.PasswordParams, pdb.FaultApplyDelay = stand.Now, stand.PasswordParams, stand.FaultApplyDelay
	pdb.RevertChunk, pdb.FilePartSize = stand.RevertChunk, stand.FilePartSize
	queue, err := jobs.Start(ctx, jobs.Engine[pgx.Tx]{Store: pdb.Service, Driver: riverpgxv5.New(pdb.Pool()), Schema: pdb.QueueSchema(),
		RunLocks: func(ctx context.Context) (jobs.RunLocks, error) { return pdb.OpenRunLocks(ctx) }}, cfg)
	if err != nil {
		pdb.Close()
		t.Fatal(err)
	}
	return &testDB{store: pdb, url: url}, stopper(t, queue.Stop, pdb)
}

// startSQLiteQueue starts the job queue on db, as serve does.
func startSQLiteQueue(ctx context.Context, db *sqlite.DB, cfg jobs.Config) (*jobs.Queue[*sql.Tx], error) {
	return jobs.Start(ctx, jobs.Engine[*sql.Tx]{Store: db.Service, Driver: riversqlite.New(db.WriteDB()),
		RequeueOrphaned: db.RequeueOrphanedJobs}, cfg)
}

// stopper returns a func that stops a job queue, then closes db.
func stopper(t *testing.T, stopQueue func(context.Context) error, db store) func() {
	return func() {
		if err := stopQueue(context.Background()); err != nil {
			t.Errorf("stop job queue: %v", err)
		}
		db.Close()
	}
}

// TestJobFilesLiveInTheDatabase checks, on either engine, that a job's four
// files are rows of the database (so any node can serve them), not files
// on one node's disk.
func TestJobFilesLiveInTheDatabase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("files", true)
	e.mustImport(tn, rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", "5000", "gal"))
	if n := e.DB.countRows(t, "job_files"); n != len(vintry.FileKinds) {
		t.Errorf("job_files holds %d rows after one import, want %d", n, len(vintry.FileKinds))
	}
}
