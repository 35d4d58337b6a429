package vintry

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
)

// InventoryRecord is one on-hand inventory allocation, identified by
// (item, bin, lot, date filled) within a tenant.
type InventoryRecord struct {
	ID               int64
	ItemName         string
	BinName          string
	LocationAreaName string
	LocationName     string
	LotName          string
	DateFilled       string // YYYY-MM-DD
	Quantity         decimal.Decimal
	UOMName          string
	UOMAbbr          string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LastJobID        int64
}

// InventoryFilter narrows an inventory listing; empty fields do not filter.
// Dates are inclusive YYYY-MM-DD bounds.
type InventoryFilter struct {
	Item, Bin, Lot, Location, LocationArea string
	DateFrom, DateTo                       string
}

// InventoryService reads a tenant's inventory.
type InventoryService interface {
	// FindInventory returns one page of records matching f, ordered by id.
	FindInventory(ctx context.Context, f InventoryFilter, page PageRequest) ([]InventoryRecord, Page, error)
}

// FormatQuantity returns q in canonical form: no exponent, no trailing zeros
// after the point, no bare point ("5000", "0.3", "1234567.123456").
func FormatQuantity(q decimal.Decimal) string { return q.String() }

// DeleteRow selects records for deletion: every non-empty field must match
// (location and location area through the bin). Item is required.
type DeleteRow struct {
	Item, Location, LocationArea, Bin, Lot, DateFilled string
}

// DeleteFilter selects records for deletion: within a list any value
// matches, across fields all must; dates are inclusive.
type DeleteFilter struct {
	Items, Locations, LocationAreas, Bins, Lots []string
	DateFrom, DateTo                            string
}

// Empty reports whether the filter selects nothing in particular (which a
// delete refuses rather than deleting everything).
func (f DeleteFilter) Empty() bool {
	return len(f.Items)+len(f.Locations)+len(f.LocationAreas)+len(f.Bins)+len(f.Lots) == 0 &&
		f.DateFrom == "" && f.DateTo == ""
}

// DeleteRequest is a batch delete: by rows when Rows is non-empty, else by
// Filter.
type DeleteRequest struct {
	Rows   []DeleteRow
	Filter DeleteFilter
	DryRun bool
}

// HistoryEvent is one change of an inventory record.
type HistoryEvent struct {
	Event            string // created, updated, deleted or restored
	At               time.Time
	JobID            int64  // 0 for a batch delete
	By               string // the email of the user who made the change (the job's user); "" if unknown
	RecordID         int64
	Quantity         *decimal.Decimal // after the change; nil for deleted
	UOMName          string
	PreviousQuantity *decimal.Decimal // before the change; nil for created
	PreviousUOMName  string
}

// InventoryKey names a record by its key.
type InventoryKey struct {
	Item, Bin, Lot, DateFilled string
}

// InventoryWriter deletes inventory and reads its history.
type InventoryWriter interface {
	// DeleteInventory deletes the selected records in one transaction,
	// recording each in history, and returns how many it deleted (or would,
	// for a dry run).
	DeleteInventory(ctx context.Context, req DeleteRequest) (int, error)
	// FindRecordHistory returns the changes of the record with id, oldest
	// first, even after it was deleted; ENOTFOUND when it never existed.
	FindRecordHistory(ctx context.Context, id int64) ([]HistoryEvent, error)
	// FindKeyHistory returns the changes of every record that had the key.
	FindKeyHistory(ctx context.Context, key InventoryKey) ([]HistoryEvent, error)
}
