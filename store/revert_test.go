package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

const job = 10 // the job being reverted

var key = RevertKey{ItemID: 1, BinID: 2, LotID: 3, DateFilled: "2024-01-01", Item: "124", Bin: "SS-01", Lot: "LOT"}

func st(q string) *RevertState {
	return &RevertState{Quantity: decimal.RequireFromString(q), UOMID: 1, UOM: "gal"}
}

func ch(id, record int64, op string, old, new *RevertState, by int64) RevertChange {
	return RevertChange{ID: id, RecordID: record, Key: key, Op: op, Old: old, New: new, JobID: by, RecordJobID: 5}
}

func cur(id int64, q string, createdBy int64) RevertRecord {
	return RevertRecord{ID: id, Key: key, State: *st(q), CreatedJobID: createdBy, LastJobID: createdBy}
}

// TestPlanRevert decides the revert of one record in each situation: what
// the job did, what happened since, and each option.
func TestPlanRevert(t *testing.T) {
	tests := []struct {
		name string
		in   RevertInput
		// conflict is "" or "<change> by <job>" (job 0: batch delete).
		conflict string
		// action per mode: default (only without conflict), skip, force.
		action, skip, force string
		occupant            bool // force deletes another record at the key first
	}{
		{name: "created, untouched since",
			in:     RevertInput{Created: []int64{7}, Current: []RevertRecord{cur(7, "5", job)}},
			action: ActionDelete, skip: ActionDelete, force: ActionDelete},
		{name: "created, updated later",
			in: RevertInput{Created: []int64{7}, Changes: []RevertChange{ch(1, 7, "update", st("5"), st("6"), 11)},
				Current: []RevertRecord{cur(7, "6", job)}},
			conflict: "updated by 11", skip: ActionDelete + " skipped", force: ActionDelete},
		{name: "created, batch-deleted later",
			in:       RevertInput{Created: []int64{7}, Changes: []RevertChange{ch(1, 7, "delete", st("5"), nil, 0)}},
			conflict: "deleted by 0", skip: ActionNone + " skipped", force: ActionNone},
		{name: "updated, untouched since",
			in:     RevertInput{Changes: []RevertChange{ch(1, 7, "update", st("5"), st("6"), job)}, Current: []RevertRecord{cur(7, "6", 3)}},
			action: ActionUpdate, skip: ActionUpdate, force: ActionUpdate},
		{name: "updated, updated later",
			in: RevertInput{Changes: []RevertChange{ch(1, 7, "update", st("5"), st("6"), job), ch(2, 7, "update", st("6"), st("8"), 12)},
				Current: []RevertRecord{cur(7, "8", 3)}},
			conflict: "updated by 12", skip: ActionUpdate + " skipped", force: ActionUpdate},
		{name: "updated, changed before the job only",
			in: RevertInput{Changes: []RevertChange{ch(1, 7, "update", st("4"), st("5"), 9), ch(2, 7, "update", st("5"), st("6"), job)},
				Current: []RevertRecord{cur(7, "6", 3)}},
			action: ActionUpdate, skip: ActionUpdate, force: ActionUpdate},
		{name: "updated, batch-deleted later",
			in:       RevertInput{Changes: []RevertChange{ch(1, 7, "update", st("5"), st("6"), job), ch(2, 7, "delete", st("6"), nil, 0)}},
			conflict: "deleted by 0", skip: ActionRestore + " skipped", force: ActionRestore},
		{name: "deleted (by a revert), key free",
			in:     RevertInput{Changes: []RevertChange{ch(1, 7, "delete", st("5"), nil, job)}},
			action: ActionRestore, skip: ActionRestore, force: ActionRestore},
		{name: "deleted, key taken by a later record",
			in:       RevertInput{Changes: []RevertChange{ch(1, 7, "delete", st("5"), nil, job)}, Current: []RevertRecord{cur(8, "9", 13)}},
			conflict: "created by 13", skip: ActionRestore + " skipped", force: ActionRestore, occupant: true},
		{name: "deleted, restored later",
			in: RevertInput{Changes: []RevertChange{ch(1, 7, "delete", st("5"), nil, job), ch(2, 7, "restore", nil, st("5"), 14)},
				Current: []RevertRecord{cur(7, "5", 3)}},
			conflict: "restored by 14", skip: ActionNone + " skipped", force: ActionNone},
		{name: "restored (by a revert of a revert)",
			in:     RevertInput{Changes: []RevertChange{ch(1, 7, "delete", st("5"), nil, 9), ch(2, 7, "restore", nil, st("5"), job)}, Current: []RevertRecord{cur(7, "5", 3)}},
			action: ActionDelete, skip: ActionDelete, force: ActionDelete},
		{name: "record not as the job left it, no history",
			in:       RevertInput{Changes: []RevertChange{ch(1, 7, "update", st("5"), st("6"), job)}, Current: []RevertRecord{cur(7, "7", 3)}},
			conflict: "updated by 3", skip: ActionUpdate + " skipped", force: ActionUpdate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.JobID = job
			for _, mode := range []struct {
				name string
				opts vintry.RevertOptions
				want string
			}{{"default", vintry.RevertOptions{}, tt.action}, {"skip", vintry.RevertOptions{SkipConflicts: true}, tt.skip},
				{"force", vintry.RevertOptions{Force: true}, tt.force}} {
				plan, err := planRevert(tt.in, mode.opts)
				if mode.name == "default" && tt.conflict != "" {
					if vintry.ErrorCode(err) != vintry.ECONFLICT || vintry.ErrorMessage(err) != msgRevertConflicts(1) {
						t.Errorf("default: err = %v, want the conflict", err)
					}
					continue
				}
				if err != nil || len(plan.Items) != 1 {
					t.Fatalf("%s: %v, %+v", mode.name, err, plan)
				}
				it := plan.Items[0]
				got := it.Action
				if it.Skipped {
					got += " skipped"
				}
				if got != mode.want || it.RecordID != 7 {
					t.Errorf("%s: action %q, want %q", mode.name, got, mode.want)
				}
				if conflict := conflictText(it.Conflict); conflict != tt.conflict {
					t.Errorf("%s: conflict %q, want %q", mode.name, conflict, tt.conflict)
				}
				deletes, _, _ := plan.Writes()
				if hasOcc := len(deletes) > 0 && deletes[0] == 8; hasOcc != (tt.occupant && mode.name == "force") {
					t.Errorf("%s: deletes %v", mode.name, deletes)
				}
				wantStatus := vintry.StatusCompleted
				if tt.conflict != "" && mode.name == "skip" {
					wantStatus = vintry.StatusCompletedWithErrors
				}
				if plan.Status != wantStatus {
					t.Errorf("%s: status %s, want %s", mode.name, plan.Status, wantStatus)
				}
			}
		})
	}
}

// TestPlanRevertOfForcedRevert reverts a revert that deleted the record
// holding a key and restored the one it had replaced: the record it
// restored is deleted again first, and the one it deleted comes back
// without a conflict.
func TestPlanRevertOfForcedRevert(t *testing.T) {
	in := RevertInput{JobID: job, Changes: []RevertChange{
		ch(1, 7, "delete", st("5"), nil, 9),    // job 9 deleted 7
		ch(2, 8, "delete", st("6"), nil, job),  // the forced revert deleted 8, which held the key
		ch(3, 7, "restore", nil, st("5"), job), // and restored 7
	}, Current: []RevertRecord{cur(7, "5", 3)}}
	plan, err := planRevert(in, vintry.RevertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deletes, updates, restores := plan.Writes()
	if fmt.Sprint(deletes) != "[7]" || len(updates) != 0 || len(restores) != 1 || restores[0].RecordID != 8 ||
		len(plan.Result.Conflicts) != 0 || plan.Result.Deleted != 1 || plan.Result.Recreated != 1 {
		t.Errorf("deletes %v, restores %+v, result %+v", deletes, restores, plan.Result)
	}
}

// TestPlanRevertMissingMasterData refuses to re-create a record whose UOM
// was deleted since.
func TestPlanRevertMissingMasterData(t *testing.T) {
	gone := st("5")
	gone.UOM = ""
	in := RevertInput{JobID: job, Changes: []RevertChange{ch(1, 7, "delete", gone, nil, job)}}
	_, err := planRevert(in, vintry.RevertOptions{})
	if vintry.ErrorCode(err) != vintry.ECONFLICT || !strings.Contains(vintry.ErrorMessage(err), "record 7 cannot be restored") {
		t.Errorf("err = %v", err)
	}
}

func conflictText(c *vintry.RevertConflict) string {
	if c == nil {
		return ""
	}
	by := int64(0)
	if c.ChangedByJobID != nil {
		by = *c.ChangedByJobID
	}
	return fmt.Sprintf("%s by %d", c.Change, by)
}

// TestPlanRevertCountsAndFiles checks a plan's counts, its revert job and
// its files for a job that created, updated and (as a revert) deleted.
func TestPlanRevertCountsAndFiles(t *testing.T) {
	other := key
	other.DateFilled = "2024-02-02"
	in := RevertInput{JobID: job, Created: []int64{1},
		Changes: []RevertChange{ch(1, 2, "update", st("5"), st("6"), job), ch(2, 3, "update", st("1"), st("2"), job),
			ch(3, 3, "update", st("2"), st("3"), 20)},
		Current: []RevertRecord{cur(1, "1", job), cur(2, "6", 3), cur(3, "3", 3)}}
	in.Current[0].Key = other
	plan, err := planRevert(in, vintry.RevertOptions{SkipConflicts: true})
	if err != nil {
		t.Fatal(err)
	}
	r := plan.Result
	if r.Deleted != 1 || r.Restored != 1 || r.Recreated != 0 || len(r.Conflicts) != 1 || r.Conflicts[0].RecordID != 3 {
		t.Fatalf("result %+v", r)
	}
	files, err := revertJobFiles(plan)
	if err != nil {
		t.Fatal(err)
	}
	want := "line,record_id,item_name,bin_name,lot_name,date_filled,quantity_now,uom_now,quantity_reverted,uom_reverted,action,result,message\n" +
		"2,1,124,SS-01,LOT,2024-02-02,1,gal,,,delete,reverted,\n" +
		"3,2,124,SS-01,LOT,2024-01-01,6,gal,5,gal,update,reverted,\n" +
		"4,3,124,SS-01,LOT,2024-01-01,3,gal,1,gal,update,conflict,The record was updated later by job 20\n"
	if string(files.Output) != want {
		t.Errorf("output file:\n%s\nwant\n%s", files.Output, want)
	}
	if string(files.Errors) != "line,field,value,message,hint\n4,record_id,3,The record was updated later by job 20,\n" {
		t.Errorf("errors file:\n%s", files.Errors)
	}
}

// TestRevertFilesAreSafeForSpreadsheets renders the files of a revert whose
// record has names a spreadsheet would run as formulas: no cell of any of
// the four files may start with =, +, -, @, tab or CR unless it is a number.
func TestRevertFilesAreSafeForSpreadsheets(t *testing.T) {
	k := key
	k.Item, k.Bin, k.Lot = `=HYPERLINK("http://x","y")`, "+SS-01", "@LOT"
	in := RevertInput{JobID: job, Changes: []RevertChange{ch(1, 7, "update", st("5"), st("6"), job)},
		Current: []RevertRecord{cur(7, "6", 3)}}
	in.Changes[0].Key, in.Current[0].Key = k, k
	in.Current[0].State.UOM, in.Changes[0].Old.UOM, in.Changes[0].New.UOM = "-gal", "-gal", "\tgal"
	plan, err := planRevert(in, vintry.RevertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := revertJobFiles(plan)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"input": files.Input, "staging": files.Staging, "output": files.Output, "errors": files.Errors} {
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, row := range rows {
			for _, cell := range row {
				if importer.SafeCell(cell) != cell {
					t.Errorf("%s file: unsafe cell %q", name, cell)
				}
			}
		}
	}
	if !strings.Contains(string(files.Output), `"'=HYPERLINK(""http://x"",""y"")"`) {
		t.Errorf("output file does not keep the escaped item:\n%s", files.Output)
	}
}

// memRevertTx is a RevertTx over one RevertInput in memory: it hands out
// the input of the records asked for, and records what is written.
type memRevertTx struct {
	in       RevertInput
	rev      *vintry.ImportJob
	deletes  []int64
	updates  []int64
	restores []int64
	files    map[vintry.FileKind]string
	finished bool
}

func (m *memRevertTx) RevertRecordIDs(context.Context, int64) ([]int64, error) {
	seen := map[int64]bool{}
	for _, id := range m.in.Created {
		seen[id] = true
	}
	for _, c := range m.in.Changes {
		if c.JobID == m.in.JobID {
			seen[c.RecordID] = true
		}
	}
	ids := slices.Collect(maps.Keys(seen))
	slices.Sort(ids)
	return ids, nil
}

func (m *memRevertTx) RevertInput(_ context.Context, jobID int64, ids []int64) (RevertInput, error) {
	out := RevertInput{JobID: jobID}
	keys := map[[4]string]bool{}
	for _, c := range m.in.Changes {
		if slices.Contains(ids, c.RecordID) {
			out.Changes = append(out.Changes, c)
			keys[c.Key.ids()] = true
		}
	}
	for _, id := range m.in.Created {
		if slices.Contains(ids, id) {
			out.Created = append(out.Created, id)
		}
	}
	all, _ := m.RevertRecordIDs(context.Background(), jobID)
	for _, r := range m.in.Current {
		if slices.Contains(ids, r.ID) {
			keys[r.Key.ids()] = true
		}
	}
	for _, r := range m.in.Current {
		if keys[r.Key.ids()] {
			r.Touched = slices.Contains(all, r.ID)
			out.Current = append(out.Current, r)
		}
	}
	return out, nil
}

func (m *memRevertTx) InsertRevertJob(_ context.Context, rev *vintry.ImportJob) error {
	rev.ID, m.rev = 99, rev
	return nil
}

func (m *memRevertTx) WriteRevert(_ context.Context, _ *vintry.ImportJob, deletes []int64, updates, restores []RevertItem) error {
	m.deletes = append(m.deletes, deletes...)
	for _, it := range updates {
		m.updates = append(m.updates, it.RecordID)
	}
	for _, it := range restores {
		m.restores = append(m.restores, it.RecordID)
	}
	return nil
}

func (m *memRevertTx) PutRevertFile(_ context.Context, _ *vintry.ImportJob, kind vintry.FileKind, r io.Reader) error {
	b, err := io.ReadAll(r)
	if m.files == nil {
		m.files = map[vintry.FileKind]string{}
	}
	m.files[kind] = string(b)
	return err
}

func (m *memRevertTx) FinishRevert(context.Context, *vintry.ImportJob) error {
	m.finished = true
	return nil
}

// TestRunRevertInChunks runs the revert of TestPlanRevertCountsAndFiles one
// record at a time: the job, its files and its writes are those of the plan
// made at once.
func TestRunRevertInChunks(t *testing.T) {
	other := key
	other.DateFilled = "2024-02-02"
	in := RevertInput{JobID: job, Created: []int64{1},
		Changes: []RevertChange{ch(1, 2, "update", st("5"), st("6"), job), ch(2, 3, "update", st("1"), st("2"), job),
			ch(3, 3, "update", st("2"), st("3"), 20)},
		Current: []RevertRecord{cur(1, "1", job), cur(2, "6", 3)}}
	in.Current[0].Key = other
	whole, err := planRevert(in, vintry.RevertOptions{SkipConflicts: true})
	if err != nil {
		t.Fatal(err)
	}
	files, err := revertJobFiles(whole)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reverted := &vintry.ImportJob{ID: job, TenantID: 1}
	newRev := func() *vintry.ImportJob { return newRevertJob(reverted, 4, time.Unix(0, 0), vintry.StatusProcessing) }

	refused := &memRevertTx{in: in}
	_, err = runRevert(ctx, refused, reverted, newRev(), time.Unix(0, 0), vintry.RevertOptions{}, 1)
	if vintry.ErrorCode(err) != vintry.ECONFLICT || vintry.ErrorMessage(err) != msgRevertConflicts(1) || refused.rev != nil {
		t.Fatalf("without options: %v, revert job %+v", err, refused.rev)
	}
	preview := &memRevertTx{in: in}
	r, err := runRevert(ctx, preview, reverted, newRev(), time.Unix(0, 0), vintry.RevertOptions{Preview: true}, 1)
	if err != nil || r.Job != nil || preview.rev != nil || len(r.Conflicts) != 1 || r.Deleted != 1 || r.Restored != 1 {
		t.Fatalf("preview: %+v, %v, wrote %+v", r, err, preview.rev)
	}

	m := &memRevertTx{in: in}
	r, err = runRevert(ctx, m, reverted, newRev(), time.Unix(0, 0), vintry.RevertOptions{SkipConflicts: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rev := r.Job
	if rev != m.rev || !m.finished || rev.Type != vintry.JobTypeRevert || rev.RevertsJobID != job || rev.UserID != 4 ||
		rev.Status != vintry.StatusCompletedWithErrors || rev.CompletedAt == nil ||
		rev.Summary != (vintry.Summary{Total: 3, Updated: 1, Failed: 1, Deleted: 1}) || len(rev.Errors) != 1 || rev.Errors[0].Row != 4 {
		t.Fatalf("revert job %+v", rev)
	}
	if !slices.Equal(m.deletes, []int64{1}) || !slices.Equal(m.updates, []int64{2}) || len(m.restores) != 0 {
		t.Errorf("wrote deletes %v, updates %v, restores %v", m.deletes, m.updates, m.restores)
	}
	for kind, want := range map[vintry.FileKind][]byte{vintry.FileInput: files.Input, vintry.FileStaging: files.Staging,
		vintry.FileOutput: files.Output, vintry.FileErrors: files.Errors} {
		if m.files[kind] != string(want) {
			t.Errorf("%s file:\n%s\nwant\n%s", kind, m.files[kind], want)
		}
	}
}
