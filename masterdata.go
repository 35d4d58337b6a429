package vintry

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// Kind names one kind of master data, as it appears in API paths.
type Kind string

// The master data kinds.
const (
	KindLocation     Kind = "locations"
	KindLocationArea Kind = "location-areas"
	KindBin          Kind = "bins"
	KindItem         Kind = "items"
	KindLot          Kind = "lots"
	KindUOM          Kind = "uoms"
)

// Kinds lists every master data kind, parents before children.
var Kinds = []Kind{KindLocation, KindLocationArea, KindBin, KindItem, KindLot, KindUOM}

// Noun returns the kind's singular display name, as used in messages.
func (k Kind) Noun() string {
	switch k {
	case KindLocation:
		return "Location"
	case KindLocationArea:
		return "Location area"
	case KindBin:
		return "Bin"
	case KindItem:
		return "Item"
	case KindLot:
		return "Lot"
	case KindUOM:
		return "UOM"
	}
	return string(k)
}

// Parent returns the kind of the entry's required parent, or "" if it has none.
func (k Kind) Parent() Kind {
	switch k {
	case KindLocationArea:
		return KindLocation
	case KindBin:
		return KindLocationArea
	}
	return ""
}

// BinTypes are the allowed values of a bin's bin_type.
var BinTypes = []string{"", "FG-BIN", "Vessel-Stainless", "Vessel-Barrel"}

// MaxNameLength bounds every name and free-text field of master data.
const MaxNameLength = 255

// MasterEntry is one entry of any master data kind; fields that do not belong
// to its kind are empty.
type MasterEntry struct {
	ID               int64
	Name             string
	Description      string
	ParentName       string // location areas and bins
	BinType          string // bins
	ExternalSystemID string // bins
	LotStatus        string // lots
	Abbreviation     string // uoms
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Normalize trims surrounding whitespace from every field.
func (e *MasterEntry) Normalize() {
	for _, f := range []*string{&e.Name, &e.Description, &e.ParentName, &e.BinType, &e.ExternalSystemID, &e.LotStatus, &e.Abbreviation} {
		*f = strings.TrimSpace(*f)
	}
}

// Validate returns field messages (keyed by prefix+field) for a normalized
// entry of kind k; empty when valid. Parent existence is checked by storage.
func (e *MasterEntry) Validate(k Kind, prefix string) map[string][]string {
	fields := map[string][]string{}
	add := func(f, msg string) { fields[prefix+f] = append(fields[prefix+f], msg) }
	checkText := func(f, v string, required bool) {
		switch {
		case v == "" && required:
			add(f, fmt.Sprintf("The %s field is required.", f))
		case !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl):
			add(f, fmt.Sprintf("The %s must be text without control characters.", f))
		case utf8.RuneCountInString(v) > MaxNameLength:
			add(f, fmt.Sprintf("The %s may not be longer than %d characters.", f, MaxNameLength))
		}
	}
	checkText("name", e.Name, true)
	checkText("description", e.Description, false)
	if k.Parent() != "" {
		checkText("parent_name", e.ParentName, true)
	}
	switch k {
	case KindBin:
		checkText("external_system_id", e.ExternalSystemID, false)
		if !contains(BinTypes, e.BinType) {
			add("bin_type", "The bin_type must be one of FG-BIN, Vessel-Stainless, Vessel-Barrel or empty.")
		}
	case KindLot:
		checkText("lot_status", e.LotStatus, false)
	case KindUOM:
		checkText("abbreviation", e.Abbreviation, true)
	}
	return fields
}

// SameAs reports whether e and o hold the same values for kind k (an upsert
// of e over o changes nothing).
func (e *MasterEntry) SameAs(o *MasterEntry) bool {
	return e.Name == o.Name && e.Description == o.Description && e.ParentName == o.ParentName &&
		e.BinType == o.BinType && e.ExternalSystemID == o.ExternalSystemID &&
		e.LotStatus == o.LotStatus && e.Abbreviation == o.Abbreviation
}

// UpsertResult counts what an upsert of master data did. Its JSON form is
// the content of an upsert answer: {"created", "updated", "unchanged"}.
type UpsertResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Add accumulates o into r.
func (r *UpsertResult) Add(o UpsertResult) {
	r.Created += o.Created
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
}

// MaxMasterEntries bounds one master data upsert request.
const MaxMasterEntries = 1000

// MasterDataService reads and writes a tenant's master data. Every method
// works on the tenant of the principal in ctx.
type MasterDataService interface {
	// FindMasterEntries returns one page of entries of kind k, ordered by id.
	FindMasterEntries(ctx context.Context, k Kind, page PageRequest) ([]MasterEntry, Page, error)
	// UpsertMasterEntries creates or updates entries by name, in order, all or
	// nothing: any invalid entry fails the whole call with per-entry field
	// errors keyed "<index>.<field>".
	UpsertMasterEntries(ctx context.Context, k Kind, entries []MasterEntry) (UpsertResult, error)
	// ImportLocationFeed upserts locations, then areas, then bins from the
	// inbound-feed Locations format, all or nothing. Field errors are keyed
	// "line <n>.<field>".
	ImportLocationFeed(ctx context.Context, rows []LocationFeedRow) (UpsertResult, error)
	// DeleteMasterEntry deletes the entry named name; ENOTFOUND when absent,
	// ECONFLICT naming what uses it when inventory or a child entry does.
	DeleteMasterEntry(ctx context.Context, k Kind, name string) error
}

// LocationFeedRow is one row of the Claret inbound-feed Locations CSV
// (entity_type,name,parent_name,description,bin_type,external_system_id).
type LocationFeedRow struct {
	Line       int
	EntityType string
	Entry      MasterEntry
}

// FeedKinds maps inbound-feed entity_type values to kinds.
var FeedKinds = map[string]Kind{"location": KindLocation, "location_area": KindLocationArea, "bin": KindBin}

// FoldName returns the case-folded form of a name, used to find names that
// differ only by letter case (for "did you mean" hints). A Caser is stateful,
// so each call makes its own.
func FoldName(s string) string { return cases.Fold().String(s) }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
