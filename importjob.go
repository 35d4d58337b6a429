package vintry

import (
	"context"
	"time"
)

// Column is one of the six import columns.
type Column int

// The import columns, in canonical order.
const (
	ColItem Column = iota
	ColBin
	ColLot
	ColDateFilled
	ColQuantity
	ColUOM
	NumColumns
)

// ColumnNames are the import column names, indexed by Column.
var ColumnNames = [NumColumns]string{"item_name", "bin_name", "lot_name", "date_filled", "quantity", "uom"}

// String returns the column's name.
func (c Column) String() string { return ColumnNames[c] }

// ImportArgs are the arguments shared by both import methods.
type ImportArgs struct {
	AllowRecordCreation   bool `json:"allow_record_creation"`
	AllowRecordUpdate     bool `json:"allow_record_update"`
	ShouldContinueOnError bool `json:"should_continue_on_error"`
	DryRun                bool `json:"dry_run"`
	HeadersMatchExactly   bool `json:"headers_match_exactly,omitempty"`
}

// ImportRow is one input record before validation: its values as text,
// trimmed or not, in Column order.
type ImportRow struct {
	// Line is the row's 1-based position in a JSON payload, or its physical
	// line in a CSV file (header = line 1).
	Line   int
	Values [NumColumns]string
	// TypeErrors holds, per column, a message when the input value had a
	// type that cannot be a value of that column (a JSON object, say).
	TypeErrors [NumColumns]string
}

// RowError is one problem with one input row.
type RowError struct {
	Row     int    `json:"row"` // = ImportRow.Line
	Field   string `json:"field"`
	Value   string `json:"value"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// RowResult is what an import did with one row.
type RowResult string

// Row results, as written to a job's output file.
const (
	ResultCreated    RowResult = "created"
	ResultUpdated    RowResult = "updated"
	ResultUnchanged  RowResult = "unchanged"
	ResultFailed     RowResult = "failed"
	ResultNotWritten RowResult = "not_written" // valid, but the import wrote nothing because another row failed
)

// Summary counts the rows of an import by result.
type Summary struct {
	Total     int `json:"total"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
}

// JobStatus is the state of an import job.
type JobStatus string

// Job statuses. A job moves pending → processing → one terminal status.
const (
	StatusPending             JobStatus = "pending"
	StatusProcessing          JobStatus = "processing"
	StatusCompleted           JobStatus = "completed"
	StatusCompletedWithErrors JobStatus = "completed_with_errors"
	StatusFailed              JobStatus = "failed"
)

// Terminal reports whether s is a final status.
func (s JobStatus) Terminal() bool {
	return s == StatusCompleted || s == StatusCompletedWithErrors || s == StatusFailed
}

// JobType is the type of every import job.
const JobType = "inventory-import"

// JobSteps are the named steps of an import job, in order.
var JobSteps = []string{"store upload", "read header and mapping", "stage rows", "validate rows", "apply changes", "write result files"}

// Import sources.
const (
	SourceAPI = "api" // JSON method
	SourceCSV = "csv" // CSV method
)

// ImportJob is the record ("job log") of one import.
type ImportJob struct {
	ID          int64
	TenantID    int64
	UserID      int64
	Source      string
	Status      JobStatus
	Args        ImportArgs
	Summary     Summary
	Errors      []RowError
	StepsDone   int      // completed steps, 0..len(JobSteps)
	Log         []string // notes for people, e.g. "The file was read as Windows-1252."
	FileName    string
	CreatedAt   time.Time
	StartedAt   *time.Time
	CompletedAt *time.Time
}

// CurrentStep returns the step in progress, or "" when none is.
func (j *ImportJob) CurrentStep() string {
	if j.Status.Terminal() || j.StepsDone >= len(JobSteps) {
		return ""
	}
	if j.Status == StatusPending && j.StepsDone == 0 {
		return ""
	}
	return JobSteps[j.StepsDone]
}

// ImportRequest is one import submitted through the JSON method.
type ImportRequest struct {
	Args ImportArgs
	Rows []ImportRow
	// IdempotencyKey, when set, makes a repeat of the same request (same
	// RequestHash) return the first job instead of importing again.
	IdempotencyKey string
	RequestHash    []byte
}

// MaxIdempotencyKeyLength bounds the Idempotency-Key header.
const MaxIdempotencyKeyLength = 255

// IdempotencyWindow is how long an idempotency key is remembered.
const IdempotencyWindow = 24 * time.Hour

// MsgIdempotencyMismatch is the error for a key reused with another body.
const MsgIdempotencyMismatch = "Idempotency key was already used with a different request"

// ImportService runs imports and reads their jobs. Every method works on the
// tenant of the principal in ctx.
type ImportService interface {
	// ImportRows runs a synchronous (JSON) import: validation, the changes
	// and the job record are written in one transaction. It returns the job
	// and whether it is a replay of an earlier request with the same
	// idempotency key. A failed all-or-nothing import still returns its job.
	ImportRows(ctx context.Context, req ImportRequest) (job *ImportJob, replayed bool, err error)
	// FindImportJob returns the job with the given id; ENOTFOUND "Job not
	// found." when it does not exist or belongs to another tenant.
	FindImportJob(ctx context.Context, id int64) (*ImportJob, error)
	// FindImportJobs returns one page of the tenant's jobs, newest first.
	FindImportJobs(ctx context.Context, page PageRequest) ([]ImportJob, Page, error)
}

// MsgJobNotFound is the 404 message for an unknown job.
const MsgJobNotFound = "Job not found."
