package csvin_test

import (
	"testing"

	"github.com/vintry/vintry/csvin"
)

func TestResolveMappingErrors(t *testing.T) {
	t.Parallel()
	custom := []string{"SKU", "Bin", "Lot", "Filled", "Qty", "Unit"}
	all := csvin.FieldMappings{{"SKU", "item_name"}, {"Bin", "bin_name"}, {"Lot", "lot_name"},
		{"Filled", "date_filled"}, {"Qty", "quantity"}, {"Unit", "uom"}}
	missingMsg := "The file header must contain the columns: item_name, bin_name, lot_name, date_filled, quantity, uom (missing: quantity, uom)"
	type fields = map[string][]string
	tests := []struct {
		name     string
		header   []string
		exact    bool
		mappings csvin.FieldMappings
		msg      string
		fields   fields
	}{
		{"duplicate header", []string{"item_name", "bin_name", "item_name", "x", "x", "x", "", ""}, false, nil,
			"Duplicate header 'item_name' in the file",
			fields{"file": {"Duplicate header 'item_name' in the file", "Duplicate header 'x' in the file"}}},
		{"duplicate header with exact", append(csvin.Columns[:], "uom"), true, nil,
			"Duplicate header 'uom' in the file", fields{"file": {"Duplicate header 'uom' in the file"}}},
		{"exact, missing columns", []string{"item_name", "bin_name", "lot_name", "date_filled", "Quantity", "extra"}, true, all,
			missingMsg, fields{"file": {missingMsg}}},
		{"no mappings, custom header", []string{"item_name", "bin_name", "lot_name", "date_filled"}, false, nil,
			"Field mappings are required",
			fields{"field_mappings": {"Field mappings are required: the header does not contain the column names (missing: quantity, uom)"}}},
		{"invalid target", custom, false, append(all[1:], csvin.FieldMapping{Header: "SKU", Target: "sku"}),
			"Invalid mapping target 'sku'",
			fields{"field_mappings.SKU": {"Invalid mapping target 'sku'" + useOnly},
				"field_mappings": {"Required column 'item_name' is not mapped"}}},
		{"target case matters", custom, false, append(all[:5:5], csvin.FieldMapping{Header: "Unit", Target: "UOM"}),
			"Invalid mapping target 'UOM'",
			fields{"field_mappings.Unit": {"Invalid mapping target 'UOM'" + useOnly},
				"field_mappings": {"Required column 'uom' is not mapped"}}},
		{"header not in the file", custom, false, append(all[:5:5], csvin.FieldMapping{Header: "Units", Target: "uom"}),
			"Header 'Units' in field_mappings is not in the file",
			fields{"field_mappings.Units": {"Header 'Units' in field_mappings is not in the file"}}},
		{"unnamed column cannot be mapped", append(custom[:5:5], ""), false,
			append(all[:5:5], csvin.FieldMapping{Header: "", Target: "uom"}),
			"Header '' in field_mappings is not in the file",
			fields{"field_mappings.": {"Header '' in field_mappings is not in the file"}}},
		{"target mapped twice", append(custom, "Qty2"), false, append(all, csvin.FieldMapping{Header: "Qty2", Target: "quantity"}),
			"Column 'quantity' is mapped more than once (from 'Qty' and 'Qty2')",
			fields{"field_mappings.Qty2": {"Column 'quantity' is mapped more than once (from 'Qty' and 'Qty2')"}}},
		{"unmapped columns", custom, false, all[:4],
			"Required column 'quantity' is not mapped",
			fields{"field_mappings": {"Required column 'quantity' is not mapped", "Required column 'uom' is not mapped"}}},
		{"column-named header mapped elsewhere", csvin.Columns[:], false, csvin.FieldMappings{{"quantity", "lot_name"}, {"lot_name", ""}},
			"Required column 'quantity' is not mapped",
			fields{"field_mappings": {"Required column 'quantity' is not mapped"}}},
		{"column-named header ignored", csvin.Columns[:], false, csvin.FieldMappings{{"uom", ""}},
			"Required column 'uom' is not mapped",
			fields{"field_mappings": {"Required column 'uom' is not mapped"}}},
		{"every problem at once", append(custom, "Qty2"), false, csvin.FieldMappings{
			{"Qty2", "quantity"}, {"Nope", "bin_name"}, {"SKU", "items"}, {"Qty", "quantity"}, {"Lot", "lot_name"}},
			"Invalid mapping target 'items'",
			fields{
				"field_mappings.SKU":  {"Invalid mapping target 'items'" + useOnly},
				"field_mappings.Nope": {"Header 'Nope' in field_mappings is not in the file"},
				"field_mappings.Qty":  {"Column 'quantity' is mapped more than once (from 'Qty2' and 'Qty')"},
				"field_mappings": {"Required column 'item_name' is not mapped",
					"Required column 'date_filled' is not mapped", "Required column 'uom' is not mapped"},
			}},
		{"header problem before duplicates", custom, false, csvin.FieldMappings{
			{"SKU", "item_name"}, {"Bin", "item_name"}, {"Nope", "lot_name"}},
			"Header 'Nope' in field_mappings is not in the file",
			fields{
				"field_mappings.Nope": {"Header 'Nope' in field_mappings is not in the file"},
				"field_mappings.Bin":  {"Column 'item_name' is mapped more than once (from 'SKU' and 'Bin')"},
				"field_mappings": {"Required column 'bin_name' is not mapped", "Required column 'date_filled' is not mapped",
					"Required column 'quantity' is not mapped", "Required column 'uom' is not mapped"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := csvin.ResolveMapping(tt.header, tt.exact, tt.mappings)
			if m != (csvin.Mapping{}) {
				t.Errorf("Mapping = %v; want the zero Mapping with an error", m)
			}
			checkError(t, err, tt.msg, tt.fields)
		})
	}
}
