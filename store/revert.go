package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
)

// RevertKey is a record's key, by ids and by names.
type RevertKey struct {
	ItemID, BinID, LotID int64
	DateFilled           string // YYYY-MM-DD
	Item, Bin, Lot       string
}

// ids is the key without its names, for comparison.
func (k RevertKey) ids() [4]string {
	return [4]string{strconv.FormatInt(k.ItemID, 10), strconv.FormatInt(k.BinID, 10), strconv.FormatInt(k.LotID, 10), k.DateFilled}
}

// RevertState is a record's quantity and UOM.
type RevertState struct {
	Quantity decimal.Decimal
	UOMID    int64
	UOM      string
}

func (s *RevertState) equal(o *RevertState) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.Quantity.Equal(o.Quantity) && s.UOMID == o.UOMID
}

// RevertChange is one stored change row (history) of a record.
type RevertChange struct {
	ID              int64
	RecordID        int64
	Key             RevertKey
	Op              string       // update, delete or restore
	Old, New        *RevertState // nil: the record did not exist
	JobID           int64        // 0 for a batch delete
	RecordJobID     int64        // the job that created the record
	RecordCreatedAt time.Time
}

// RevertRecord is a record as it exists now.
type RevertRecord struct {
	ID           int64
	Key          RevertKey
	State        RevertState
	CreatedJobID int64
	LastJobID    int64
	CreatedAt    time.Time
	// Touched: the job being reverted touched this record too (it is then
	// never an occupant, even when its own chunk is another).
	Touched bool
}

// RevertInput is what an engine reads for a revert of JobID: every change
// row of the records the job touched (by id, oldest first), the ids of the
// records it created (known from the records themselves, not a change
// row), and the records that exist now at those records' keys.
type RevertInput struct {
	JobID   int64
	Changes []RevertChange
	Created []int64
	Current []RevertRecord
}

// Revert actions on a record.
const (
	ActionDelete  = "delete"  // the job created it
	ActionUpdate  = "update"  // the job changed it
	ActionRestore = "restore" // the job deleted it: create it again, same id
	ActionNone    = "none"    // it is already as it was before the job
)

// RevertItem is the revert of one record.
type RevertItem struct {
	RecordID int64
	Key      RevertKey
	// JobChange is what the job did (created, updated, deleted, restored),
	// JobBefore and JobAfter the record around it (nil: absent).
	JobChange           string
	JobBefore, JobAfter *RevertState
	Now                 *RevertState // the record now (nil: absent)
	Action              string
	Conflict            *vintry.RevertConflict
	Skipped             bool // a conflict left as it is
	// Occupant is another record now at the key of a record to restore; a
	// forced revert deletes it first.
	Occupant *RevertRecord
	// RecordCreatedAt and RecordJobID are the record's own creation, kept
	// when it is restored.
	RecordCreatedAt time.Time
	RecordJobID     int64
}

// Applied reports whether the revert writes this item.
func (it *RevertItem) Applied() bool { return !it.Skipped && it.Action != ActionNone }

// RevertPlan is the decided revert of a job.
type RevertPlan struct {
	Items  []RevertItem // by record id
	Result vintry.RevertResult
	Status vintry.JobStatus
}

// Writes returns the applied items in the order an engine must write them:
// deletes first (occupants, then records), so restores find their keys
// free, then updates and restores.
func (p *RevertPlan) Writes() (deletes []int64, updates, restores []RevertItem) {
	for _, it := range p.Items {
		if it.Skipped {
			continue
		}
		if it.Occupant != nil && it.Action == ActionRestore {
			deletes = append(deletes, it.Occupant.ID)
		}
	}
	for _, it := range p.Items {
		if !it.Applied() {
			continue
		}
		switch it.Action {
		case ActionDelete:
			deletes = append(deletes, it.RecordID)
		case ActionUpdate:
			updates = append(updates, it)
		case ActionRestore:
			restores = append(restores, it)
		}
	}
	return deletes, updates, restores
}

// planRevert decides the revert of in.JobID. A record is in conflict when a
// change row of it follows the job's own change (any update, delete or
// restore by anyone else), or when the job deleted it and another record
// now has its key, or when it is not as the job left it. Without Force or
// SkipConflicts (or Preview), conflicts refuse the revert: ECONFLICT with
// the conflicts as the error's content, nothing to write.
func planRevert(in RevertInput, opts vintry.RevertOptions) (*RevertPlan, error) {
	byRecord := map[int64][]RevertChange{}
	for _, c := range in.Changes {
		byRecord[c.RecordID] = append(byRecord[c.RecordID], c)
	}
	current := map[int64]RevertRecord{}
	atKey := map[[4]string]RevertRecord{}
	for _, r := range in.Current {
		current[r.ID] = r
		atKey[r.Key.ids()] = r
	}
	ids := map[int64]bool{}
	for _, id := range in.Created {
		ids[id] = true
	}
	for _, c := range in.Changes {
		if c.JobID == in.JobID {
			ids[c.RecordID] = true
		}
	}
	plan := &RevertPlan{Status: vintry.StatusCompleted}
	for id := range ids {
		it, ok := planItem(in.JobID, id, byRecord[id], current, atKey, ids)
		if !ok {
			continue
		}
		plan.Items = append(plan.Items, it)
	}
	sort.Slice(plan.Items, func(i, j int) bool { return plan.Items[i].RecordID < plan.Items[j].RecordID })
	if err := plan.decide(opts); err != nil {
		return plan, err
	}
	return plan, plan.checkMasterData()
}

// checkMasterData refuses to re-create a record whose item, bin, lot or
// UOM was deleted since (history keeps ids, the names are gone).
func (p *RevertPlan) checkMasterData() error {
	for _, it := range p.Items {
		if it.Applied() && (it.Action == ActionRestore || it.Action == ActionUpdate) &&
			(it.Key.Item == "" || it.Key.Bin == "" || it.Key.Lot == "" || it.JobBefore.UOM == "") {
			return vintry.Errorf(vintry.ECONFLICT,
				"The import cannot be reverted: record %d cannot be restored because its item, bin, lot or UOM no longer exists.", it.RecordID)
		}
	}
	return nil
}

// planItem describes the job's change of record id and what undoing it
// takes; false when the record is unknown (no change row, not current).
// Another record at its key is an occupant unless the job itself touched
// it (a forced revert put it there): the revert deletes it anyway.
func planItem(jobID, id int64, changes []RevertChange, current map[int64]RevertRecord, atKey map[[4]string]RevertRecord,
	touched map[int64]bool) (RevertItem, bool) {
	it := RevertItem{RecordID: id}
	now, exists := current[id]
	if exists {
		it.Now = &now.State
		it.Key, it.RecordCreatedAt, it.RecordJobID = now.Key, now.CreatedAt, now.CreatedJobID
	}
	first, last := -1, -1
	for i, c := range changes {
		it.Key, it.RecordCreatedAt, it.RecordJobID = c.Key, c.RecordCreatedAt, c.RecordJobID
		if c.JobID == jobID {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if !exists && len(changes) == 0 {
		return it, false
	}
	var later []RevertChange
	if first < 0 {
		// The job created the record: its first state is the one before the
		// first change, or the current one.
		it.JobChange = "created"
		if len(changes) > 0 {
			it.JobAfter = changes[0].Old
		} else {
			it.JobAfter = it.Now
		}
		later = changes
	} else {
		it.JobBefore, it.JobAfter = changes[first].Old, changes[last].New
		it.JobChange = changeEvent(changes[first].Op)
		later = changes[last+1:]
	}
	if n := len(later); n > 0 {
		it.Conflict = it.conflict(later[n-1].JobID, changeEvent(later[n-1].Op))
	} else if occ, ok := atKey[it.Key.ids()]; ok && occ.ID != id && !touched[occ.ID] && !occ.Touched && it.JobAfter == nil {
		it.Conflict = it.conflict(occ.CreatedJobID, "created")
	} else if !it.JobAfter.equal(it.Now) {
		// History and record disagree: treat the record as changed since.
		last := int64(0)
		if exists {
			last = now.LastJobID
		}
		it.Conflict = it.conflict(last, "updated")
	}
	target := it.JobBefore
	switch {
	case target == nil && it.Now == nil, target != nil && target.equal(it.Now):
		it.Action = ActionNone
	case target == nil:
		it.Action = ActionDelete
	case it.Now != nil:
		it.Action = ActionUpdate
	default:
		it.Action = ActionRestore
		if occ, ok := atKey[it.Key.ids()]; ok && occ.ID != id && !touched[occ.ID] && !occ.Touched {
			it.Occupant = &occ
		}
	}
	return it, true
}

func (it *RevertItem) conflict(jobID int64, change string) *vintry.RevertConflict {
	c := &vintry.RevertConflict{RecordID: it.RecordID, ItemName: it.Key.Item, BinName: it.Key.Bin, LotName: it.Key.Lot,
		DateFilled: it.Key.DateFilled, Change: change}
	if jobID != 0 {
		c.ChangedByJobID = &jobID
	}
	return c
}

// changeEvent names a change op as history does.
func changeEvent(op string) string {
	switch op {
	case "delete":
		return "deleted"
	case "restore":
		return "restored"
	}
	return "updated"
}

// decide applies the options to the conflicts and counts the result.
func (p *RevertPlan) decide(opts vintry.RevertOptions) error {
	r := &p.Result
	for i := range p.Items {
		it := &p.Items[i]
		if it.Conflict != nil {
			r.Conflicts = append(r.Conflicts, *it.Conflict)
			it.Skipped = !opts.Force
		}
	}
	if len(r.Conflicts) > 0 && !opts.Force && !opts.SkipConflicts && !opts.Preview {
		return &vintry.Error{Code: vintry.ECONFLICT, Message: msgRevertConflicts(len(r.Conflicts)),
			Content: map[string]any{"conflicts": r.Conflicts}}
	}
	if len(r.Conflicts) > 0 && !opts.Force {
		p.Status = vintry.StatusCompletedWithErrors
	}
	for _, it := range p.Items {
		switch {
		case it.Skipped:
		case it.Action == ActionDelete:
			r.Deleted++
		case it.Action == ActionUpdate:
			r.Restored++
		case it.Action == ActionRestore:
			r.Recreated++
			if it.Occupant != nil {
				r.Deleted++
			}
		default:
			r.Unchanged++
		}
	}
	return nil
}

// msgRevertConflicts is the 409 message of a revert refused for conflicts.
func msgRevertConflicts(n int) string {
	if n == 1 {
		return "The import cannot be reverted: 1 record was changed after it."
	}
	return fmt.Sprintf("The import cannot be reverted: %d records were changed after it.", n)
}

// countSkipped counts the conflicts a revert left as they are.
func countSkipped(plan *RevertPlan) int {
	n := 0
	for _, it := range plan.Items {
		if it.Skipped {
			n++
		}
	}
	return n
}

func conflictMessage(c *vintry.RevertConflict) string {
	by := "a batch delete"
	if c.ChangedByJobID != nil {
		by = fmt.Sprintf("job %d", *c.ChangedByJobID)
	}
	if c.Change == "created" {
		return fmt.Sprintf("Another record with this key was created later by %s", by)
	}
	return fmt.Sprintf("The record was %s later by %s", c.Change, by)
}

var revertKeyHeader = []string{"line", "record_id", "item_name", "bin_name", "lot_name", "date_filled"}

func revertInputHeader() []string {
	return append(revertKeyHeader[:6:6], "change", "quantity_before", "uom_before", "quantity_after", "uom_after")
}

func revertStagingHeader() []string {
	return append(revertKeyHeader[:6:6], "quantity_now", "uom_now", "quantity_reverted", "uom_reverted", "action")
}

func revertOutputHeader() []string { return append(revertStagingHeader(), "result", "message") }

var revertErrorsHeader = []string{"line", "field", "value", "message", "hint"}

// revertFileRows are one record's rows in a revert's four files: input, the
// job's change (the record before and after the job); staging, the plan
// (the record now and as it will be); output, staging with the result
// (reverted, unchanged or conflict) and message; errors (nil unless the
// record is a conflict left as it is).
type revertFileRows struct {
	input, staging, output, errs []string
}

func revertRows(line int, it RevertItem) revertFileRows {
	key := []string{strconv.Itoa(line), strconv.FormatInt(it.RecordID, 10), it.Key.Item, it.Key.Bin, it.Key.Lot, it.Key.DateFilled}
	var rows revertFileRows
	rows.input = append(append(key[:6:6], it.JobChange), stateCells(it.JobBefore, it.JobAfter)...)
	rows.staging = append(append(key[:6:6], stateCells(it.Now, it.JobBefore)...), it.Action)
	result, msg := "reverted", ""
	switch {
	case it.Skipped:
		result, msg = "conflict", conflictMessage(it.Conflict)
		rows.errs = []string{key[0], "record_id", key[1], msg, ""}
	case it.Conflict != nil:
		msg = conflictMessage(it.Conflict) + "; overwritten (force)"
	case it.Action == ActionNone:
		result = "unchanged"
	}
	rows.output = append(rows.staging[:len(rows.staging):len(rows.staging)], result, msg)
	return rows
}

func stateCells(a, b *RevertState) []string {
	cells := make([]string, 0, 4)
	for _, s := range []*RevertState{a, b} {
		if s == nil {
			cells = append(cells, "", "")
		} else {
			cells = append(cells, vintry.FormatQuantity(s.Quantity), s.UOM)
		}
	}
	return cells
}

// Cancel sets a pending or processing job cancelled by user userID at now.
func Cancel(job *vintry.ImportJob, userID int64, now time.Time) {
	job.Log = append(job.Log, fmt.Sprintf("Cancelled by user %d while %s; nothing was written.", userID, job.Status))
	job.Status, job.CompletedAt = vintry.StatusCancelled, &now
}

// CancelImportJob implements vintry.JobLifecycle. It locks the job's row,
// as a worker's start and apply transactions do, so it never interleaves
// with them: a job whose changes committed first is finished, and the
// cancel is refused.
func (s *Service) CancelImportJob(ctx context.Context, id int64) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		if job, err = queryJob(ctx, tx, ` WHERE id = ? AND tenant_id = ?`+tx.Dialect.LockRow(), id, tenantID); err != nil {
			return err
		}
		if err := job.CheckCancellable(); err != nil {
			return err
		}
		Cancel(job, tx.Principal.UserID, tx.Now)
		if err := tx.Queue(ctx, `UPDATE import_jobs SET status = ?, completed_at = ?, log = ? WHERE id = ?`,
			string(job.Status), job.CompletedAt, jsonText(nonNil(job.Log)), job.ID); err != nil {
			return err
		}
		// A cancelled queued revert no longer stands for the job it was to
		// revert, which can be reverted again.
		return tx.Queue(ctx, `UPDATE import_jobs SET reverted_by_job_id = NULL WHERE tenant_id = ? AND reverted_by_job_id = ?`,
			tenantID, job.ID)
	})
	return job, err
}
