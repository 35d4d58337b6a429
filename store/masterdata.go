package store

import (
	"fmt"
	"sort"

	"github.com/vintry/vintry"
)

// feedParentsFirst returns a copy of a location feed's rows with locations
// first, then location areas, then bins, whatever the file order, so a bin
// may come before its area in the file. Rows of one kind keep their order;
// a row of an unknown entity_type sorts with the locations.
func feedParentsFirst(rows []vintry.LocationFeedRow) []vintry.LocationFeedRow {
	order := map[vintry.Kind]int{vintry.KindLocation: 0, vintry.KindLocationArea: 1, vintry.KindBin: 2}
	sorted := append([]vintry.LocationFeedRow(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return order[vintry.FeedKinds[sorted[i].EntityType]] < order[vintry.FeedKinds[sorted[j].EntityType]]
	})
	return sorted
}

// feedRowKind returns the kind a location-feed row's entity_type names and
// the prefix of the row's field error keys ("line N."). An entity_type that
// names no kind is recorded in errs, and ok is false.
func feedRowKind(r *vintry.LocationFeedRow, errs *vintry.FieldErrors) (k vintry.Kind, prefix string, ok bool) {
	prefix = fmt.Sprintf("line %d.", r.Line)
	if k, ok = vintry.FeedKinds[r.EntityType]; !ok {
		errs.Add(prefix+"entity_type", fmt.Sprintf("Line %d: entity_type '%s' must be location, location_area or bin.", r.Line, r.EntityType))
	}
	return k, prefix, ok
}

// kindTable says where a master data kind lives (the same in both engines'
// schemas) and which text columns it has beyond id, name, name_fold,
// description and the timestamps. Each engine builds its own SQL from it.
type kindTable struct {
	Table       string
	ParentTable string // "" when the kind has no parent
	ParentCol   string
	Extra       []string // kind-specific text columns
}

// kindTables maps every master data kind to its table.
var kindTables = map[vintry.Kind]kindTable{
	vintry.KindLocation:     {Table: "locations"},
	vintry.KindLocationArea: {Table: "location_areas", ParentTable: "locations", ParentCol: "location_id"},
	vintry.KindBin:          {Table: "bins", ParentTable: "location_areas", ParentCol: "area_id", Extra: []string{"bin_type", "external_system_id"}},
	vintry.KindItem:         {Table: "items"},
	vintry.KindLot:          {Table: "lots", Extra: []string{"lot_status"}},
	vintry.KindUOM:          {Table: "uoms", Extra: []string{"abbreviation"}},
}

// entryField returns the entry field that holds an extra column of
// kindTable.Extra; any other column is a programming error.
func entryField(e *vintry.MasterEntry, col string) *string {
	switch col {
	case "bin_type":
		return &e.BinType
	case "external_system_id":
		return &e.ExternalSystemID
	case "lot_status":
		return &e.LotStatus
	case "abbreviation":
		return &e.Abbreviation
	}
	panic("unknown master data column " + col)
}
