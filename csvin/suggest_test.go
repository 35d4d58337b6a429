package csvin_test

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	type sugg = map[string]string
	tests := []struct {
		name     string
		header   []string
		mappings csvin.FieldMappings
		want     sugg
	}{
		{"ERP export (samples/erp-export-bom-crlf.csv)",
			[]string{"Item Code", "Warehouse Bin", "Batch No", "Fill Date", "Qty", "UOM"}, nil,
			sugg{"Item Code": "item_name", "Warehouse Bin": "bin_name", "Batch No": "lot_name",
				"Fill Date": "date_filled", "Qty": "quantity", "UOM": "uom"}},
		{"German export (samples/europe-semicolon-cp1252.csv)",
			[]string{"Artikel", "Lagerplatz", "Charge", "Abfülldatum", "Menge", "Einheit"}, nil,
			sugg{"Artikel": "item_name", "Lagerplatz": "bin_name", "Charge": "lot_name",
				"Abfülldatum": "date_filled", "Menge": "quantity", "Einheit": "uom"}},
		{"column names in other spellings", []string{"Item-Name", "BIN NAME", "lotName", "Date_Filled", "QUANTITY", "Uom"}, nil,
			sugg{"Item-Name": "item_name", "BIN NAME": "bin_name", "lotName": "lot_name", "Date_Filled": "date_filled",
				"QUANTITY": "quantity", "Uom": "uom"}},
		{"spreadsheet headers", []string{"SKU", "Location", "Lot #", "Bottled", "Amount", "Unit of Measure", "Notes"}, nil,
			sugg{"SKU": "item_name", "Location": "bin_name", "Lot #": "lot_name", "Bottled": "date_filled",
				"Amount": "quantity", "Unit of Measure": "uom"}},
		{"typos", []string{"Itme", "Quantitiy", "Lott", "Datefiled"}, nil,
			sugg{"Itme": "item_name", "Quantitiy": "quantity", "Lott": "lot_name", "Datefiled": "date_filled"}},
		{"exact names are used, not suggested", []string{"item_name", "Product", "bin_name", "Qty"}, nil,
			sugg{"Qty": "quantity"}},
		{"nothing alike", []string{"Notes", "Price", "Colour", "A", ""}, nil, sugg{}},
		{"each column once: the better match wins", []string{"Item Description", "Item Code", "Lot Date", "Lot"}, nil,
			sugg{"Item Code": "item_name", "Lot": "lot_name", "Lot Date": "date_filled"}},
		{"mapped headers and ignored headers are left alone",
			[]string{"Item Code", "Warehouse Bin", "Batch No", "Fill Date", "Qty", "UOM"},
			csvin.FieldMappings{{"Item Code", "item_name"}, {"Qty", "quantity"}, {"UOM", ""}},
			sugg{"Warehouse Bin": "bin_name", "Batch No": "lot_name", "Fill Date": "date_filled"}},
		{"a header with an invalid target gets one", []string{"Item Code", "Qty"},
			csvin.FieldMappings{{"Item Code", "sku"}, {"Qty", "quantity"}}, sugg{"Item Code": "item_name"}},
		{"a column mapped from a header not in the file is free",
			[]string{"Item Code", "Qty"}, csvin.FieldMappings{{"Item", "item_name"}}, sugg{"Item Code": "item_name", "Qty": "quantity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := csvin.Suggest(tt.header, tt.mappings)
			if got == nil || !maps.Equal(got, tt.want) {
				t.Errorf("Suggest(%q) = %q; want %q", tt.header, got, tt.want)
			}
		})
	}
}

func TestResolveMappingSuggests(t *testing.T) {
	t.Parallel()
	erp := []string{"Item Code", "Warehouse Bin", "Batch No", "Fill Date", "Qty", "UOM"}
	tests := []struct {
		name     string
		header   []string
		exact    bool
		mappings csvin.FieldMappings
		want     map[string]string
	}{
		{"mappings required", erp, false, nil, map[string]string{"Item Code": "item_name", "Warehouse Bin": "bin_name",
			"Batch No": "lot_name", "Fill Date": "date_filled", "Qty": "quantity", "UOM": "uom"}},
		{"invalid target", erp, false, csvin.FieldMappings{{"Item Code", "item"}, {"Warehouse Bin", "bin_name"},
			{"Batch No", "lot_name"}, {"Fill Date", "date_filled"}, {"Qty", "quantity"}, {"UOM", "uom"}},
			map[string]string{"Item Code": "item_name"}},
		{"columns left unmapped", erp, false, csvin.FieldMappings{{"Item Code", "item_name"}},
			map[string]string{"Warehouse Bin": "bin_name", "Batch No": "lot_name", "Fill Date": "date_filled",
				"Qty": "quantity", "UOM": "uom"}},
		{"exact headers: no suggestions", erp, true, nil, nil},
		{"duplicate headers: no suggestions", []string{"Qty", "Qty"}, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := csvin.ResolveMapping(tt.header, tt.exact, tt.mappings)
			var e *vintry.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v; want a *vintry.Error", err)
			}
			if !maps.Equal(e.Suggestions, tt.want) || (tt.want == nil) != (e.Suggestions == nil) {
				t.Errorf("Suggestions = %q; want %q", e.Suggestions, tt.want)
			}
		})
	}
}

func TestFieldMappingsCheck(t *testing.T) {
	t.Parallel()
	type fields = map[string][]string
	tests := []struct {
		name   string
		raw    string
		msg    string
		fields fields
	}{
		{"empty", `{}`, "The field_mappings must map at least one CSV header.",
			fields{"field_mappings": {"The field_mappings must map at least one CSV header."}}},
		{"invalid target", `{"SKU":"sku","Qty":"quantity"}`, "Invalid mapping target 'sku'",
			fields{"field_mappings.SKU": {"Invalid mapping target 'sku'" + useOnly}}},
		{"column twice", `{"Qty":"quantity","Menge":"quantity","Notes":null,"X":""}`,
			"Column 'quantity' is mapped more than once (from 'Qty' and 'Menge')",
			fields{"field_mappings.Menge": {"Column 'quantity' is mapped more than once (from 'Qty' and 'Menge')"}}},
		{"empty header", `{" ":"uom"}`, "A CSV header in field_mappings is empty.",
			fields{"field_mappings.": {"A CSV header in field_mappings is empty."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fms, err := csvin.ParseFieldMappings(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			checkError(t, fms.Check(), tt.msg, tt.fields)
		})
	}
	fms, err := csvin.ParseFieldMappings(`{" Item Code ":"item_name","Notes":null,"Qty":" quantity ","a\"<b":"uom"}`)
	if err != nil || fms.Check() != nil {
		t.Fatalf("valid mapping: %v, %v", err, fms.Check())
	}
	want := `{"Item Code":"item_name","Notes":"","Qty":"quantity","a\"\u003cb":"uom"}`
	if got := fms.JSON(); got != want {
		t.Errorf("JSON() = %s; want %s", got, want)
	}
	if again, err := csvin.ParseFieldMappings(fms.JSON()); err != nil || !slices.Equal(again, fms) {
		t.Errorf("JSON() does not parse back: %q, %v", again, err)
	}
}

// TestSuggestWideHeader checks that a huge header line (50,000 long headers
// close to a keyword) is handled, and that only the first 500 headers are
// considered, which bounds the work a refused upload costs.
func TestSuggestWideHeader(t *testing.T) {
	t.Parallel()
	header := make([]string, 50000)
	for i := range header {
		header[i] = strings.Repeat("quantit", 9) + strconv.Itoa(i)
	}
	header[3] = "Qty"
	if got := csvin.Suggest(header, nil); !maps.Equal(got, map[string]string{"Qty": "quantity"}) {
		t.Errorf("Suggest = %q", got)
	}
	header[3] = "x"
	header[600] = "Qty"
	if got := csvin.Suggest(header, nil); len(got) != 0 {
		t.Errorf("a header past the first %d was considered: %q", 500, got)
	}
}
