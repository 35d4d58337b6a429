package importer_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// entry is one master data entry of the fake store.
type entry struct {
	id   int64
	name string
}

// fakeStore is a map-backed importer.Store. Like the SQL stores it returns,
// for every requested name, the entries whose folded name matches, so the
// importer sees exact names and case-only variants and nothing else.
type fakeStore struct {
	items, bins, lots, uomNames, uomAbbrs []entry
	records                               map[importer.Key]importer.Record

	catalogErr error
	gotNames   importer.Names
	gotKeys    []importer.Key
}

// The shared master data. UOM 34 is named "cs" while UOM 35 is abbreviated
// "cs": a UOM value matches a name before an abbreviation.
func newFakeStore() *fakeStore {
	return &fakeStore{
		items:    []entry{{1, "ZAMNVCAS19"}, {2, "CAB 2019"}, {3, "Rosé 2022"}, {4, "Straße"}},
		bins:     []entry{{10, "SS-01"}, {11, "BBL-117"}},
		lots:     []entry{{20, "RM19CASRUT.ZAM"}, {21, "FG-GEN-LOT"}},
		uomNames: []entry{{30, "Gallon"}, {31, "Liter"}, {34, "cs"}, {35, "Case"}},
		uomAbbrs: []entry{{30, "gal"}, {31, "L"}, {34, "CS12"}, {35, "cs"}},
		records:  map[importer.Key]importer.Record{},
	}
}

func (s *fakeStore) LoadCatalog(ctx context.Context, names importer.Names) (*importer.Catalog, error) {
	if s.catalogErr != nil {
		return nil, s.catalogErr
	}
	s.gotNames = names
	return &importer.Catalog{
		Items: refs(s.items, names.Items), Bins: refs(s.bins, names.Bins), Lots: refs(s.lots, names.Lots),
		UOMs: refs(s.uomNames, names.UOMs), UOMAbbrs: refs(s.uomAbbrs, names.UOMs),
	}, nil
}

func refs(entries []entry, names []string) importer.Refs {
	r := importer.Refs{Exact: map[string]int64{}, Folded: map[string]string{}}
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[vintry.FoldName(n)] = true
	}
	for _, e := range entries { // in id order, so the first entry wins the hint
		if f := vintry.FoldName(e.name); wanted[f] {
			r.Exact[e.name] = e.id
			if _, ok := r.Folded[f]; !ok {
				r.Folded[f] = e.name
			}
		}
	}
	return r
}

func (s *fakeStore) LoadRecords(ctx context.Context, keys []importer.Key) (map[importer.Key]importer.Record, error) {
	s.gotKeys = append(s.gotKeys, keys...)
	out := map[importer.Key]importer.Record{}
	for _, k := range keys {
		if r, ok := s.records[k]; ok {
			out[k] = r
		}
	}
	return out, nil
}

// idOf returns the id of the entry named name.
func idOf(t *testing.T, entries []entry, name string) int64 {
	t.Helper()
	for _, e := range entries {
		if e.name == name {
			return e.id
		}
	}
	t.Fatalf("no fake entry %q", name)
	return 0
}

// key builds the key of a record from names, as the fake store knows them.
func (s *fakeStore) key(t *testing.T, item, bin, lot, date string) importer.Key {
	t.Helper()
	return importer.Key{ItemID: idOf(t, s.items, item), BinID: idOf(t, s.bins, bin), LotID: idOf(t, s.lots, lot), DateFilled: date}
}

// in is an input row: item, bin, lot, date_filled, quantity, uom.
type in [vintry.NumColumns]string

// Stored records that test cases may ask for.
var (
	keyA   = in{"ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01"}
	keyB   = in{"CAB 2019", "BBL-117", "FG-GEN-LOT", "2024-02-29"}
	keyNew = in{"Rosé 2022", "SS-01", "FG-GEN-LOT", "2023-01-15"}
)

func row(k in, qty, uom string) in {
	k[vintry.ColQuantity], k[vintry.ColUOM] = qty, uom
	return k
}

// stored is a record in the fake store before the import: record id, key,
// quantity and UOM id.
type stored struct {
	id  int64
	key in
	qty string
	uom int64
}

// wantWrite is an expected net write; recordID 0 is a create, old "" means
// no before-image.
type wantWrite struct {
	key      in
	recordID int64
	qty      string
	uom      int64
	oldQty   string
}

var (
	createUpdate    = vintry.ImportArgs{AllowRecordCreation: true, AllowRecordUpdate: true, ShouldContinueOnError: true}
	createUpdateAll = vintry.ImportArgs{AllowRecordCreation: true, AllowRecordUpdate: true}
	createOnly      = vintry.ImportArgs{AllowRecordCreation: true, ShouldContinueOnError: true}
	updateOnly      = vintry.ImportArgs{AllowRecordUpdate: true, ShouldContinueOnError: true}
)

// runImport runs the importer over rows (lines 1..n) against a fake store
// holding recs.
func runImport(t *testing.T, args vintry.ImportArgs, recs []stored, rows []in) (*importer.Plan, *fakeStore) {
	t.Helper()
	s := newFakeStore()
	for _, r := range recs {
		s.records[s.key(t, r.key[0], r.key[1], r.key[2], r.key[3])] = importer.Record{ID: r.id, Quantity: decimal.RequireFromString(r.qty), UOMID: r.uom}
	}
	input := make([]vintry.ImportRow, len(rows))
	for i, r := range rows {
		input[i] = vintry.ImportRow{Line: i + 1, Values: r}
	}
	plan, err := importer.Run(context.Background(), s, args, input)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return plan, s
}

func checkWrites(t *testing.T, s *fakeStore, got []importer.Write, want []wantWrite) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("writes = %d %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if k := s.key(t, w.key[0], w.key[1], w.key[2], w.key[3]); g.Key != k {
			t.Errorf("write %d: key %+v, want %+v", i, g.Key, k)
		}
		if g.RecordID != w.recordID || vintry.FormatQuantity(g.Quantity) != w.qty || g.UOMID != w.uom {
			t.Errorf("write %d: record %d quantity %s uom %d, want record %d quantity %s uom %d",
				i, g.RecordID, vintry.FormatQuantity(g.Quantity), g.UOMID, w.recordID, w.qty, w.uom)
		}
		switch {
		case w.oldQty == "" && g.Old != nil:
			t.Errorf("write %d: old = %+v, want none", i, *g.Old)
		case w.oldQty != "" && (g.Old == nil || vintry.FormatQuantity(g.Old.Quantity) != w.oldQty || g.Old.ID != w.recordID):
			t.Errorf("write %d: old = %+v, want record %d quantity %s", i, g.Old, w.recordID, w.oldQty)
		}
	}
}

func results(p *importer.Plan) []vintry.RowResult {
	out := make([]vintry.RowResult, len(p.Rows))
	for i, r := range p.Rows {
		out[i] = r.Result
	}
	return out
}

const (
	created    = vintry.ResultCreated
	updated    = vintry.ResultUpdated
	unchanged  = vintry.ResultUnchanged
	failed     = vintry.ResultFailed
	notWritten = vintry.ResultNotWritten
)

func TestRunDecisions(t *testing.T) {
	gal, liter := int64(30), int64(31)
	tests := []struct {
		name    string
		args    vintry.ImportArgs
		stored  []stored
		rows    []in
		status  vintry.JobStatus
		summary vintry.Summary
		results []vintry.RowResult
		errors  []vintry.RowError
		writes  []wantWrite
	}{
		{
			name:    "create new record",
			args:    createUpdate,
			rows:    []in{row(keyA, "5000.000", "gal")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 1, Created: 1},
			results: []vintry.RowResult{created},
			writes:  []wantWrite{{key: keyA, qty: "5000", uom: gal}},
		},
		{
			name:    "update stored record is a snapshot, not an increment",
			args:    createUpdate,
			stored:  []stored{{id: 7, key: keyA, qty: "100", uom: gal}},
			rows:    []in{row(keyA, "40", "gal")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 1, Updated: 1},
			results: []vintry.RowResult{updated},
			writes:  []wantWrite{{key: keyA, recordID: 7, qty: "40", uom: gal, oldQty: "100"}},
		},
		{
			name:    "uom change alone is an update",
			args:    createUpdate,
			stored:  []stored{{id: 7, key: keyA, qty: "100", uom: gal}},
			rows:    []in{row(keyA, "100", "L")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 1, Updated: 1},
			results: []vintry.RowResult{updated},
			writes:  []wantWrite{{key: keyA, recordID: 7, qty: "100", uom: liter, oldQty: "100"}},
		},
		{
			name:    "identical row is unchanged: equal decimals, uom by name or abbreviation",
			args:    createUpdate,
			stored:  []stored{{id: 7, key: keyA, qty: "100.5", uom: gal}, {id: 8, key: keyB, qty: "3", uom: gal}},
			rows:    []in{row(keyA, "100.500000", "Gallon"), row(keyB, "003", "gal")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 2, Unchanged: 2},
			results: []vintry.RowResult{unchanged, unchanged},
		},
		{
			name:    "create-only import: existing record fails",
			args:    createOnly,
			stored:  []stored{{id: 7, key: keyA, qty: "100", uom: gal}},
			rows:    []in{row(keyA, "40", "gal"), row(keyNew, "1", "gal")},
			status:  vintry.StatusCompletedWithErrors,
			summary: vintry.Summary{Total: 2, Created: 1, Failed: 1},
			results: []vintry.RowResult{failed, created},
			errors:  []vintry.RowError{{Row: 1, Message: "Record already exists and updates are not allowed"}},
			writes:  []wantWrite{{key: keyNew, qty: "1", uom: gal}},
		},
		{
			// The spec counts a row identical to the stored record as unchanged;
			// nothing is updated, so a create-only import does not fail it.
			name:    "create-only import: identical existing record is unchanged",
			args:    createOnly,
			stored:  []stored{{id: 7, key: keyA, qty: "100", uom: gal}},
			rows:    []in{row(keyA, "100", "gal")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 1, Unchanged: 1},
			results: []vintry.RowResult{unchanged},
		},
		{
			name:    "update-only import: missing record fails",
			args:    updateOnly,
			stored:  []stored{{id: 7, key: keyA, qty: "100", uom: gal}},
			rows:    []in{row(keyNew, "1", "gal"), row(keyA, "2", "gal")},
			status:  vintry.StatusCompletedWithErrors,
			summary: vintry.Summary{Total: 2, Updated: 1, Failed: 1},
			results: []vintry.RowResult{failed, updated},
			errors:  []vintry.RowError{{Row: 1, Message: "Record does not exist and creation is not allowed"}},
			writes:  []wantWrite{{key: keyA, recordID: 7, qty: "2", uom: gal, oldQty: "100"}},
		},
		{
			name:    "duplicate key: created then updated is one create write with the final quantity",
			args:    createUpdate,
			rows:    []in{row(keyNew, "5", "gal"), row(keyNew, "7.25", "L")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 2, Created: 1, Updated: 1},
			results: []vintry.RowResult{created, updated},
			writes:  []wantWrite{{key: keyNew, qty: "7.25", uom: liter}},
		},
		{
			name:    "duplicate key: second identical occurrence is unchanged",
			args:    createUpdate,
			rows:    []in{row(keyNew, "5", "gal"), row(keyNew, "5.0", "Gallon")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 2, Created: 1, Unchanged: 1},
			results: []vintry.RowResult{created, unchanged},
			writes:  []wantWrite{{key: keyNew, qty: "5", uom: gal}},
		},
		{
			name:    "duplicate key: second occurrence sees the first when updates are not allowed",
			args:    createOnly,
			rows:    []in{row(keyNew, "5", "gal"), row(keyNew, "6", "gal")},
			status:  vintry.StatusCompletedWithErrors,
			summary: vintry.Summary{Total: 2, Created: 1, Failed: 1},
			results: []vintry.RowResult{created, failed},
			errors:  []vintry.RowError{{Row: 2, Message: "Record already exists and updates are not allowed"}},
			writes:  []wantWrite{{key: keyNew, qty: "5", uom: gal}},
		},
		{
			name:    "duplicate key: stored record updated twice is one update from the stored state",
			args:    updateOnly,
			stored:  []stored{{id: 9, key: keyB, qty: "10", uom: gal}},
			rows:    []in{row(keyB, "11", "gal"), row(keyB, "12", "gal")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 2, Updated: 2},
			results: []vintry.RowResult{updated, updated},
			writes:  []wantWrite{{key: keyB, recordID: 9, qty: "12", uom: gal, oldQty: "10"}},
		},
		{
			name:    "duplicate key: a failed first occurrence is not seen by the second",
			args:    updateOnly,
			rows:    []in{row(keyNew, "1", "gal"), row(keyNew, "2", "gal")},
			status:  vintry.StatusCompletedWithErrors,
			summary: vintry.Summary{Total: 2, Failed: 2},
			results: []vintry.RowResult{failed, failed},
			errors: []vintry.RowError{
				{Row: 1, Message: "Record does not exist and creation is not allowed"},
				{Row: 2, Message: "Record does not exist and creation is not allowed"},
			},
		},
		{
			name:    "duplicate key: invalid first occurrence, valid second creates",
			args:    createUpdate,
			rows:    []in{row(keyNew, "0", "gal"), row(keyNew, "2", "gal")},
			status:  vintry.StatusCompletedWithErrors,
			summary: vintry.Summary{Total: 2, Created: 1, Failed: 1},
			results: []vintry.RowResult{failed, created},
			errors:  []vintry.RowError{{Row: 1, Field: "quantity", Value: "0", Message: importer.MsgQuantityPositive}},
			writes:  []wantWrite{{key: keyNew, qty: "2", uom: gal}},
		},
		{
			name:    "writes come in the order keys were first seen",
			args:    createUpdate,
			stored:  []stored{{id: 9, key: keyB, qty: "10", uom: gal}},
			rows:    []in{row(keyNew, "1", "gal"), row(keyB, "2", "gal"), row(keyA, "3", "gal"), row(keyNew, "4", "gal")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 4, Created: 2, Updated: 2},
			results: []vintry.RowResult{created, updated, created, updated},
			writes: []wantWrite{
				{key: keyNew, qty: "4", uom: gal},
				{key: keyB, recordID: 9, qty: "2", uom: gal, oldQty: "10"},
				{key: keyA, qty: "3", uom: gal},
			},
		},
		{
			name:    "continue on error: good rows are written, bad rows skipped",
			args:    createUpdate,
			stored:  []stored{{id: 7, key: keyA, qty: "100", uom: gal}, {id: 8, key: keyB, qty: "3", uom: gal}},
			rows:    []in{row(keyNew, "1", "gal"), row(keyA, "100", "gal"), row(keyB, "4", "gal"), row(keyNew, "x", "gal")},
			status:  vintry.StatusCompletedWithErrors,
			summary: vintry.Summary{Total: 4, Created: 1, Updated: 1, Unchanged: 1, Failed: 1},
			results: []vintry.RowResult{created, unchanged, updated, failed},
			errors:  []vintry.RowError{{Row: 4, Field: "quantity", Value: "x", Message: importer.MsgQuantityFormat}},
			writes: []wantWrite{
				{key: keyNew, qty: "1", uom: gal},
				{key: keyB, recordID: 8, qty: "4", uom: gal, oldQty: "3"},
			},
		},
		{
			name:    "all or nothing: one bad row writes nothing and zeroes the counts",
			args:    createUpdateAll,
			stored:  []stored{{id: 7, key: keyA, qty: "100", uom: gal}, {id: 8, key: keyB, qty: "3", uom: gal}},
			rows:    []in{row(keyNew, "1", "gal"), row(keyA, "100", "gal"), row(keyB, "4", "gal"), row(keyNew, "x", "gal")},
			status:  vintry.StatusFailed,
			summary: vintry.Summary{Total: 4, Failed: 1},
			results: []vintry.RowResult{notWritten, notWritten, notWritten, failed},
			errors:  []vintry.RowError{{Row: 4, Field: "quantity", Value: "x", Message: importer.MsgQuantityFormat}},
		},
		{
			name:    "all or nothing: every row error is still reported",
			args:    createUpdateAll,
			rows:    []in{row(keyNew, "-1", "gal"), row(keyA, "2", "gal"), row(keyB, "1", "pint")},
			status:  vintry.StatusFailed,
			summary: vintry.Summary{Total: 3, Failed: 2},
			results: []vintry.RowResult{failed, notWritten, failed},
			errors: []vintry.RowError{
				{Row: 1, Field: "quantity", Value: "-1", Message: importer.MsgQuantityPositive},
				{Row: 3, Field: "uom", Value: "pint", Message: "UOM with name or abbreviation 'pint' does not exist"},
			},
		},
		{
			name:    "all or nothing without errors writes everything",
			args:    createUpdateAll,
			rows:    []in{row(keyNew, "1", "gal"), row(keyA, "2", "gal")},
			status:  vintry.StatusCompleted,
			summary: vintry.Summary{Total: 2, Created: 2},
			results: []vintry.RowResult{created, created},
			writes:  []wantWrite{{key: keyNew, qty: "1", uom: gal}, {key: keyA, qty: "2", uom: gal}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, s := runImport(t, tt.args, tt.stored, tt.rows)
			if plan.Status != tt.status {
				t.Errorf("status = %s, want %s", plan.Status, tt.status)
			}
			if plan.Summary != tt.summary {
				t.Errorf("summary = %+v, want %+v", plan.Summary, tt.summary)
			}
			if got := results(plan); !reflect.DeepEqual(got, tt.results) {
				t.Errorf("results = %v, want %v", got, tt.results)
			}
			if !reflect.DeepEqual(plan.Errors, tt.errors) {
				t.Errorf("errors = %+v\nwant     %+v", plan.Errors, tt.errors)
			}
			checkWrites(t, s, plan.Writes, tt.writes)
		})
	}
}

func TestRunRowErrors(t *testing.T) {
	long := strings.Repeat("é", 400) // 800 bytes, clipped where it is echoed
	tests := []struct {
		name   string
		row    in
		errors []vintry.RowError // Row is filled in: every case is line 1
	}{
		{
			name: "every required field missing, in column order",
			row:  in{"", " ", "\t", "", "", ""},
			errors: []vintry.RowError{
				{Field: "item_name", Message: "The item_name field is required."},
				{Field: "bin_name", Message: "The bin_name field is required."},
				{Field: "lot_name", Message: "The lot_name field is required."},
				{Field: "date_filled", Message: "The date_filled field is required."},
				{Field: "quantity", Message: "The quantity field is required."},
				{Field: "uom", Message: "The uom field is required."},
			},
		},
		{
			name: "unknown item",
			row:  row(in{"NOPE", "SS-01", "FG-GEN-LOT", "2023-01-01"}, "1", "gal"),
			errors: []vintry.RowError{
				{Field: "item_name", Value: "NOPE", Message: "Item with name 'NOPE' does not exist"},
			},
		},
		{
			name: "unknown bin and lot",
			row:  row(in{"CAB 2019", "SS-99", "LOT-X", "2023-01-01"}, "1", "gal"),
			errors: []vintry.RowError{
				{Field: "bin_name", Value: "SS-99", Message: "Bin with name 'SS-99' does not exist"},
				{Field: "lot_name", Value: "LOT-X", Message: "Lot with name 'LOT-X' does not exist"},
			},
		},
		{
			name: "case-only difference carries a hint",
			row:  row(in{"Cab 2019", "ss-01", "fg-gen-lot", "2023-01-01"}, "1", "GALLON"),
			errors: []vintry.RowError{
				{Field: "item_name", Value: "Cab 2019", Message: "Item with name 'Cab 2019' does not exist", Hint: "did you mean 'CAB 2019'?"},
				{Field: "bin_name", Value: "ss-01", Message: "Bin with name 'ss-01' does not exist", Hint: "did you mean 'SS-01'?"},
				{Field: "lot_name", Value: "fg-gen-lot", Message: "Lot with name 'fg-gen-lot' does not exist", Hint: "did you mean 'FG-GEN-LOT'?"},
				{Field: "uom", Value: "GALLON", Message: "UOM with name or abbreviation 'GALLON' does not exist", Hint: "did you mean 'Gallon'?"},
			},
		},
		{
			name: "case-only difference in non-ASCII letters carries a hint",
			row:  row(in{"rosé 2022", "SS-01", "FG-GEN-LOT", "2023-01-01"}, "1", "gal"),
			errors: []vintry.RowError{
				{Field: "item_name", Value: "rosé 2022", Message: "Item with name 'rosé 2022' does not exist", Hint: "did you mean 'Rosé 2022'?"},
			},
		},
		{
			name: "case-only difference in an accented capital carries a hint",
			row:  row(in{"ROSÉ 2022", "SS-01", "FG-GEN-LOT", "2023-01-01"}, "1", "gal"),
			errors: []vintry.RowError{
				{Field: "item_name", Value: "ROSÉ 2022", Message: "Item with name 'ROSÉ 2022' does not exist", Hint: "did you mean 'Rosé 2022'?"},
			},
		},
		{
			name: "full case folding: STRASSE hints Straße",
			row:  row(in{"STRASSE", "SS-01", "FG-GEN-LOT", "2023-01-01"}, "1", "gal"),
			errors: []vintry.RowError{
				{Field: "item_name", Value: "STRASSE", Message: "Item with name 'STRASSE' does not exist", Hint: "did you mean 'Straße'?"},
			},
		},
		{
			name: "a different accent is not a case-only difference",
			row:  row(in{"Rose 2022", "SS-01", "FG-GEN-LOT", "2023-01-01"}, "1", "gal"),
			errors: []vintry.RowError{
				{Field: "item_name", Value: "Rose 2022", Message: "Item with name 'Rose 2022' does not exist"},
			},
		},
		{
			name: "uom abbreviation in another case hints the abbreviation",
			row:  row(in{"CAB 2019", "SS-01", "FG-GEN-LOT", "2023-01-01"}, "1", "GAL"),
			errors: []vintry.RowError{
				{Field: "uom", Value: "GAL", Message: "UOM with name or abbreviation 'GAL' does not exist", Hint: "did you mean 'gal'?"},
			},
		},
		{
			name: "value is trimmed before matching and in the message",
			row:  row(in{"  Nope  ", "SS-01", "FG-GEN-LOT", "2023-01-01"}, "1", "gal"),
			errors: []vintry.RowError{
				{Field: "item_name", Value: "Nope", Message: "Item with name 'Nope' does not exist"},
			},
		},
		{
			name: "every problem of a row, in column order",
			row:  in{"Nope", "", "FG-GEN-LOT", "2023-02-30", "1e3", "pint"},
			errors: []vintry.RowError{
				{Field: "item_name", Value: "Nope", Message: "Item with name 'Nope' does not exist"},
				{Field: "bin_name", Message: "The bin_name field is required."},
				{Field: "date_filled", Value: "2023-02-30", Message: importer.MsgDateFormat},
				{Field: "quantity", Value: "1e3", Message: importer.MsgQuantityFormat},
				{Field: "uom", Value: "pint", Message: "UOM with name or abbreviation 'pint' does not exist"},
			},
		},
		{
			name: "bad date and quantity",
			row:  row(in{"CAB 2019", "SS-01", "FG-GEN-LOT", "01/02/2023"}, "1,000", "gal"),
			errors: []vintry.RowError{
				{Field: "date_filled", Value: "01/02/2023", Message: importer.MsgDateFormat},
				{Field: "quantity", Value: "1,000", Message: importer.MsgQuantityFormat},
			},
		},
		{
			name: "too many decimal places",
			row:  row(in{"CAB 2019", "SS-01", "FG-GEN-LOT", "2023-01-01"}, "0.1234567", "gal"),
			errors: []vintry.RowError{
				{Field: "quantity", Value: "0.1234567", Message: "The quantity may have at most 6 decimal places."},
			},
		},
		{
			name: "a long value is clipped on a rune boundary",
			row:  row(in{long, "SS-01", "FG-GEN-LOT", "2023-01-01"}, "1", "gal"),
			errors: []vintry.RowError{
				{Field: "item_name", Value: strings.Repeat("é", 250) + "…", Message: "Item with name '" + strings.Repeat("é", 250) + "…' does not exist"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, _ := runImport(t, createUpdate, nil, []in{tt.row})
			for i := range tt.errors {
				tt.errors[i].Row = 1
			}
			if !reflect.DeepEqual(plan.Errors, tt.errors) {
				t.Errorf("errors:\n got %+v\nwant %+v", plan.Errors, tt.errors)
			}
			if plan.Rows[0].Result != failed || plan.Rows[0].Message != tt.errors[0].Message {
				t.Errorf("row = %s %q, want failed %q", plan.Rows[0].Result, plan.Rows[0].Message, tt.errors[0].Message)
			}
			if plan.Summary != (vintry.Summary{Total: 1, Failed: 1}) || len(plan.Writes) != 0 {
				t.Errorf("summary %+v writes %d, want one failed row and no writes", plan.Summary, len(plan.Writes))
			}
		})
	}
}

// TestRunTypeErrors checks that a value of the wrong type (a JSON object for
// a name, say) fails its column with the caller's message and no other check.
func TestRunTypeErrors(t *testing.T) {
	s := newFakeStore()
	r := vintry.ImportRow{Line: 3, Values: row(keyNew, "", "gal"), TypeErrors: map[vintry.Column]string{}}
	r.TypeErrors[vintry.ColQuantity] = "The quantity must be a number or a numeric string."
	r.TypeErrors[vintry.ColItem] = "The item_name must be a string."
	plan, err := importer.Run(context.Background(), s, createUpdate, []vintry.ImportRow{r})
	if err != nil {
		t.Fatal(err)
	}
	want := []vintry.RowError{
		{Row: 3, Field: "item_name", Value: "Rosé 2022", Message: "The item_name must be a string."},
		{Row: 3, Field: "quantity", Message: "The quantity must be a number or a numeric string."},
	}
	if !reflect.DeepEqual(plan.Errors, want) {
		t.Errorf("errors:\n got %+v\nwant %+v", plan.Errors, want)
	}
	if plan.Rows[0].Line != 3 || plan.Rows[0].Result != failed {
		t.Errorf("row = %+v, want line 3 failed", plan.Rows[0])
	}
}

func TestRunUOMMatchesNameBeforeAbbreviation(t *testing.T) {
	tests := []struct {
		uom  string
		want int64
	}{
		{"cs", 34},     // name of 34, abbreviation of 35: the name wins
		{"Case", 35},   // name
		{"CS12", 34},   // abbreviation
		{"L", 31},      // abbreviation
		{"Liter", 31},  // name
		{" gal ", 30},  // trimmed abbreviation
		{"Gallon", 30}, // name
	}
	for _, tt := range tests {
		t.Run(tt.uom, func(t *testing.T) {
			plan, _ := runImport(t, createUpdate, nil, []in{row(keyNew, "1", tt.uom)})
			if len(plan.Writes) != 1 {
				t.Fatalf("writes = %d, errors %+v; want 1", len(plan.Writes), plan.Errors)
			}
			if plan.Writes[0].UOMID != tt.want {
				t.Errorf("uom %q resolved to %d, want %d", tt.uom, plan.Writes[0].UOMID, tt.want)
			}
		})
	}
}

// TestRunRowOutcomes checks the per-row outcome: line, trimmed values and
// the first message in column order.
func TestRunRowOutcomes(t *testing.T) {
	s := newFakeStore()
	rows := []vintry.ImportRow{
		{Line: 2, Values: in{" CAB 2019 ", "SS-01\t", "FG-GEN-LOT", " 2023-01-01", " 12.50 ", " gal"}},
		{Line: 5, Values: in{"CAB 2019", "SS-01", "FG-GEN-LOT", "2023-01-02", "0", "Nope"}},
	}
	plan, err := importer.Run(context.Background(), s, createUpdate, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []importer.RowOutcome{
		{Line: 2, Values: in{"CAB 2019", "SS-01", "FG-GEN-LOT", "2023-01-01", "12.50", "gal"}, Result: created},
		{Line: 5, Values: in{"CAB 2019", "SS-01", "FG-GEN-LOT", "2023-01-02", "0", "Nope"}, Result: failed,
			Message: importer.MsgQuantityPositive},
	}
	if !reflect.DeepEqual(plan.Rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", plan.Rows, want)
	}
	if len(plan.Errors) != 2 || plan.Errors[0].Row != 5 || plan.Errors[1].Row != 5 {
		t.Errorf("errors = %+v, want two errors of row 5", plan.Errors)
	}
	if len(plan.Writes) != 1 || vintry.FormatQuantity(plan.Writes[0].Quantity) != "12.5" {
		t.Errorf("writes = %+v, want one write of 12.5", plan.Writes)
	}
}

// TestRunLoadsDistinctNamesAndValidKeys checks what the importer asks the
// store for: each trimmed name once (also from rows that fail, so they get
// hints), and only the keys of rows that passed every check.
func TestRunLoadsDistinctNamesAndValidKeys(t *testing.T) {
	plan, s := runImport(t, createUpdate, nil, []in{
		row(keyA, "1", "gal"),
		row(in{" ZAMNVCAS19 ", "SS-01", "Nope", "2023-08-01"}, "1", "gal"),
		row(keyA, "2", " gal"),
		row(keyB, "bad", "L"),
	})
	sortAll := func(n importer.Names) importer.Names {
		for _, l := range [][]string{n.Items, n.Bins, n.Lots, n.UOMs} {
			sort.Strings(l)
		}
		return n
	}
	want := importer.Names{
		Items: []string{"CAB 2019", "ZAMNVCAS19"},
		Bins:  []string{"BBL-117", "SS-01"},
		Lots:  []string{"FG-GEN-LOT", "Nope", "RM19CASRUT.ZAM"},
		UOMs:  []string{"L", "gal"},
	}
	if got := sortAll(s.gotNames); !reflect.DeepEqual(got, want) {
		t.Errorf("names = %+v, want %+v", got, want)
	}
	if k := s.key(t, keyA[0], keyA[1], keyA[2], keyA[3]); !reflect.DeepEqual(s.gotKeys, []importer.Key{k}) {
		t.Errorf("keys = %+v, want only %+v", s.gotKeys, k)
	}
	if plan.Summary != (vintry.Summary{Total: 4, Created: 1, Updated: 1, Failed: 2}) {
		t.Errorf("summary = %+v", plan.Summary)
	}
}

func TestRunStoreError(t *testing.T) {
	s := newFakeStore()
	s.catalogErr = errors.New("database is gone")
	_, err := importer.Run(context.Background(), s, createUpdate, []vintry.ImportRow{{Line: 1, Values: row(keyA, "1", "gal")}})
	if !errors.Is(err, s.catalogErr) {
		t.Errorf("Run error = %v, want the store's error", err)
	}
}

// TestRunThousandRows checks a full-size import of distinct keys.
func TestRunThousandRows(t *testing.T) {
	rows := make([]in, 1000)
	for i := range rows {
		k := keyA
		k[vintry.ColDateFilled] = time.Date(2020, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		rows[i] = row(k, fmt.Sprintf("%d.5", i+1), "gal")
	}
	plan, _ := runImport(t, createUpdateAll, nil, rows)
	if plan.Status != vintry.StatusCompleted || plan.Summary.Created != 1000 || len(plan.Writes) != 1000 {
		t.Errorf("status %s summary %+v writes %d, want 1000 creates", plan.Status, plan.Summary, len(plan.Writes))
	}
}
