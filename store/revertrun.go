package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// RevertTx is what a revert needs of an engine's write transaction. Every
// method runs in the one transaction of the revert.
type RevertTx interface {
	// RevertRecordIDs returns, ascending, the ids of the records the job
	// created, changed, deleted or restored.
	RevertRecordIDs(ctx context.Context, jobID int64) ([]int64, error)
	// RevertInput reads the revert input of some of those records: their
	// change rows (oldest first), which of them the job created, and the
	// records now at their keys (each marked Touched when the job touched
	// it too).
	RevertInput(ctx context.Context, jobID int64, ids []int64) (RevertInput, error)
	// InsertRevertJob inserts the revert job and sets its id.
	InsertRevertJob(ctx context.Context, rev *vintry.ImportJob) error
	// WriteRevert writes one chunk of the plan for revert job rev: the
	// deletes, then the updates and restores (RevertPlan.Writes).
	WriteRevert(ctx context.Context, rev *vintry.ImportJob, deletes []int64, updates, restores []RevertItem) error
	// PutRevertFile stores one of the revert job's files.
	PutRevertFile(ctx context.Context, rev *vintry.ImportJob, kind vintry.FileKind, r io.Reader) error
	// FinishRevert writes the revert job's final state, links the reverted
	// job to it, and raises its event.
	FinishRevert(ctx context.Context, rev *vintry.ImportJob) error
}

// newRevertJob returns the revert job of reverted by user userID, created
// at now, with the given status (processing for one run at once, pending
// for one queued); runRevert inserts it, or QueueRevert does.
func newRevertJob(reverted *vintry.ImportJob, userID int64, now time.Time, status vintry.JobStatus) *vintry.ImportJob {
	return &vintry.ImportJob{TenantID: reverted.TenantID, UserID: userID, Type: vintry.JobTypeRevert,
		Source: vintry.SourceAPI, Status: status, RevertsJobID: reverted.ID, CreatedAt: now,
		Log: []string{fmt.Sprintf("Reverts job %d.", reverted.ID)}}
}

// runRevert reverts job reverted in tx at now, as revert job rev: a new one
// (newRevertJob; runRevert inserts it, unless the revert is refused or a
// preview) or a queued one (its id set). It plans the revert chunk by
// chunk twice: first to decide it (the conflicts, which refuse it unless
// opts says otherwise; a preview stops there), then to write it, each chunk
// (of chunk records) right after it is planned. A chunk's plan depends only on its own
// records, the records at their keys and their history, which the writes of
// other chunks do not change; the second pass must count what the first
// did, or the revert is refused. The four files are spooled to temporary
// files, not held in memory.
func runRevert(ctx context.Context, tx RevertTx, reverted, rev *vintry.ImportJob, now time.Time,
	opts vintry.RevertOptions, chunk int) (*vintry.RevertResult, error) {
	ids, err := tx.RevertRecordIDs(ctx, reverted.ID)
	if err != nil {
		return nil, err
	}
	decided, err := decideRevert(ctx, tx, reverted.ID, ids, opts, chunk)
	if err != nil || opts.Preview {
		if decided != nil {
			return &decided.Result, err
		}
		return nil, err
	}
	rev.StartedAt = &now
	if rev.ID == 0 {
		if err := tx.InsertRevertJob(ctx, rev); err != nil {
			return nil, err
		}
	}
	files, err := newRevertSpool()
	if err != nil {
		return nil, err
	}
	defer files.close()
	written := &revertTally{}
	line := 2
	for part := range chunks(ids, chunk) {
		in, err := tx.RevertInput(ctx, reverted.ID, part)
		if err != nil {
			return nil, err
		}
		plan, err := planRevert(in, opts)
		if err != nil {
			return nil, err
		}
		deletes, updates, restores := plan.Writes()
		if err := tx.WriteRevert(ctx, rev, deletes, updates, restores); err != nil {
			return nil, err
		}
		for _, it := range plan.Items {
			if it.Skipped {
				rev.Errors = append(rev.Errors, vintry.RowError{Row: line, Field: "record_id",
					Value: strconv.FormatInt(it.RecordID, 10), Message: conflictMessage(it.Conflict)})
			} else if it.Conflict != nil {
				rev.Log = append(rev.Log, fmt.Sprintf("Record %d: %s; overwritten (force).", it.RecordID, conflictMessage(it.Conflict)))
			}
			if err := files.add(line, it); err != nil {
				return nil, err
			}
			line++
		}
		written.add(plan)
	}
	if written.counts() != decided.counts() {
		return nil, errors.New("store: the revert's second pass planned other changes than its first")
	}
	for kind, f := range files.byKind() {
		r, err := f.reader()
		if err != nil {
			return nil, err
		}
		if err := tx.PutRevertFile(ctx, rev, kind, r); err != nil {
			return nil, err
		}
	}
	r := decided.Result
	done := now
	rev.Status, rev.CompletedAt, rev.StepsDone = decided.status(opts), &done, len(vintry.JobSteps)
	rev.Summary = vintry.Summary{Total: decided.total, Created: r.Recreated, Updated: r.Restored,
		Unchanged: r.Unchanged, Failed: decided.skipped, Deleted: r.Deleted}
	if err := tx.FinishRevert(ctx, rev); err != nil {
		return nil, err
	}
	r.Job = rev
	return &r, nil
}

// refuseQueuedRevert ends queued revert job rev as failed at now, for the
// reason err (conflicts: each one is a row error, as the conflicts a revert
// with skip_conflicts leaves).
func refuseQueuedRevert(rev *vintry.ImportJob, err error, now time.Time) {
	rev.Status, rev.CompletedAt, rev.StepsDone = vintry.StatusFailed, &now, len(vintry.JobSteps)
	if rev.StartedAt == nil {
		rev.StartedAt = &now
	}
	rev.Log = append(rev.Log, vintry.ErrorMessage(err)+" Nothing was changed.")
	var verr *vintry.Error
	if errors.As(err, &verr) {
		if content, ok := verr.Content.(map[string]any); ok {
			conflicts, _ := content["conflicts"].([]vintry.RevertConflict)
			for i, c := range conflicts {
				rev.Errors = append(rev.Errors, vintry.RowError{Row: i + 2, Field: "record_id",
					Value: strconv.FormatInt(c.RecordID, 10), Message: conflictMessage(&c)})
			}
		}
	}
	rev.Summary = vintry.Summary{Total: len(rev.Errors), Failed: len(rev.Errors)}
}

// decideRevert plans every chunk without writing: the counts, the
// conflicts, and whether they refuse the revert.
func decideRevert(ctx context.Context, tx RevertTx, jobID int64, ids []int64, opts vintry.RevertOptions, chunk int) (*revertTally, error) {
	t := &revertTally{}
	var masterData error // reported after the conflicts, as one plan does
	look := opts
	look.Preview = true // conflicts are counted, not refused, per chunk
	for part := range chunks(ids, chunk) {
		in, err := tx.RevertInput(ctx, jobID, part)
		if err != nil {
			return nil, err
		}
		plan, err := planRevert(in, look)
		if err != nil && vintry.ErrorCode(err) != vintry.ECONFLICT {
			return nil, err
		} else if err != nil && masterData == nil {
			masterData = err
		}
		t.add(plan)
	}
	if n := len(t.Result.Conflicts); n > 0 && !opts.Force && !opts.SkipConflicts && !opts.Preview {
		return t, &vintry.Error{Code: vintry.ECONFLICT, Message: msgRevertConflicts(n),
			Content: map[string]any{"conflicts": t.Result.Conflicts}}
	}
	return t, masterData
}

// revertTally adds up the plans of a revert's chunks.
type revertTally struct {
	Result         vintry.RevertResult
	total, skipped int
}

func (t *revertTally) add(p *RevertPlan) {
	r := &t.Result
	r.Deleted += p.Result.Deleted
	r.Restored += p.Result.Restored
	r.Recreated += p.Result.Recreated
	r.Unchanged += p.Result.Unchanged
	r.Conflicts = append(r.Conflicts, p.Result.Conflicts...)
	t.total += len(p.Items)
	t.skipped += countSkipped(p)
}

// counts are the tally's figures, for comparing two passes.
func (t *revertTally) counts() [7]int {
	r := t.Result
	return [7]int{r.Deleted, r.Restored, r.Recreated, r.Unchanged, len(r.Conflicts), t.total, t.skipped}
}

// status is the revert job's final status: completed with errors when
// conflicts were left as they are.
func (t *revertTally) status(opts vintry.RevertOptions) vintry.JobStatus {
	if len(t.Result.Conflicts) > 0 && !opts.Force {
		return vintry.StatusCompletedWithErrors
	}
	return vintry.StatusCompleted
}

// chunks yields ids n at a time.
func chunks(ids []int64, n int) func(yield func([]int64) bool) {
	return func(yield func([]int64) bool) {
		for len(ids) > 0 {
			c := ids[:min(n, len(ids))]
			ids = ids[len(c):]
			if !yield(c) {
				return
			}
		}
	}
}

// revertSpool writes a revert's four files to temporary files as its
// chunks are written.
type revertSpool struct {
	input, staging, output, errs *spoolFile
}

func newRevertSpool() (*revertSpool, error) {
	s := &revertSpool{}
	var err error
	for _, f := range []struct {
		dst    **spoolFile
		header []string
	}{
		{&s.input, revertInputHeader()}, {&s.staging, revertStagingHeader()},
		{&s.output, revertOutputHeader()}, {&s.errs, revertErrorsHeader},
	} {
		if *f.dst, err = newSpoolFile(f.header); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

func (s *revertSpool) add(line int, it RevertItem) error {
	rows := revertRows(line, it)
	for _, w := range []struct {
		f   *spoolFile
		row []string
	}{{s.input, rows.input}, {s.staging, rows.staging}, {s.output, rows.output}, {s.errs, rows.errs}} {
		if w.row != nil {
			if err := w.f.sheet.Row(w.row); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *revertSpool) byKind() map[vintry.FileKind]*spoolFile {
	return map[vintry.FileKind]*spoolFile{vintry.FileInput: s.input, vintry.FileStaging: s.staging,
		vintry.FileOutput: s.output, vintry.FileErrors: s.errs}
}

func (s *revertSpool) close() {
	for _, f := range []*spoolFile{s.input, s.staging, s.output, s.errs} {
		if f != nil {
			f.close()
		}
	}
}

// spoolFile is a CSV sheet written to a temporary file, removed on close.
type spoolFile struct {
	file  *os.File
	buf   *bufio.Writer
	sheet *importer.Sheet
}

func newSpoolFile(header []string) (*spoolFile, error) {
	f, err := os.CreateTemp("", "vintry-revert-*.csv")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // gone once closed, whatever happens
	s := &spoolFile{file: f, buf: bufio.NewWriter(f)}
	s.sheet = importer.NewSheet(s.buf, header)
	return s, nil
}

// reader finishes the sheet and returns its content from the start.
func (s *spoolFile) reader() (io.Reader, error) {
	if err := s.sheet.Flush(); err != nil {
		return nil, err
	}
	if err := s.buf.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return bufio.NewReader(s.file), nil
}

func (s *spoolFile) close() { s.file.Close() }
