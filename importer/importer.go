// Package importer holds the inventory import rules: it turns input rows and
// the master data and records they refer to into per-row outcomes and the
// writes that apply them. It knows nothing of HTTP or SQL; storage adapters
// supply a Store bound to their transaction and apply the returned Plan.
package importer

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
)

// Row error messages, exactly as the Claret documentation gives them.
const (
	MsgRecordExists     = "Record already exists and updates are not allowed"
	MsgRecordMissing    = "Record does not exist and creation is not allowed"
	MsgItemMissing      = "Item with name '%s' does not exist"
	MsgBinMissing       = "Bin with name '%s' does not exist"
	MsgLotMissing       = "Lot with name '%s' does not exist"
	MsgUOMMissing       = "UOM with name or abbreviation '%s' does not exist"
	MsgHint             = "did you mean '%s'?"
	maxErrorValueLength = 500
)

// Key identifies an inventory record within a tenant.
type Key struct {
	ItemID, BinID, LotID int64
	DateFilled           string
}

// Record is the stored state of an inventory record that matters to an import.
type Record struct {
	ID       int64
	Quantity decimal.Decimal
	UOMID    int64
}

// Names are the distinct master data names an import refers to.
type Names struct {
	Items, Bins, Lots, UOMs []string
}

// Refs resolves names of one kind: Exact maps a name to its id; Folded maps a
// folded name (vintry.FoldName) to an existing name, for hints.
type Refs struct {
	Exact  map[string]int64
	Folded map[string]string
}

// Catalog is the master data an import refers to. UOMs resolve by name first
// (UOMs.Exact), then by abbreviation (UOMAbbrs.Exact).
type Catalog struct {
	Items, Bins, Lots, UOMs, UOMAbbrs Refs
}

// Store loads what an import needs, inside the caller's transaction.
type Store interface {
	// LoadCatalog returns the master data named in names, plus the entries
	// whose folded names match (for hints).
	LoadCatalog(ctx context.Context, names Names) (*Catalog, error)
	// LoadRecords returns the stored records among keys.
	LoadRecords(ctx context.Context, keys []Key) (map[Key]Record, error)
}

// RowOutcome is what the import does with one input row.
type RowOutcome struct {
	Line    int
	Values  [vintry.NumColumns]string // trimmed input values
	Result  vintry.RowResult
	Message string // the row's first error, for failed rows
}

// Write is the net change of one record: a create when RecordID is 0.
type Write struct {
	Key      Key
	RecordID int64
	Quantity decimal.Decimal
	UOMID    int64
	Old      *Record // the state before the import, for updates
}

// Plan is the decided outcome of an import.
type Plan struct {
	Status  vintry.JobStatus
	Summary vintry.Summary
	Errors  []vintry.RowError
	Rows    []RowOutcome
	Writes  []Write // empty when the import must write nothing
}

// Run validates rows and decides, row by row in order, what the import does.
func Run(ctx context.Context, store Store, args vintry.ImportArgs, rows []vintry.ImportRow) (*Plan, error) {
	// The outcomes hold the rows' trimmed values; the parsed rows point at
	// them rather than keep a second copy (for a large file, a third of the
	// importer's memory).
	p := &Plan{Rows: make([]RowOutcome, len(rows))}
	parsed := make([]row, len(rows))
	for i := range rows {
		parsed[i] = parseRow(rows[i], &p.Rows[i])
	}
	cat, err := store.LoadCatalog(ctx, namesOf(parsed))
	if err != nil {
		return nil, err
	}
	for i := range parsed {
		parsed[i].resolve(cat)
	}
	keys, index := keysOf(parsed)
	records, err := store.LoadRecords(ctx, keys)
	if err != nil {
		return nil, err
	}
	decide(p, args, parsed, records, keys, index)
	if len(rows) >= collectAfterRows {
		// The parsed rows, the key list and index and the stored records are
		// garbage now, but the collector's goal was set while they were
		// live: without a collection here, the heap grows to twice that
		// peak during the writes that follow (a 1 M-row job's RSS rose by
		// ~0.4 GB). One collection per large import costs far less.
		parsed, keys, index, records = nil, nil, nil, nil
		runtime.GC()
	}
	return p, nil
}

// collectAfterRows is the size of an import after whose decisions Run runs
// the garbage collector.
const collectAfterRows = 100_000

// row is an input row on its way through the checks.
type row struct {
	line     int
	values   *[vintry.NumColumns]string // = the outcome's Values
	date     string
	quantity decimal.Decimal
	key      Key
	uomID    int64
	errors   []vintry.RowError
}

// parseRow runs the checks of one row that need no database; out receives
// its line and trimmed values.
func parseRow(in vintry.ImportRow, out *RowOutcome) row {
	out.Line = in.Line
	r := row{line: in.Line, values: &out.Values}
	for c := vintry.Column(0); c < vintry.NumColumns; c++ {
		r.values[c] = strings.TrimSpace(in.Values[c])
		switch {
		case in.TypeErrors[c] != "":
			r.fail(c, in.TypeErrors[c], "")
		case r.values[c] == "":
			r.fail(c, fmt.Sprintf("The %s field is required.", c), "")
		}
	}
	if r.ok(vintry.ColDateFilled) {
		var msg string
		if r.date, msg = ParseDate(r.values[vintry.ColDateFilled]); msg != "" {
			r.fail(vintry.ColDateFilled, msg, "")
		}
	}
	if r.ok(vintry.ColQuantity) {
		var msg string
		if r.quantity, msg = ParseQuantity(r.values[vintry.ColQuantity]); msg != "" {
			r.fail(vintry.ColQuantity, msg, "")
		}
	}
	return r
}

// ok reports whether column c has no error so far.
func (r *row) ok(c vintry.Column) bool {
	for _, e := range r.errors {
		if e.Field == c.String() {
			return false
		}
	}
	return true
}

func (r *row) fail(c vintry.Column, msg, hint string) {
	r.errors = append(r.errors, vintry.RowError{
		Row: r.line, Field: c.String(), Value: clip(r.values[c]), Message: msg, Hint: hint,
	})
}

// clip bounds a value echoed in an error (its value and its message), so a
// 10 KB name is not repeated in full in every response and file.
func clip(s string) string {
	if len(s) <= maxErrorValueLength {
		return s
	}
	cut := maxErrorValueLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
