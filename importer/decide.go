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
	if r.misread {
		return
	}
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

// keysOf returns the distinct keys of the valid rows in the order they are
// first seen, and each key's index in that list.
func keysOf(rows []row) ([]Key, map[Key]int) {
	keys := make([]Key, 0, len(rows))
	index := make(map[Key]int, len(rows))
	for i := range rows {
		if len(rows[i].errors) > 0 {
			continue
		}
		if _, seen := index[rows[i].key]; !seen {
			index[rows[i].key] = len(keys)
			keys = append(keys, rows[i].key)
		}
	}
	return keys, index
}

// decide runs step 5 for every row in order and completes the plan, whose
// Rows parseRow filled with the lines and values, with the results, counts,
// errors and net writes. keys and index are keysOf(rows).
//
// Each key's state while the import walks the rows (the stored record
// overlaid with the import's own earlier rows) is kept as the Write that
// would apply it, in the order the keys were first seen: a chunk needs no
// second structure per key.
func decide(p *Plan, args vintry.ImportArgs, rows []row, stored map[Key]Record, keys []Key, index map[Key]int) {
	p.Summary.Total = len(rows)
	writes := make([]Write, len(keys))
	for j, k := range keys {
		writes[j].Key = k
		if rec, ok := stored[k]; ok {
			writes[j].RecordID, writes[j].Quantity, writes[j].UOMID, writes[j].Old = rec.ID, rec.Quantity, rec.UOMID, &rec
		}
	}
	written := make([]bool, len(keys)) // per write: a row of the import changed it
	for i := range rows {
		r := &rows[i]
		result := vintry.ResultFailed
		if len(r.errors) == 0 {
			// Every row without errors here had none in keysOf: only apply
			// adds errors now, to its own row.
			j := index[r.key]
			result = r.apply(args, &writes[j], &written[j])
		}
		p.record(i, r, result)
	}
	// The net writes: those a row changed, in the order their keys were
	// first seen.
	n := 0
	for j := range writes {
		if written[j] {
			writes[n] = writes[j]
			n++
		}
	}
	if n > 0 {
		clear(writes[n:])
		p.Writes = writes[:n]
	}
}

// apply decides one valid row against the record's current state w (which
// exists when it was stored or an earlier row created it).
func (r *row) apply(args vintry.ImportArgs, w *Write, written *bool) vintry.RowResult {
	exists := w.Old != nil || *written
	switch {
	case exists && w.Quantity.Equal(r.quantity) && w.UOMID == r.uomID:
		return vintry.ResultUnchanged
	case exists && !args.AllowRecordUpdate:
		r.failRecord(MsgRecordExists)
		return vintry.ResultFailed
	case !exists && !args.AllowRecordCreation:
		r.failRecord(MsgRecordMissing)
		return vintry.ResultFailed
	}
	result := vintry.ResultUpdated
	if !exists {
		result = vintry.ResultCreated
	}
	w.Quantity, w.UOMID = r.quantity, r.uomID
	*written = true
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

// columnOrder ranks a field name by its column; record-level errors last.
func columnOrder(field string) int {
	for c, name := range vintry.ColumnNames {
		if name == field {
			return c
		}
	}
	return len(vintry.ColumnNames)
}
