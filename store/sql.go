package store

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"time"

	"github.com/vintry/vintry"
)

// Conn runs the SQL of one transaction, written once for every engine: `?`
// placeholders (or `?N` to name the Nth argument), and arguments and scan
// targets of plain Go types — string, int64, int, bool, []byte, time.Time
// and *time.Time (NULL when nil; scanned through **time.Time). Each engine's
// driver rebinds the placeholders and converts the values to its own
// representation (SQLite keeps times as RFC 3339 text, PostgreSQL as
// timestamptz), and reads them back in UTC.
type Conn interface {
	// Exec runs a statement and returns the number of rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query of at most one row; its Scan returns ErrNoRows
	// when there is none.
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Queue runs a statement whose result no one waits for. An engine may
	// hold it back and send it with the statements after it (PostgreSQL
	// sends them in one round trip when the next Exec, Query or QueryRow
	// runs, at Flush, or before the transaction commits), so its error may
	// come from a later call. Queue copies []byte arguments: the caller may
	// reuse them when it returns.
	Queue(ctx context.Context, query string, args ...any) error
	// Flush sends the statements queued so far.
	Flush(ctx context.Context) error
}

// Rows are the rows of a query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Close()
	Err() error
}

// Row is the row of a QueryRow.
type Row interface {
	Scan(dest ...any) error
}

// ErrNoRows is what Row.Scan returns, on every engine, for no row.
var ErrNoRows = sql.ErrNoRows

// Tx is one transaction of the store: its SQL, its time (one instant for
// every row it writes, in UTC) and the principal it acts for.
type Tx struct {
	Conn
	Now       time.Time
	Principal vintry.Principal
	// MapError is the engine's reading of a driver error (a unique or
	// foreign key violation: ECONFLICT); Conn returns them unmapped, so the
	// engine still sees the causes it retries on.
	MapError func(error) error
	// Lock takes a tenant lock of one class until the transaction ends. On
	// an engine with one writer (SQLite) every write holds them all, and
	// Lock does nothing.
	Lock func(ctx context.Context, class string, tenantID int64) error
	// Dialect writes the SQL that differs between the engines.
	Dialect Dialect
	// Engine is the rest of the engine's transaction: its bulk import
	// writer and the job queue's hooks, which run on the engine's own
	// transaction.
	Engine TxEngine
}

// TxEngine is what the store needs of an engine's write transaction besides
// SQL.
type TxEngine interface {
	// ImportWriter returns the engine's tuned record lookup and writes for
	// job jobID of tenant tenantID, in this transaction.
	ImportWriter(tenantID, jobID int64) RecordWriter
	// Native returns the engine's own transaction (*sql.Tx on SQLite,
	// pgx.Tx on PostgreSQL), in which the job queue inserts and completes
	// its jobs.
	Native() any
}

// Enqueuer is the job queue as the store uses it: each call queues worker
// jobs inside tx, to run once it commits.
type Enqueuer interface {
	// EnqueueImport queues the worker job of CSV import job jobID.
	EnqueueImport(ctx context.Context, tx *Tx, jobID int64) error
	// EnqueueRevert queues the worker job of queued revert job jobID.
	EnqueueRevert(ctx context.Context, tx *Tx, jobID int64) error
	// EnqueueWebhooks queues the webhook deliveries ids.
	EnqueueWebhooks(ctx context.Context, tx *Tx, ids []int64) error
}

// errNoQueue refuses the work that needs a job queue when there is none.
var errNoQueue = errors.New("store: no job queue configured")

// ErrRetry asks the engine to run the transaction again from the start: it
// lost a race whose winner has committed (an idempotency key recorded
// meanwhile), and a new attempt sees the winner's result. SQLite's one
// writer never loses such a race.
var ErrRetry = errors.New("store: transaction must be retried")

// Tenant lock classes (Tx.Lock).
const (
	// LockWrite serializes a tenant's inventory and master data writes:
	// imports decide each row against the state they lock, as one writer
	// would.
	LockWrite = "write"
	// LockQueue serializes a tenant's CSV uploads, so job ids follow the
	// order in which uploads commit (the order queued jobs apply in).
	LockQueue = "queue"
	// LockProfiles serializes a tenant's mapping profile saves, so the
	// limit on their number holds exactly, without waiting for imports.
	LockProfiles = "mapping-profiles"
)

// TenantID returns the principal's tenant: EUNAUTHORIZED without one.
func (tx *Tx) TenantID() (int64, error) {
	if tx.Principal.TenantID == 0 {
		return 0, vintry.Errorf(vintry.EUNAUTHORIZED, vintry.MsgUnauthenticated)
	}
	return tx.Principal.TenantID, nil
}

// Driver runs the store's transactions on one engine. Each runs fn and
// commits when it returns nil; an engine may run fn again from the start
// after a failure a retry resolves, so fn must build its state afresh. Errors
// come back mapped to *vintry.Error where they mean one (a unique or foreign
// key violation: ECONFLICT; a full disk: EFULL).
type Driver interface {
	// Update runs fn in a write transaction.
	Update(ctx context.Context, fn func(*Tx) error) error
	// View runs fn in a read-only transaction with one snapshot.
	View(ctx context.Context, fn func(*Tx) error) error
	// Reader runs single-statement reads outside a transaction (on the
	// engine's read pool): for lookups on every request, such as a
	// token's, that need no snapshot.
	Reader() Conn
	// Now is the engine's clock (tests set it), in UTC.
	Now() time.Time
	// MapError reads a driver error as Tx.MapError does.
	MapError(err error) error
}

// Service implements, once for every engine, the services whose rules and
// SQL do not depend on the engine. An engine's DB embeds it.
type Service struct {
	d Driver
	// PasswordParams are the argon2id costs for new password hashes.
	PasswordParams vintry.PasswordParams
	passwords      *vintry.Passwords // bounds concurrent password hashing
	// FilePartSize is the most bytes one job_files row holds: a file is
	// stored as parts 0, 1, 2… of this size (the last one shorter), so no
	// statement binds or returns a whole large file. Tests make it small.
	FilePartSize int
	// RevertChunk is how many records a revert plans and writes at once:
	// its memory is that of a chunk (and 8 bytes a record for the list of
	// ids), whatever the size of the job. Tests make it small.
	RevertChunk int
	// Queue is the job queue (package jobs sets it). Without it, CSV
	// imports and queued reverts are refused, and webhook deliveries are
	// recorded but stay pending.
	Queue Enqueuer
	// FaultApplyDelay holds every import's apply transaction open this long
	// before it commits. Zero in production; crash tests set it.
	FaultApplyDelay time.Duration
}

// NewService returns the services over d.
func NewService(d Driver) *Service {
	return &Service{d: d, PasswordParams: vintry.DefaultPasswordParams, passwords: vintry.NewPasswords(runtime.NumCPU()),
		FilePartSize: 1 << 20, RevertChunk: 2000}
}
