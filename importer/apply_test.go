package importer_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// fakeWriter is a fakeStore that also writes, as the SQL stores do: ids in
// write order, last_job_id stamps, one history entry (the state before) per
// record updated by the job, and a savepoint.
type fakeWriter struct {
	*fakeStore
	t       *testing.T
	jobID   int64
	nextID  int64
	history map[int64]importer.Record // record id → its state before the job changed it
	saved   *fakeWriter
}

func (w *fakeWriter) ApplyWrites(ctx context.Context, writes []importer.Write) error {
	for _, wr := range writes {
		rec := importer.Record{ID: wr.RecordID, Quantity: wr.Quantity, UOMID: wr.UOMID, LastJobID: w.jobID}
		switch {
		case wr.RecordID == 0:
			if _, ok := w.records[wr.Key]; ok {
				w.t.Fatalf("create of existing key %+v", wr.Key)
			}
			w.nextID++
			rec.ID = w.nextID
		case w.records[wr.Key].ID != wr.RecordID || !reflect.DeepEqual(w.records[wr.Key], *wr.Old):
			w.t.Fatalf("update of %+v from %+v, stored %+v", wr.Key, *wr.Old, w.records[wr.Key])
		case wr.Old.LastJobID != w.jobID:
			if _, ok := w.history[wr.RecordID]; ok {
				w.t.Fatalf("second change of record %d by the job", wr.RecordID)
			}
			w.history[wr.RecordID] = *wr.Old
		}
		w.records[wr.Key] = rec
	}
	return nil
}

func (w *fakeWriter) Savepoint(ctx context.Context) error {
	if w.saved != nil {
		w.t.Fatal("second savepoint")
	}
	w.saved = &fakeWriter{nextID: w.nextID, history: maps.Clone(w.history),
		fakeStore: &fakeStore{records: maps.Clone(w.records)}}
	return nil
}

func (w *fakeWriter) RollbackToSavepoint(ctx context.Context) error {
	if w.saved == nil {
		w.t.Fatal("rollback without a savepoint")
	}
	w.nextID, w.history, w.records = w.saved.nextID, w.saved.history, w.saved.records
	return nil
}

// applyResult is what an import did: its outcome, every row's result, and
// the store after it.
type applyResult struct {
	Status  vintry.JobStatus
	Summary vintry.Summary
	Errors  []vintry.RowError
	Results []vintry.RowResult
	Records map[importer.Key]string
	History map[int64]string
}

func runApply(t *testing.T, chunk int, args vintry.ImportArgs, stored map[importer.Key]importer.Record, rows []vintry.ImportRow) applyResult {
	t.Helper()
	defer func(old int) { importer.ChunkRows = old }(importer.ChunkRows)
	importer.ChunkRows = chunk
	w := &fakeWriter{fakeStore: newFakeStore(), t: t, jobID: 99, nextID: 1000, history: map[int64]importer.Record{}}
	w.records = maps.Clone(stored)
	o, err := importer.Apply(context.Background(), w, args, importer.SliceSource(rows))
	if err != nil {
		t.Fatal(err)
	}
	res := applyResult{Status: o.Status, Summary: o.Summary, Errors: o.Errors,
		Records: map[importer.Key]string{}, History: map[int64]string{}}
	for i := range o.Rows() {
		res.Results = append(res.Results, o.Result(i))
	}
	for k, r := range w.records {
		res.Records[k] = fmt.Sprintf("%d %s %d job %d", r.ID, r.Quantity, r.UOMID, r.LastJobID)
	}
	for id, r := range w.history {
		res.History[id] = fmt.Sprintf("%s %d", r.Quantity, r.UOMID)
	}
	return res
}

// TestApplyChunksDecideAsOne checks, over random imports, that deciding and
// writing the rows a few at a time gives the outcome, row results, records
// and history of deciding them all at once; and that an import that must
// write nothing leaves the store as it was, however many chunks it wrote.
func TestApplyChunksDecideAsOne(t *testing.T) {
	s := newFakeStore()
	var keys []importer.Key
	var keyRows []in
	for _, item := range []string{"ZAMNVCAS19", "CAB 2019", "Rosé 2022"} {
		for _, date := range []string{"2023-08-01", "2024-02-29"} {
			k := in{item, "SS-01", "FG-GEN-LOT", date}
			keyRows = append(keyRows, k)
			keys = append(keys, s.key(t, k[0], k[1], k[2], k[3]))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 400 {
		args := vintry.ImportArgs{AllowRecordCreation: rng.IntN(4) > 0, AllowRecordUpdate: rng.IntN(4) > 0,
			ShouldContinueOnError: rng.IntN(2) == 0, DryRun: rng.IntN(5) == 0}
		stored := map[importer.Key]importer.Record{}
		for i, k := range keys {
			if rng.IntN(2) == 0 {
				stored[k] = importer.Record{ID: int64(i + 1), Quantity: decimal.NewFromInt(int64(rng.IntN(3) + 1)), UOMID: 30, LastJobID: 1}
			}
		}
		rows := make([]vintry.ImportRow, rng.IntN(12)+1)
		for i := range rows {
			v := row(keyRows[rng.IntN(len(keyRows))], fmt.Sprint(rng.IntN(3)+1), []string{"gal", "L", "Gallon"}[rng.IntN(3)])
			switch rng.IntN(12) {
			case 0:
				v[vintry.ColQuantity] = "x"
			case 1:
				v[vintry.ColItem] = "Nope"
			}
			rows[i] = vintry.ImportRow{Line: i + 2, Values: v}
		}
		whole := runApply(t, len(rows), args, stored, rows)
		for _, chunk := range []int{1, 2, 3} {
			got := runApply(t, chunk, args, stored, rows)
			if !reflect.DeepEqual(got, whole) {
				t.Fatalf("import %d (%+v) in chunks of %d:\n got %+v\nwant %+v", iter, args, chunk, got, whole)
			}
		}
		if whole.Status == vintry.StatusFailed || args.DryRun {
			before := runApply(t, 1, args, stored, nil)
			if !reflect.DeepEqual(whole.Records, before.Records) || len(whole.History) > 0 {
				t.Fatalf("import %d (%+v) wrote %+v, history %+v", iter, args, whole.Records, whole.History)
			}
		}
	}
}

// TestSliceSourceRunsAgain checks that a SliceSource yields the same rows,
// in chunks of ChunkRows, every time it runs.
func TestSliceSourceRunsAgain(t *testing.T) {
	defer func(old int) { importer.ChunkRows = old }(importer.ChunkRows)
	importer.ChunkRows = 2
	rows := []vintry.ImportRow{{Line: 1}, {Line: 2}, {Line: 3}}
	src := importer.SliceSource(rows)
	for run := range 2 {
		var sizes []int
		var lines []int
		if err := src(func(chunk []vintry.ImportRow) error {
			sizes = append(sizes, len(chunk))
			for _, r := range chunk {
				lines = append(lines, r.Line)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sizes, []int{2, 1}) || !reflect.DeepEqual(lines, []int{1, 2, 3}) {
			t.Errorf("run %d: chunks %v, lines %v", run, sizes, lines)
		}
	}
}
