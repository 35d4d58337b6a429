package store

import (
	"context"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// RecordWriter is the engine's tuned part of an import's writer: the
// lookup of a chunk's records by key and the writes of a chunk, each one
// statement over array or JSON parameters.
type RecordWriter interface {
	LoadRecords(ctx context.Context, keys []importer.Key) (map[importer.Key]importer.Record, error)
	ApplyWrites(ctx context.Context, writes []importer.Write) error
}

// importWriter is the importer.Writer of an import in tx: the engine's
// RecordWriter, with the catalog and the savepoint written once.
type importWriter struct {
	RecordWriter
	tx       *Tx
	tenantID int64
}

// catalogSQL finds, by folded name, the items, bins, lots and UOMs (by name
// and by abbreviation) an import names, in one query; ordered by id within
// each kind, so the first entry of a folded name is the one a hint
// suggests.
func catalogSQL(d Dialect) string {
	return `
	SELECT 'item', id, name, name_fold FROM items WHERE tenant_id = ? AND ` + d.In("name_fold") + `
	UNION ALL
	SELECT 'bin', id, name, name_fold FROM bins WHERE tenant_id = ? AND ` + d.In("name_fold") + `
	UNION ALL
	SELECT 'lot', id, name, name_fold FROM lots WHERE tenant_id = ? AND ` + d.In("name_fold") + `
	UNION ALL
	SELECT 'uom', id, name, name_fold FROM uoms WHERE tenant_id = ? AND ` + d.In("name_fold") + `
	UNION ALL
	SELECT 'uom_abbr', id, abbreviation, abbreviation_fold FROM uoms WHERE tenant_id = ? AND ` + d.In("abbreviation_fold") + `
	ORDER BY 1, 2`
}

// LoadCatalog implements importer.Store. Names are looked up by their folded
// form, which finds the exact names and the ones that differ only by case.
func (w importWriter) LoadCatalog(ctx context.Context, names importer.Names) (*importer.Catalog, error) {
	cat := &importer.Catalog{}
	refs := map[string]*importer.Refs{
		"item": &cat.Items, "bin": &cat.Bins, "lot": &cat.Lots, "uom": &cat.UOMs, "uom_abbr": &cat.UOMAbbrs,
	}
	for _, r := range refs {
		*r = importer.Refs{Exact: map[string]int64{}, Folded: map[string]string{}}
	}
	uoms := foldedNames(names.UOMs)
	t := w.tenantID
	rows, err := w.tx.Query(ctx, catalogSQL(w.tx.Dialect),
		t, foldedNames(names.Items), t, foldedNames(names.Bins), t, foldedNames(names.Lots), t, uoms, t, uoms)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, name, fold string
		var id int64
		if err := rows.Scan(&kind, &id, &name, &fold); err != nil {
			return nil, err
		}
		r := refs[kind]
		r.Exact[name] = id
		if _, ok := r.Folded[fold]; !ok {
			r.Folded[fold] = name
		}
	}
	return cat, rows.Err()
}

// foldedNames returns the distinct folded forms of names that a name can
// have (others can match nothing).
func foldedNames(names []string) Strings {
	out := make(Strings, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		if f := vintry.FoldName(n); !seen[f] && !unnameable(f) {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Savepoint implements importer.Writer.
func (w importWriter) Savepoint(ctx context.Context) error {
	_, err := w.tx.Exec(ctx, `SAVEPOINT import`)
	return err
}

// RollbackToSavepoint implements importer.Writer.
func (w importWriter) RollbackToSavepoint(ctx context.Context) error {
	_, err := w.tx.Exec(ctx, `ROLLBACK TO SAVEPOINT import`)
	return err
}
