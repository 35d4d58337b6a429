package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
	"github.com/vintry/vintry/postgres"
	"github.com/vintry/vintry/store"
)

// newTenant creates a tenant with a member and master data (10 bins, items
// and lots, two UOMs), and returns a context acting as the member.
func newTenant(t *testing.T, db *postgres.DB, slug string) context.Context {
	t.Helper()
	ctx := context.Background()
	tn, err := db.CreateTenant(ctx, slug, slug)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(ctx, slug, "member@"+slug+".test", "correct horse battery", vintry.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	ctx = vintry.NewContextWithPrincipal(ctx, vintry.Principal{TenantID: tn.ID, TenantSlug: slug, UserID: u.ID, Role: u.Role})
	upsert := func(k vintry.Kind, entries ...vintry.MasterEntry) {
		t.Helper()
		if _, err := db.UpsertMasterEntries(ctx, k, entries); err != nil {
			t.Fatalf("upsert %s: %v", k, err)
		}
	}
	upsert(vintry.KindLocation, vintry.MasterEntry{Name: "WINERY"})
	upsert(vintry.KindLocationArea, vintry.MasterEntry{Name: "North", ParentName: "WINERY"})
	var bins, items, lots []vintry.MasterEntry
	for i := range 10 {
		bins = append(bins, vintry.MasterEntry{Name: fmt.Sprintf("BIN-%d", i), ParentName: "North"})
		items = append(items, vintry.MasterEntry{Name: fmt.Sprintf("ITEM-%d", i)})
		lots = append(lots, vintry.MasterEntry{Name: fmt.Sprintf("LOT-%d", i)})
	}
	upsert(vintry.KindBin, bins...)
	upsert(vintry.KindItem, items...)
	upsert(vintry.KindLot, lots...)
	upsert(vintry.KindUOM, vintry.MasterEntry{Name: "Gallon", Abbreviation: "gal"}, vintry.MasterEntry{Name: "Liter", Abbreviation: "L"})
	return ctx
}

// importRows returns n rows with distinct keys (first..first+n-1), each of
// quantity qty.
func importRows(first, n int, qty, uom string) []vintry.ImportRow {
	rows := make([]vintry.ImportRow, n)
	for i := range rows {
		k := first + i
		rows[i] = vintry.ImportRow{Line: i + 1, Values: [vintry.NumColumns]string{
			fmt.Sprintf("ITEM-%d", k%10), fmt.Sprintf("BIN-%d", k/10%10), fmt.Sprintf("LOT-%d", k/100%10),
			fmt.Sprintf("2023-01-%02d", 1+k/1000%28), qty, uom,
		}}
	}
	return rows
}

var upsertAll = vintry.ImportArgs{AllowRecordCreation: true, AllowRecordUpdate: true, ShouldContinueOnError: true}

func mustImport(t *testing.T, db *postgres.DB, ctx context.Context, rows []vintry.ImportRow) *vintry.ImportJob {
	t.Helper()
	job, _, err := db.ImportRows(ctx, vintry.ImportRequest{Args: upsertAll, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != vintry.StatusCompleted {
		t.Fatalf("import: %s %+v %v", job.Status, job.Summary, job.Errors)
	}
	return job
}

// TestImportRoundTrips imports 1000 new records, then updates all 1000,
// and counts the round trips of the update (warm connections): loads and
// writes are set-based, so the count does not grow with the rows.
func TestImportRoundTrips(t *testing.T) {
	t.Parallel()
	db, trips := openCounted(t)
	ctx := newTenant(t, db, "trips")
	mustImport(t, db, ctx, importRows(0, 1000, "123456789012345.123456", "gal"))
	before := trips.n.Load()
	job := mustImport(t, db, ctx, importRows(0, 1000, "0.000001", "Liter"))
	n := trips.n.Load() - before
	t.Logf("a 1000-row import that updates every record: %d round trips", n)
	if job.Summary.Updated != 1000 {
		t.Fatalf("summary %+v", job.Summary)
	}
	if n > 15 {
		t.Errorf("1000-row import took %d round trips, want a handful", n)
	}
	records, _, err := db.FindInventory(ctx, vintry.InventoryFilter{}, vintry.PageRequest{PerPage: 1})
	if err != nil || len(records) != 1 {
		t.Fatalf("inventory: %v %v", records, err)
	}
	history, err := db.FindRecordHistory(ctx, records[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, h := range history {
		got += fmt.Sprintf("%s %v %s %v; ", h.Event, h.Quantity, h.UOMName, h.PreviousQuantity)
	}
	want := "created 123456789012345.123456 Gallon <nil>; updated 0.000001 Liter 123456789012345.123456; "
	if got != want {
		t.Errorf("history = %s\nwant      %s", got, want)
	}
}

// TestConcurrentImportsOfOneTenant runs overlapping imports at once: each
// applies whole, as if alone, and none fails for the race.
func TestConcurrentImportsOfOneTenant(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := newTenant(t, db, "race")
	const imports = 8
	jobs := make([]*vintry.ImportJob, imports)
	errs := make([]error, imports)
	var wg sync.WaitGroup
	for i := range imports {
		wg.Go(func() {
			jobs[i], _, errs[i] = db.ImportRows(ctx, vintry.ImportRequest{Args: upsertAll,
				Rows: importRows(i*20, 200, fmt.Sprint(i+1), "gal")})
		})
	}
	wg.Wait()
	created := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("import %d: %v", i, err)
		}
		s := jobs[i].Summary
		if jobs[i].Status != vintry.StatusCompleted || s.Created+s.Updated+s.Unchanged != 200 {
			t.Errorf("import %d: %s %+v", i, jobs[i].Status, s)
		}
		created += s.Created
	}
	_, page, err := db.FindInventory(ctx, vintry.InventoryFilter{}, vintry.PageRequest{PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := 7*20 + 200; created != want || page.Total != want {
		t.Errorf("created %d records, inventory holds %d, want %d each", created, page.Total, want)
	}
}

// TestIdempotencyKeyRaceAcrossMethods sends a JSON import and a CSV upload
// with one key at once: the loser replays or is refused as a mismatch,
// never a conflict or an internal error.
func TestIdempotencyKeyRaceAcrossMethods(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	db.Queue = noQueue{}
	ctx := newTenant(t, db, "idem")
	for i := range 20 {
		key := fmt.Sprintf("key-%d", i)
		var wg sync.WaitGroup
		var jsonErr, csvErr error
		wg.Go(func() {
			_, _, jsonErr = db.ImportRows(ctx, vintry.ImportRequest{Args: upsertAll, Rows: importRows(i, 1, "1", "gal"),
				IdempotencyKey: key, RequestHash: []byte("json")})
		})
		wg.Go(func() {
			_, _, csvErr = db.QueueImport(ctx, vintry.QueueRequest{Args: upsertAll, FileName: "a.csv", File: []byte("x"),
				IdempotencyKey: key, RequestHash: []byte("csv")})
		})
		wg.Wait()
		for _, err := range []error{jsonErr, csvErr} {
			if err != nil && vintry.ErrorMessage(err) != vintry.MsgIdempotencyMismatch {
				t.Fatalf("key %s: %v", key, err)
			}
		}
		if (jsonErr == nil) == (csvErr == nil) {
			t.Fatalf("key %s: json %v, csv %v: want exactly one to win", key, jsonErr, csvErr)
		}
	}
}

// TestJobFinishesOnceWhenRunTwice runs a queued job's start and finish on
// two "nodes" at once (a rescued job whose first run is still alive): the
// job is applied once, and the second run finds it finished.
func TestJobFinishesOnceWhenRunTwice(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	db.Queue = noQueue{}
	ctx := newTenant(t, db, "twice")
	job, _, err := db.QueueImport(ctx, vintry.QueueRequest{Args: upsertAll, FileName: "a.csv", File: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	rows := importRows(0, 100, "7", "gal")
	finished := make([]*vintry.ImportJob, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range finished {
		wg.Go(func() {
			q, err := db.StartImportJob(ctx, job.ID)
			if err != nil || q.Wait {
				errs[i] = fmt.Errorf("start: %v, wait %v", err, q != nil && q.Wait)
				return
			}
			finished[i], errs[i] = db.FinishImportJob(ctx, job.ID, importer.SliceSource(rows), nil,
				func(*store.Tx) error { return nil })
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	final, err := db.FindImportJob(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.Status != vintry.StatusCompleted || final.Summary.Created != 100 {
		t.Errorf("job after two runs: %s %+v, want completed with 100 created (applied once)", final.Status, final.Summary)
	}
}

// TestImportWritesInChunks imports across many write chunks: records are
// created in file order (ids ascending), an update of every record keeps
// its id and writes one history row each, and a mixed import creates and
// updates across chunk boundaries. Not parallel: it changes the chunk size.
func TestImportWritesInChunks(t *testing.T) {
	defer postgres.SetChunkRows(7)()
	db := openDB(t)
	ctx := newTenant(t, db, "chunks")
	mustImport(t, db, ctx, importRows(0, 30, "5", "gal"))
	inventory := func() []vintry.InventoryRecord {
		t.Helper()
		records, _, err := db.FindInventory(ctx, vintry.InventoryFilter{}, vintry.PageRequest{PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		return records
	}
	created := inventory()
	want := importRows(0, 30, "5", "gal")
	if len(created) != 30 {
		t.Fatalf("%d records, want 30", len(created))
	}
	for i, r := range created { // ordered by id: ids follow the file's order
		if r.ItemName != want[i].Values[vintry.ColItem] || r.BinName != want[i].Values[vintry.ColBin] ||
			r.LotName != want[i].Values[vintry.ColLot] || r.Quantity.String() != "5" {
			t.Fatalf("record %d = %+v, want row %v", i, r, want[i].Values)
		}
	}
	job := mustImport(t, db, ctx, importRows(20, 20, "6", "L")) // 10 updates, then 10 creates
	if s := job.Summary; s.Updated != 10 || s.Created != 10 {
		t.Fatalf("summary %+v", s)
	}
	after := inventory()
	if len(after) != 40 {
		t.Fatalf("%d records, want 40", len(after))
	}
	for i, r := range after {
		wantQty := "5"
		if i >= 20 {
			wantQty = "6"
		}
		if r.ID != created[min(i, 29)].ID && i < 30 || r.Quantity.String() != wantQty {
			t.Fatalf("record %d = %+v (qty %s), want id %d qty %s", i, r, r.Quantity, created[min(i, 29)].ID, wantQty)
		}
		history, err := db.FindRecordHistory(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEvents := 1
		if i >= 20 && i < 30 {
			wantEvents = 2 // created, then updated
		}
		if len(history) != wantEvents {
			t.Errorf("record %d: %d history entries, want %d", i, len(history), wantEvents)
		}
	}
}
