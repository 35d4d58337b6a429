// Package importer holds the inventory import rules: it turns input rows and
// the master data and records they refer to into per-row outcomes and the
// writes that apply them. It knows nothing of HTTP or SQL; storage adapters
// supply a Store bound to their transaction and apply the returned Plan.
package importer

import (
	"context"
	"fmt"
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
	// LastJobID is the job that last wrote the record: an import that
	// meets its own earlier write (of an earlier chunk) sees its own id.
	LastJobID int64
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

// Plan is the decided outcome of some rows of an import: of a chunk (see
// Decider.Decide), or of a whole import decided at once (see Run).
type Plan struct {
	Status  vintry.JobStatus // set by Run only
	Summary vintry.Summary
	Errors  []vintry.RowError
	Rows    []RowOutcome
	// Writes are the net changes of the rows, in the order their keys were
	// first seen. Decide returns them whatever the import's final status;
	// Run leaves them empty when the import must write nothing.
	Writes []Write
}

// Run decides rows as one chunk, as an import of just these rows would: its
// plan has the final status, and no writes when it must write nothing. The
// stores run imports with Apply, which also writes; Run shows the rules
// whole.
func Run(ctx context.Context, store Store, args vintry.ImportArgs, rows []vintry.ImportRow) (*Plan, error) {
	d := NewDecider(args)
	p, err := d.Decide(ctx, store, rows)
	if err != nil {
		return nil, err
	}
	o := d.Finish()
	p.Status, p.Summary = o.Status, o.Summary
	if o.Status == vintry.StatusFailed {
		p.Writes = nil
		for i := range p.Rows {
			p.Rows[i].Result = o.Result(i)
		}
	}
	return p, nil
}

// Decider decides an import's rows in order, one chunk after another. Each
// chunk is decided against the store's state, which must include the writes
// of the chunks before it (Apply applies them in between), so a key's rows
// are decided in order however the file is cut. It keeps, across chunks,
// only the counts, the errors and one byte per row.
type Decider struct {
	args    vintry.ImportArgs
	summary vintry.Summary
	errors  []vintry.RowError
	results []byte  // per row: its index in resultCodes
	starts  []int32 // per failed row: the index in errors of its first error
}

// resultCodes are the row results a Decider records, by code.
var resultCodes = []vintry.RowResult{vintry.ResultCreated, vintry.ResultUpdated, vintry.ResultUnchanged, vintry.ResultFailed}

func resultCode(r vintry.RowResult) byte {
	for c, rc := range resultCodes {
		if rc == r {
			return byte(c)
		}
	}
	panic("importer: no code for row result " + string(r))
}

// NewDecider starts deciding an import with args.
func NewDecider(args vintry.ImportArgs) *Decider {
	return &Decider{args: args}
}

// Decide validates the next rows and decides, row by row in order, what the
// import does with them.
func (d *Decider) Decide(ctx context.Context, store Store, rows []vintry.ImportRow) (*Plan, error) {
	// The outcomes hold the rows' trimmed values; the parsed rows point at
	// them rather than keep a second copy.
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
	decide(p, d.args, parsed, records, keys, index)
	d.add(p)
	return p, nil
}

// add counts a decided chunk into the import's totals.
func (d *Decider) add(p *Plan) {
	d.summary.Total += p.Summary.Total
	d.summary.Created += p.Summary.Created
	d.summary.Updated += p.Summary.Updated
	d.summary.Unchanged += p.Summary.Unchanged
	d.summary.Failed += p.Summary.Failed
	next := 0 // the chunk's errors come in row order, each failed row's first
	for i := range p.Rows {
		d.results = append(d.results, resultCode(p.Rows[i].Result))
		if p.Rows[i].Result == vintry.ResultFailed {
			d.starts = append(d.starts, int32(len(d.errors)+next))
			for line := p.Errors[next].Row; next < len(p.Errors) && p.Errors[next].Row == line; next++ {
			}
		}
	}
	d.errors = append(d.errors, p.Errors...)
}

// Outcome is the decided result of a whole import.
type Outcome struct {
	Status  vintry.JobStatus
	Summary vintry.Summary
	Errors  []vintry.RowError
	results []byte
	starts  []int32
}

// Finish settles the import's status once every row was decided.
func (d *Decider) Finish() *Outcome {
	o := &Outcome{Summary: d.summary, Errors: d.errors, results: d.results, starts: d.starts}
	switch {
	case o.Summary.Failed == 0:
		o.Status = vintry.StatusCompleted
	case d.args.ShouldContinueOnError:
		o.Status = vintry.StatusCompletedWithErrors
	default:
		o.Status = vintry.StatusFailed
		o.Summary.Created, o.Summary.Updated, o.Summary.Unchanged = 0, 0, 0
	}
	return o
}

// Result returns the result of the import's i-th row (0-based): valid rows of
// a failed import were not written.
func (o *Outcome) Result(i int) vintry.RowResult {
	r := resultCodes[o.results[i]]
	if o.Status == vintry.StatusFailed && r != vintry.ResultFailed {
		return vintry.ResultNotWritten
	}
	return r
}

// Rows returns the number of rows decided.
func (o *Outcome) Rows() int { return len(o.results) }

// row is an input row on its way through the checks.
type row struct {
	line     int
	values   *[vintry.NumColumns]string // = the outcome's Values
	date     string
	quantity decimal.Decimal
	key      Key
	uomID    int64
	errors   []vintry.RowError
	misread  bool // the record as a whole is wrong: its values are not checked
}

// parseRow runs the checks of one row that need no database; out receives
// its line and trimmed values.
func parseRow(in vintry.ImportRow, out *RowOutcome) row {
	out.Line = in.Line
	r := row{line: in.Line, values: &out.Values}
	if p := in.Problem; p != nil {
		// The values may be shifted (an unquoted decimal comma splits one
		// in two), so their own checks would only mislead.
		for c := vintry.Column(0); c < vintry.NumColumns; c++ {
			r.values[c] = strings.TrimSpace(in.Values[c])
		}
		r.misread = true
		r.errors = append(r.errors, vintry.RowError{
			Row: r.line, Field: "file", Value: strings.Clone(clip(p.Value)), Message: p.Message, Hint: p.Hint,
		})
		return r
	}
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
		// A copy: a CSV row's values share one string per line, which a kept
		// error would otherwise hold whole until the job ends.
		Row: r.line, Field: c.String(), Value: strings.Clone(clip(r.values[c])), Message: msg, Hint: hint,
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
