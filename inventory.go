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
