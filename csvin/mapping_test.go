package csvin_test

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

const (
	shapeMsg = "The field_mappings must be a JSON object of CSV header to column name."
	useOnly  = ". Use only: item_name, bin_name, lot_name, date_filled, quantity, uom"
)

// checkError fails unless err is an EINVALID *vintry.Error with exactly msg
// and fields.
func checkError(t *testing.T, err error, msg string, fields map[string][]string) {
	t.Helper()
	var e *vintry.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v; want a *vintry.Error %q", err, msg)
	}
	if e.Code != vintry.EINVALID || e.Message != msg {
		t.Errorf("err = %s %q; want %s %q", e.Code, e.Message, vintry.EINVALID, msg)
	}
	if !maps.EqualFunc(e.Fields, fields, slices.Equal) {
		t.Errorf("Fields = %q;\nwant %q", e.Fields, fields)
	}
}

func TestParseFieldMappings(t *testing.T) {
	t.Parallel()
	got, err := csvin.ParseFieldMappings(`{"Item Code": "item_name", " Qty ": " quantity ", "Notes": null, "X": "", "Bin": "bogus"}`)
	if err != nil {
		t.Fatal(err)
	}
	want := csvin.FieldMappings{{"Item Code", "item_name"}, {"Qty", "quantity"}, {"Notes", ""}, {"X", ""}, {"Bin", "bogus"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %q; want %q", got, want)
	}
	got, err = csvin.ParseFieldMappings(" {} \n")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("{}: got %#v, %v; want an empty, non-nil FieldMappings", got, err)
	}
}

func TestParseFieldMappingsErrors(t *testing.T) {
	t.Parallel()
	shape := map[string][]string{"field_mappings": {shapeMsg}}
	tests := []struct {
		raw    string
		msg    string
		fields map[string][]string
	}{
		{"", shapeMsg, shape},
		{"not json", shapeMsg, shape},
		{"null", shapeMsg, shape},
		{`["a"]`, shapeMsg, shape},
		{`"a"`, shapeMsg, shape},
		{`{"a": "b"`, shapeMsg, shape},
		{`{"a": "b",}`, shapeMsg, shape},
		{`{"a": "b"} x`, shapeMsg, shape},
		{`{"a": "b"} {}`, shapeMsg, shape},
		{`{"a": 1}`, shapeMsg, map[string][]string{"field_mappings": {shapeMsg + " The value for 'a' must be a string or null."}}},
		{`{"a": true}`, shapeMsg, map[string][]string{"field_mappings": {shapeMsg + " The value for 'a' must be a string or null."}}},
		{`{"a": {"b": "c"}}`, shapeMsg, map[string][]string{"field_mappings": {shapeMsg + " The value for 'a' must be a string or null."}}},
		{`{"a": ["item_name"]}`, shapeMsg, map[string][]string{"field_mappings": {shapeMsg + " The value for 'a' must be a string or null."}}},
		{`{"SKU": "item_name", "SKU": "bin_name"}`, "Header 'SKU' appears more than once in field_mappings",
			map[string][]string{"field_mappings.SKU": {"Header 'SKU' appears more than once in field_mappings"}}},
		{`{"SKU": "item_name", " SKU": null}`, "Header 'SKU' appears more than once in field_mappings",
			map[string][]string{"field_mappings.SKU": {"Header 'SKU' appears more than once in field_mappings"}}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := csvin.ParseFieldMappings(tt.raw)
			if got != nil {
				t.Errorf("got %q; want nil", got)
			}
			checkError(t, err, tt.msg, tt.fields)
		})
	}
}

// exactHeader is Columns in a different order, with extra columns.
var exactHeader = []string{"note", "uom", "quantity", "date_filled", "", "lot_name", "bin_name", "item_name"}

// exactRecord is a record for exactHeader.
var exactRecord = csvin.Record{Line: 2, Fields: []string{"n", " Gallon ", "5", "2024-01-01", "", "L1", "B1", "I1"}}

func TestResolveMapping(t *testing.T) {
	t.Parallel()
	erpHeader := []string{"Item Code", "Warehouse Bin", "Batch No", "Fill Date", "Qty", "UOM"}
	erpMappings := csvin.FieldMappings{{"Item Code", "item_name"}, {"Warehouse Bin", "bin_name"},
		{"Batch No", "lot_name"}, {"Fill Date", "date_filled"}, {"Qty", "quantity"}, {"UOM", "uom"}}
	erpRecord := csvin.Record{Line: 2, Fields: []string{"I1", "B1", "L1", "2024-01-01", "5", "Gallon"}}
	tests := []struct {
		name     string
		header   []string
		exact    bool
		mappings csvin.FieldMappings
		rec      csvin.Record
		sources  [6]string
	}{
		{"exact", exactHeader, true, nil, exactRecord, csvin.Columns},
		{"exact ignores mappings", exactHeader, true, csvin.FieldMappings{{"x", "bogus"}}, exactRecord, csvin.Columns},
		{"no mappings, exact names", exactHeader, false, nil, exactRecord, csvin.Columns},
		{"empty mappings, exact names", exactHeader, false, csvin.FieldMappings{}, exactRecord, csvin.Columns},
		{"ignoring an absent header", exactHeader, false, csvin.FieldMappings{{"Notes", ""}}, exactRecord, csvin.Columns},
		{"full mappings", erpHeader, false, erpMappings, erpRecord,
			[6]string{"Item Code", "Warehouse Bin", "Batch No", "Fill Date", "Qty", "UOM"}},
		{"mapped and exact names", []string{"SKU", "bin_name", "lot_name", "date_filled", "quantity", "uom"}, false,
			csvin.FieldMappings{{"SKU", "item_name"}}, erpRecord,
			[6]string{"SKU", "bin_name", "lot_name", "date_filled", "quantity", "uom"}},
		{"a column name mapped to another column", []string{"uom", "bin_name", "lot_name", "date_filled", "quantity", "item_name"}, false,
			csvin.FieldMappings{{"uom", "item_name"}, {"item_name", "uom"}}, erpRecord,
			[6]string{"uom", "bin_name", "lot_name", "date_filled", "quantity", "item_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := csvin.ResolveMapping(tt.header, tt.exact, tt.mappings)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			want := [6]string{"I1", "B1", "L1", "2024-01-01", "5", "Gallon"}
			if got := m.Values(tt.rec); got != want {
				t.Errorf("Values = %q; want %q", got, want)
			}
			for i, src := range tt.sources {
				if got := m.Source(i); got != src {
					t.Errorf("Source(%d) = %q; want %q", i, got, src)
				}
			}
		})
	}
}

func TestMappingValuesRagged(t *testing.T) {
	t.Parallel()
	m, err := csvin.ResolveMapping(csvin.Columns[:], true, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Values(csvin.Record{Line: 3, Fields: []string{" I1 ", "B1", "\tL1"}})
	if want := [6]string{"I1", "B1", "L1", "", "", ""}; got != want {
		t.Errorf("Values = %q; want %q", got, want)
	}
	var zero csvin.Mapping
	if got := zero.Values(exactRecord); got != [6]string{} {
		t.Errorf("zero Mapping Values = %q; want all empty", got)
	}
	if m.Source(-1) != "" || m.Source(6) != "" {
		t.Error("Source out of range is not empty")
	}
}
