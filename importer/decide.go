package importer

import (
	"fmt"
	"sort"

	"github.com/vintry/vintry"
)

func namesOf(rows []row) Names {
	var n Names
	seen := map[[2]string]bool{}
	add := func(list *[]string, kind, v string) {
		if v != "" && !seen[[2]string{kind, v}] {
			seen[[2]string{kind, v}] = true
			*list = append(*list, v)
		}
	}
	for i := range rows {
		v := rows[i].values
		add(&n.Items, "i", v[vintry.ColItem])
		add(&n.Bins, "b", v[vintry.ColBin])
		add(&n.Lots, "l", v[vintry.ColLot])
		add(&n.UOMs, "u", v[vintry.ColUOM])
	}
	return n
}

// resolve runs step 4: every referenced name must exist. Names are checked
// even when another field of the row is malformed, so a row's every problem
// is reported at once.
func (r *row) resolve(cat *Catalog) {
	check := func(c vintry.Column, refs Refs, msg string) int64 {
		name := r.values[c]
		if !r.ok(c) {
			return 0
		}
		id, ok := refs.Exact[name]
		if !ok {
			r.fail(c, fmt.Sprintf(msg, clip(name)), hint(refs, name))
		}
		return id
	}
	r.key.ItemID = check(vintry.ColItem, cat.Items, MsgItemMissing)
	r.key.BinID = check(vintry.ColBin, cat.Bins, MsgBinMissing)
	r.key.LotID = check(vintry.ColLot, cat.Lots, MsgLotMissing)
	r.key.DateFilled = r.date
	uom := r.values[vintry.ColUOM]
	if !r.ok(vintry.ColUOM) {
		return
	}
	var ok bool
	if r.uomID, ok = cat.UOMs.Exact[uom]; ok {
		return
	}
	if r.uomID, ok = cat.UOMAbbrs.Exact[uom]; ok {
		return
	}
	h := hint(cat.UOMs, uom)
	if h == "" {
		h = hint(cat.UOMAbbrs, uom)
	}
	r.fail(vintry.ColUOM, fmt.Sprintf(MsgUOMMissing, clip(uom)), h)
}

func hint(refs Refs, name string) string {
	if other, ok := refs.Folded[vintry.FoldName(name)]; ok && other != name {
		return fmt.Sprintf(MsgHint, other)
	}
	return ""
}

func keysOf(rows []row) []Key {
	keys := make([]Key, 0, len(rows))
	seen := make(map[Key]bool, len(rows))
	for i := range rows {
		if len(rows[i].errors) == 0 && !seen[rows[i].key] {
			seen[rows[i].key] = true
			keys = append(keys, rows[i].key)
		}
	}
	return keys
}

// state is a record as the import sees it while it walks the rows: stored
// records overlaid with the import's own earlier rows.
type state struct {
	record  Record
	exists  bool
	written bool
	stored  *Record
}

// decide runs step 5 for every row in order and completes the plan, whose
// Rows parseRow filled with the lines and values. nkeys is the number of
// distinct keys of valid rows (a size hint).
func decide(p *Plan, args vintry.ImportArgs, rows []row, stored map[Key]Record, nkeys int) {
	p.Summary.Total = len(rows)
	// Sized up front: growing maps and slices of a million entries step by
	// step allocates (and keeps alive while copying) several times their size.
	states := make(map[Key]*state, nkeys)
	order := make([]Key, 0, nkeys)
	for i := range rows {
		r := &rows[i]
		result := vintry.ResultFailed
		if len(r.errors) == 0 {
			st := states[r.key]
			if st == nil {
				st = &state{}
				if rec, ok := stored[r.key]; ok {
					st.record, st.exists, st.stored = rec, true, &rec
				}
				states[r.key] = st
				order = append(order, r.key)
			}
			result = r.apply(args, st)
		}
		p.record(i, r, result)
	}
	p.finish(args, states, order)
}

// apply decides one valid row against the record's current state.
func (r *row) apply(args vintry.ImportArgs, st *state) vintry.RowResult {
	switch {
	case st.exists && st.record.Quantity.Equal(r.quantity) && st.record.UOMID == r.uomID:
		return vintry.ResultUnchanged
	case st.exists && !args.AllowRecordUpdate:
		r.failRecord(MsgRecordExists)
		return vintry.ResultFailed
	case !st.exists && !args.AllowRecordCreation:
		r.failRecord(MsgRecordMissing)
		return vintry.ResultFailed
	}
	result := vintry.ResultUpdated
	if !st.exists {
		result = vintry.ResultCreated
	}
	st.record.Quantity, st.record.UOMID = r.quantity, r.uomID
	st.exists, st.written = true, true
	return result
}

func (p *Plan) record(i int, r *row, result vintry.RowResult) {
	out := &p.Rows[i]
	out.Result = result
	if len(r.errors) > 0 {
		// Report a row's problems in column order, whichever check found them.
		sort.SliceStable(r.errors, func(i, j int) bool { return columnOrder(r.errors[i].Field) < columnOrder(r.errors[j].Field) })
		out.Message = r.errors[0].Message
		p.Errors = append(p.Errors, r.errors...)
	}
	switch result {
	case vintry.ResultCreated:
		p.Summary.Created++
	case vintry.ResultUpdated:
		p.Summary.Updated++
	case vintry.ResultUnchanged:
		p.Summary.Unchanged++
	case vintry.ResultFailed:
		p.Summary.Failed++
	}
}

// failRecord records an error about the record as a whole (its key), which
// belongs to no single field.
func (r *row) failRecord(msg string) {
	r.errors = append(r.errors, vintry.RowError{Row: r.line, Message: msg})
}

// finish settles the status and, unless the import must write nothing, the
// net writes in the order their keys were first seen.
func (p *Plan) finish(args vintry.ImportArgs, states map[Key]*state, order []Key) {
	switch {
	case p.Summary.Failed == 0:
		p.Status = vintry.StatusCompleted
	case args.ShouldContinueOnError:
		p.Status = vintry.StatusCompletedWithErrors
	default:
		p.Status = vintry.StatusFailed
		p.Summary.Created, p.Summary.Updated, p.Summary.Unchanged = 0, 0, 0
		for i := range p.Rows {
			if p.Rows[i].Result != vintry.ResultFailed {
				p.Rows[i].Result = vintry.ResultNotWritten
			}
		}
		return
	}
	written := 0
	for _, k := range order {
		if states[k].written {
			written++
		}
	}
	p.Writes = make([]Write, 0, written)
	for _, k := range order {
		st := states[k]
		if !st.written {
			continue
		}
		w := Write{Key: k, Quantity: st.record.Quantity, UOMID: st.record.UOMID, Old: st.stored}
		if st.stored != nil {
			w.RecordID = st.stored.ID
		}
		p.Writes = append(p.Writes, w)
	}
}

// columnOrder ranks a field name by its column; record-level errors last.
func columnOrder(field string) int {
	for c, name := range vintry.ColumnNames {
		if name == field {
			return c
		}
	}
	return len(vintry.ColumnNames)
}
