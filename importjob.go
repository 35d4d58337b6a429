package vintry

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	// type that cannot be a value of that column (a JSON object, say). Nil
	// when there is none: a map, not an array, keeps the rows of a large CSV
	// file (which never has any) small.
	TypeErrors map[Column]string
	// Problem, when not nil, is wrong with the record as a whole (a CSV row
	// with more fields than the header); it is reported with field "file".
	Problem *RowProblem
}

// RowProblem is a problem of a whole input record: its message, the text
// it is about and a hint.
type RowProblem struct{ Message, Value, Hint string }

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
	// Deleted counts the records a revert job deleted; imports never
	// delete, so it is left out of their summaries.
	Deleted int `json:"deleted,omitempty"`
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
	// StatusCancelled ends a job cancelled before its changes were applied:
	// it wrote nothing and has only its input file.
	StatusCancelled JobStatus = "cancelled"
)

// JobStatuses lists every job status.
var JobStatuses = []JobStatus{StatusPending, StatusProcessing, StatusCompleted, StatusCompletedWithErrors, StatusFailed, StatusCancelled}

// Terminal reports whether s is a final status.
func (s JobStatus) Terminal() bool {
	return s == StatusCompleted || s == StatusCompletedWithErrors || s == StatusFailed || s == StatusCancelled
}

// Job types.
const (
	JobType       = "inventory-import"        // an import (JSON or CSV)
	JobTypeRevert = "inventory-import-revert" // the revert of a job
)

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

	Type string // JobType or JobTypeRevert ("" reads as JobType)
	// RevertsJobID is the job a revert job reverted; RevertedByJobID the
	// revert job that reverted this one (0: none).
	RevertsJobID    int64
	RevertedByJobID int64
	// FilesDeletedAt is when the job's files were deleted at the end of
	// their retention; nil while they are kept.
	FilesDeletedAt *time.Time
}

// CurrentStep returns the step in progress, or "" when none is.
func (j *ImportJob) CurrentStep() string {
	// A pending job is waiting for a worker: no step is in progress.
	if j.Status != StatusProcessing || j.StepsDone >= len(JobSteps) {
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

// FileKind names one of a job's four files.
type FileKind string

// The files of an import job, in the order the status endpoint lists them.
const (
	FileInput   FileKind = "input"   // the bytes as uploaded (JSON jobs: the payload as CSV)
	FileStaging FileKind = "staging" // the six mapped columns plus line
	FileOutput  FileKind = "output"  // staging plus result and message
	FileErrors  FileKind = "errors"  // failed rows: line, field, value, message, hint
)

// FileKinds lists the file kinds in order.
var FileKinds = []FileKind{FileInput, FileStaging, FileOutput, FileErrors}

// fileSuffixes are the download name suffixes of each kind.
var fileSuffixes = map[FileKind]string{FileInput: "untouched", FileStaging: "staging", FileOutput: "final", FileErrors: "errors"}

// MappingProfileLog is the job log's note that a job's field mappings came
// from the saved mapping profile name (resolved when the upload was
// accepted; later changes to the profile do not affect the job).
func MappingProfileLog(name string) string {
	return fmt.Sprintf("Field mappings from the saved mapping profile '%s', as it was when the file was uploaded.", name)
}

// JobFileName returns the download name of a job's file of kind k.
func JobFileName(jobID int64, k FileKind) string {
	return fmt.Sprintf("import-%d_%s.csv", jobID, fileSuffixes[k])
}

// ParseJobFileName is the inverse of JobFileName.
func ParseJobFileName(name string) (int64, FileKind, bool) {
	rest, ok := strings.CutPrefix(name, "import-")
	if !ok {
		return 0, "", false
	}
	idText, suffix, ok := strings.Cut(strings.TrimSuffix(rest, ".csv"), "_")
	id, err := strconv.ParseInt(idText, 10, 64)
	// One name per file: "import-07_final.csv" is not job 7's.
	if !ok || err != nil || id <= 0 || strconv.FormatInt(id, 10) != idText || !strings.HasSuffix(rest, ".csv") {
		return 0, "", false
	}
	for k, s := range fileSuffixes {
		if s == suffix {
			return id, k, true
		}
	}
	return 0, "", false
}

// JobFile describes one stored file of a job; JobQueue.CopyJobFile reads
// its bytes, so no caller has to hold a whole file in memory.
type JobFile struct {
	JobID int64
	Kind  FileKind
	Name  string
	Size  int64 // in bytes
}

// QueueRequest is one import submitted through the CSV method: the upload
// as received, checked up front, to be processed by a worker.
type QueueRequest struct {
	Args          ImportArgs
	FileName      string
	File          []byte
	FieldMappings string // the field_mappings JSON as sent (or of MappingProfile); "" when absent
	// MappingProfile names the saved mapping profile FieldMappings was taken
	// from when the upload named one ("" otherwise), for the job log.
	MappingProfile string
	// IdempotencyKey and RequestHash work as in ImportRequest.
	IdempotencyKey string
	RequestHash    []byte
}

// JobQueue accepts CSV imports and serves job files.
type JobQueue interface {
	// QueueImport stores the upload, creates the job (pending, step "store
	// upload" done) and queues it for a worker, in one transaction. It returns
	// the job and whether it is a replay of an earlier request.
	QueueImport(ctx context.Context, req QueueRequest) (job *ImportJob, replayed bool, err error)
	// FindJobFile describes a job's file; ENOTFOUND when the job or file does
	// not exist or belongs to another tenant.
	FindJobFile(ctx context.Context, jobID int64, kind FileKind) (*JobFile, error)
	// CopyJobFile writes the bytes of a file FindJobFile described to w, in
	// order, holding at most one stored part (1 MiB) at a time. It returns
	// ENOTFOUND when the file is gone (or belongs to another tenant), and an
	// error when fewer or more than f.Size bytes were stored; either may
	// come after some bytes were written.
	CopyJobFile(ctx context.Context, f *JobFile, w io.Writer) error
}

// QueuedImport is what a worker needs to run a queued CSV import.
type QueuedImport struct {
	Job           *ImportJob
	FieldMappings string
	// MappingProfile is QueueRequest.MappingProfile.
	MappingProfile string
	// Wait is true when an earlier CSV import of the same tenant has not
	// finished: a tenant's queued imports apply in the order they were
	// accepted, so a later file never lands under an earlier one.
	Wait bool
}

// FileKinds returns the kinds of file the job has: its input from the
// moment it is accepted, the three result files once it has finished
// (a cancelled job never produced them). A revert has its four files once
// it has completed, none before (nor when it failed: it changed nothing).
func (j *ImportJob) FileKinds() []FileKind {
	if j.FilesDeletedAt != nil {
		return nil
	}
	if j.Type == JobTypeRevert {
		if j.Status == StatusCompleted || j.Status == StatusCompletedWithErrors {
			return FileKinds
		}
		return nil
	}
	if j.Status.Terminal() && j.Status != StatusCancelled {
		return FileKinds
	}
	return FileKinds[:1]
}

// StorageUsage measures what a tenant stores.
type StorageUsage interface {
	// StoredFileBytes returns the bytes of the job files and upload drafts
	// the principal's tenant stores.
	StoredFileBytes(ctx context.Context) (int64, error)
}

// JobFileJanitor deletes job files at the end of their retention.
type JobFileJanitor interface {
	// DeleteExpiredJobFiles deletes the files of the jobs of every tenant
	// that finished before cutoff and marks them (FilesDeletedAt); jobs and
	// history stay. It returns how many jobs lost their files.
	DeleteExpiredJobFiles(ctx context.Context, cutoff time.Time) (int, error)
}

// FilesDeletedError is the ENOTFOUND of a file deleted at the end of its
// retention, saying when.
func FilesDeletedError(at time.Time) error {
	return Errorf(ENOTFOUND, "The job's files were deleted on %s, at the end of their retention.", at.UTC().Format(time.DateOnly))
}

// Draft is a CSV file uploaded through the web UI, kept while its user maps
// its columns.
type Draft struct {
	ID       int64
	FileName string
	Content  []byte
}

// MaxDraftAge is how long an unqueued draft is kept.
const MaxDraftAge = 24 * time.Hour

// DraftService keeps UI uploads between the upload and the mapping form.
type DraftService interface {
	// CreateDraft stores a file for the principal's user and forgets the
	// tenant's drafts older than MaxDraftAge.
	CreateDraft(ctx context.Context, fileName string, content []byte) (int64, error)
	// FindDraft returns a draft of the principal's user; ENOTFOUND otherwise.
	FindDraft(ctx context.Context, id int64) (*Draft, error)
	// DeleteDraft forgets a draft (once it is queued).
	DeleteDraft(ctx context.Context, id int64) error
}

// RevertOptions are the choices of a revert request.
type RevertOptions struct {
	// Force also restores records changed after the job, overwriting those
	// later changes.
	Force bool
	// SkipConflicts reverts the records nothing changed since and reports
	// the others, instead of refusing the whole revert.
	SkipConflicts bool
	// Preview plans the revert and reports it without writing anything (the
	// confirmation page); conflicts are then reported, not refused.
	Preview bool
}

// RevertConflict is a record changed after the job a revert undoes.
type RevertConflict struct {
	RecordID   int64  `json:"record_id"`
	ItemName   string `json:"item_name"`
	BinName    string `json:"bin_name"`
	LotName    string `json:"lot_name"`
	DateFilled string `json:"date_filled"`
	// ChangedByJobID is the job that made the later change; nil for a batch
	// delete.
	ChangedByJobID *int64 `json:"changed_by_job_log_id"`
	// Change is what the later change did: updated, deleted, restored, or
	// created (another record took the key of one the job deleted).
	Change string `json:"change"`
}

// RevertResult is what a revert did (or, previewed, would do).
type RevertResult struct {
	Job       *ImportJob // the revert job; nil for a preview
	Deleted   int        // records the job created, deleted again
	Restored  int        // records the job updated, set back
	Recreated int        // records the job deleted, created again
	Unchanged int        // records already as they were before the job
	Conflicts []RevertConflict
}

// Revert and cancel messages.
const (
	MsgJobAlreadyFinished = "The import has already finished."
	MsgJobNotFinished     = "The import has not finished yet."
)

// JobLifecycle reverts and cancels a tenant's jobs.
type JobLifecycle interface {
	// RevertImportJob undoes every change the job made, in one transaction,
	// recorded as a new job of type JobTypeRevert. When records were changed
	// after the job it fails with ECONFLICT (the conflicts in the error's
	// Content) unless opts says to force or skip them.
	RevertImportJob(ctx context.Context, id int64, opts RevertOptions) (*RevertResult, error)
	// QueueRevert checks that job id can be reverted and queues its revert:
	// a pending job of type JobTypeRevert that a worker runs with opts (not
	// a preview) as RevertImportJob would, for a job too large to revert
	// within one request. The job counts as reverted by it from now on;
	// should the revert fail (conflicts), it can be reverted again.
	QueueRevert(ctx context.Context, id int64, opts RevertOptions) (*ImportJob, error)
	// CancelImportJob cancels a pending or processing job before its
	// changes are applied; ECONFLICT when it has finished.
	CancelImportJob(ctx context.Context, id int64) (*ImportJob, error)
}

// Mode names the options of a queued revert as they are stored.
func (o RevertOptions) Mode() string {
	switch {
	case o.Force:
		return "force"
	case o.SkipConflicts:
		return "skip_conflicts"
	}
	return ""
}

// RevertOptionsOf returns the options a stored mode names.
func RevertOptionsOf(mode string) RevertOptions {
	return RevertOptions{Force: mode == "force", SkipConflicts: mode == "skip_conflicts"}
}

// CheckRevertable returns ECONFLICT, saying why, when the job cannot be
// reverted: it changed nothing (failed, cancelled, a dry run), has not
// finished, or was already reverted.
func (j *ImportJob) CheckRevertable() error {
	switch {
	case j.RevertedByJobID != 0:
		return Errorf(ECONFLICT, "This import was already reverted by job %d.", j.RevertedByJobID)
	case j.Status == StatusPending || j.Status == StatusProcessing:
		return Errorf(ECONFLICT, "%s", MsgJobNotFinished)
	case j.Status == StatusCancelled:
		return Errorf(ECONFLICT, "The import was cancelled and changed nothing.")
	case j.Status == StatusFailed:
		return Errorf(ECONFLICT, "The import failed and changed nothing.")
	case j.Args.DryRun:
		return Errorf(ECONFLICT, "The import was a dry run and changed nothing.")
	}
	return nil
}

// CheckCancellable returns ECONFLICT when the job has finished.
func (j *ImportJob) CheckCancellable() error {
	switch {
	case j.Status == StatusCancelled:
		return Errorf(ECONFLICT, "The import was already cancelled.")
	case j.Status.Terminal():
		return Errorf(ECONFLICT, "%s", MsgJobAlreadyFinished)
	}
	return nil
}
