package http

import (
	"net/http"
	"strconv"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// templateFileName is the download name of the import template.
const templateFileName = "inventory-import-template.csv"

// templateScan is how many entries of each kind the template looks at for
// names it can show as they are.
const templateScan = 100

// templatePlaceholders stand in for a kind the tenant has no usable entry
// of; such a template does not import until the names are replaced.
var templatePlaceholders = map[vintry.Kind]string{
	vintry.KindItem: "EXAMPLE ITEM", vintry.KindBin: "EXAMPLE BIN", vintry.KindLot: "EXAMPLE LOT", vintry.KindUOM: "EXAMPLE UOM",
}

// handleImportTemplate serves a CSV with the six column names and two
// example rows built from the tenant's own master data, so that it imports
// as it is (see templateRows).
func (s *Server) handleImportTemplate(w http.ResponseWriter, r *http.Request) {
	names := map[vintry.Kind][2]string{}
	for _, k := range []vintry.Kind{vintry.KindItem, vintry.KindBin, vintry.KindLot, vintry.KindUOM} {
		pair, err := s.templateNames(r, k)
		if err != nil {
			writeError(w, r, err)
			return
		}
		names[k] = pair
	}
	content, err := importer.InputCSV(templateRows(names))
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+templateFileName+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(content)
}

// templateRows are the template's two example rows: the first and second
// usable names of each kind (the first again when there is only one), on
// different dates so the two rows are two records; the second row gives the
// UOM by its abbreviation, to show that both work.
func templateRows(names map[vintry.Kind][2]string) []vintry.ImportRow {
	return []vintry.ImportRow{
		{Values: [vintry.NumColumns]string{names[vintry.KindItem][0], names[vintry.KindBin][0], names[vintry.KindLot][0],
			"2024-01-15", "120", names[vintry.KindUOM][0]}},
		{Values: [vintry.NumColumns]string{names[vintry.KindItem][1], names[vintry.KindBin][1], names[vintry.KindLot][1],
			"2024-02-01", "59.25", names[vintry.KindUOM][1]}},
	}
}

// templateNames returns two names of kind k for the example rows: the
// oldest entries whose names a spreadsheet shows unchanged (a name that
// importer.SafeCell would change would not import back as written). For
// UOMs the second is an abbreviation. A kind with no such entry gets its
// placeholder.
func (s *Server) templateNames(r *http.Request, k vintry.Kind) ([2]string, error) {
	entries, _, err := s.MasterData.FindMasterEntries(r.Context(), k, vintry.PageRequest{PerPage: templateScan})
	if err != nil {
		return [2]string{}, err
	}
	var found []vintry.MasterEntry
	for _, e := range entries {
		if importer.SafeCell(e.Name) == e.Name && (k != vintry.KindUOM || importer.SafeCell(e.Abbreviation) == e.Abbreviation) {
			found = append(found, e)
		}
	}
	switch {
	case len(found) == 0:
		p := templatePlaceholders[k]
		return [2]string{p, p}, nil
	case len(found) == 1:
		found = append(found, found[0])
	}
	second := found[1].Name
	if k == vintry.KindUOM {
		second = found[1].Abbreviation
	}
	return [2]string{found[0].Name, second}, nil
}
