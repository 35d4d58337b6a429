package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// rowCase is one payload record and what must become of it: stored with
// quantity and uom, or failing on field with value (and message and hint,
// when the seed or spec fixes them).
type rowCase struct {
	name   string
	record map[string]any
	qty    string // stored quantity when the row is valid
	uom    string // stored uom_name when the row is valid ("" = Gallon)
	field  string // failing field; "" when the row is valid
	value  string
	msg    string
	hint   string
}

// with returns the standard valid record with some fields replaced (a nil
// value removes the field).
func with(fields map[string]any) map[string]any {
	r := rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", "10", "gal")
	for k, v := range fields {
		if v == nil {
			delete(r, k)
		} else {
			r[k] = v
		}
	}
	return r
}

func qty(v any) map[string]any             { return with(map[string]any{"quantity": v}) }
func dateOf(v any) map[string]any          { return with(map[string]any{"date_filled": v}) }
func jsonNumber(s string) any              { return json.Number(s) }
func field(k string, v any) map[string]any { return with(map[string]any{k: v}) }

var rowCases = []rowCase{
	// Quantities (§3 step 3): exact decimals, numbers or numeric strings.
	{name: "quantity number", record: qty(jsonNumber("5")), qty: "5"},
	{name: "quantity numeric string", record: qty("5"), qty: "5"},
	{name: "quantity six places, string", record: qty("1234567.123456"), qty: "1234567.123456"},
	{name: "quantity six places, number", record: qty(jsonNumber("1234567.123456")), qty: "1234567.123456"},
	{name: "quantity beyond float64 precision", record: qty(jsonNumber("123456789012.123456")), qty: "123456789012.123456"},
	{name: "quantity trailing zeros", record: qty("5000.000"), qty: "5000"},
	{name: "quantity trailing zeros, number", record: qty(jsonNumber("5000.000")), qty: "5000"},
	{name: "quantity smallest", record: qty(jsonNumber("0.000001")), qty: "0.000001"},
	{name: "quantity leading zero", record: qty("0.5"), qty: "0.5"},
	{name: "quantity surrounding spaces", record: qty("  12.5 "), qty: "12.5"},
	{name: "quantity zero", record: qty(jsonNumber("0")), field: "quantity", value: "0"},
	{name: "quantity zero string", record: qty("0.000"), field: "quantity", value: "0.000"},
	{name: "quantity negative", record: qty(jsonNumber("-5")), field: "quantity", value: "-5"},
	{name: "quantity negative string", record: qty("-0.5"), field: "quantity", value: "-0.5"},
	{name: "quantity exponent", record: qty(jsonNumber("1e3")), field: "quantity", value: "1e3"},
	{name: "quantity exponent string", record: qty("1E3"), field: "quantity", value: "1E3"},
	{name: "quantity thousands comma", record: qty("1,000"), field: "quantity", value: "1,000"},
	{name: "quantity thousands space", record: qty("1 000"), field: "quantity", value: "1 000"},
	{name: "quantity thousands and decimal", record: qty("1,000.50"), field: "quantity", value: "1,000.50"},
	{name: "quantity decimal comma", record: qty("12,5"), field: "quantity", value: "12,5"},
	{name: "quantity seven places", record: qty("1.1234567"), field: "quantity", value: "1.1234567"},
	{name: "quantity seven places, number", record: qty(jsonNumber("0.0000001")), field: "quantity", value: "0.0000001"},
	{name: "quantity text", record: qty("ten"), field: "quantity", value: "ten"},
	{name: "quantity NaN", record: qty("NaN"), field: "quantity", value: "NaN"},
	{name: "quantity hex", record: qty("0x10"), field: "quantity", value: "0x10"},
	{name: "quantity empty", record: qty(""), field: "quantity", value: ""},
	{name: "quantity missing", record: qty(nil), field: "quantity", value: ""},
	{name: "quantity boolean", record: qty(true), field: "quantity"},
	{name: "quantity object", record: qty(map[string]any{"v": 1}), field: "quantity"},

	// Dates (§3 step 2).
	{name: "date leap day", record: dateOf("2024-02-29"), qty: "10"},
	{name: "date surrounding spaces", record: dateOf(" 2023-04-30 "), qty: "10"},
	{name: "date not a leap year", record: dateOf("2023-02-29"), field: "date_filled", value: "2023-02-29"},
	{name: "date month 13", record: dateOf("2023-13-01"), field: "date_filled", value: "2023-13-01"},
	{name: "date month 0", record: dateOf("2023-00-10"), field: "date_filled", value: "2023-00-10"},
	{name: "date April 31", record: dateOf("2023-04-31"), field: "date_filled", value: "2023-04-31"},
	{name: "date one-digit month", record: dateOf("2023-1-01"), field: "date_filled", value: "2023-1-01"},
	{name: "date one-digit day", record: dateOf("2023-01-1"), field: "date_filled", value: "2023-01-1"},
	{name: "date slashes", record: dateOf("2023/01/01"), field: "date_filled", value: "2023/01/01"},
	{name: "date day first", record: dateOf("01-02-2023"), field: "date_filled", value: "01-02-2023"},
	{name: "date with time", record: dateOf("2023-01-01T00:00:00Z"), field: "date_filled", value: "2023-01-01T00:00:00Z"},
	{name: "date empty", record: dateOf(""), field: "date_filled", value: ""},
	{name: "date missing", record: dateOf(nil), field: "date_filled", value: ""},
	{name: "date number", record: dateOf(20230101), field: "date_filled"},

	// Names (§3 step 4): exact, case-sensitive, trimmed; hints for case.
	{name: "item unknown", record: field("item_name", "Nope"), field: "item_name", value: "Nope", msg: "Item with name 'Nope' does not exist"},
	{name: "item case differs", record: field("item_name", "Cab 2019"), field: "item_name", value: "Cab 2019",
		msg: "Item with name 'Cab 2019' does not exist", hint: "did you mean 'CAB 2019'?"},
	{name: "item case differs, non-ASCII", record: field("item_name", "ROSÉ 2022"), field: "item_name", value: "ROSÉ 2022",
		msg: "Item with name 'ROSÉ 2022' does not exist", hint: "did you mean 'Rosé 2022'?"},
	{name: "item surrounding spaces", record: field("item_name", "  CAB 2019\t"), qty: "10"},
	{name: "item missing", record: field("item_name", nil), field: "item_name", value: ""},
	{name: "item blank", record: field("item_name", "   "), field: "item_name", value: ""},
	{name: "item a number", record: field("item_name", 124), field: "item_name"},
	{name: "bin unknown", record: field("bin_name", "SS-99"), field: "bin_name", value: "SS-99", msg: "Bin with name 'SS-99' does not exist"},
	{name: "bin case differs", record: field("bin_name", "ss-01"), field: "bin_name", value: "ss-01",
		msg: "Bin with name 'ss-01' does not exist", hint: "did you mean 'SS-01'?"},
	{name: "bin is a location area", record: field("bin_name", "North"), field: "bin_name", value: "North", msg: "Bin with name 'North' does not exist"},
	{name: "lot unknown", record: field("lot_name", "LOT-X"), field: "lot_name", value: "LOT-X", msg: "Lot with name 'LOT-X' does not exist"},
	{name: "lot case differs", record: field("lot_name", "rm19casrut.zam"), field: "lot_name", value: "rm19casrut.zam",
		msg: "Lot with name 'rm19casrut.zam' does not exist", hint: "did you mean 'RM19CASRUT.ZAM'?"},
	{name: "uom by name", record: field("uom", "Gallon"), qty: "10", uom: "Gallon"},
	{name: "uom by abbreviation", record: field("uom", "9LE"), qty: "10", uom: "9LE Case"},
	{name: "uom unknown", record: field("uom", "Liters"), field: "uom", value: "Liters", msg: "UOM with name or abbreviation 'Liters' does not exist"},
	{name: "uom name case differs", record: field("uom", "GALLON"), field: "uom", value: "GALLON",
		msg: "UOM with name or abbreviation 'GALLON' does not exist", hint: "did you mean 'Gallon'?"},
	{name: "uom abbreviation case differs", record: field("uom", "GAL"), field: "uom", value: "GAL",
		msg: "UOM with name or abbreviation 'GAL' does not exist", hint: "did you mean 'gal'?"},
	{name: "uom missing", record: field("uom", nil), field: "uom", value: ""},
}

func TestImportRowRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i, tc := range rowCases {
		t.Run(tc.name, func(t *testing.T) {
			e := e.forT(t)
			tn := e.newTenant(fmt.Sprintf("t%d", i), true)
			r := e.importJSON(tn, importBody(true, true, true, tc.record))
			inv := e.inventory(tn, "")
			if tc.field == "" {
				wantUOM := tc.uom
				if wantUOM == "" {
					wantUOM = "Gallon"
				}
				if r.Content.Status != "completed" || len(inv) != 1 || inv[0]["quantity"] != tc.qty || inv[0]["uom_name"] != wantUOM {
					t.Fatalf("want stored %s %s; got %+v, inventory %v", tc.qty, wantUOM, r.Content, inv)
				}
				return
			}
			if len(inv) != 0 || r.Content.Status != "completed_with_errors" || len(r.Content.Errors) != 1 {
				t.Fatalf("want one row error; got %+v, inventory %v", r.Content, inv)
			}
			got := r.Content.Errors[0]
			if got.Row != 1 || got.Field != tc.field || got.Message == "" || (tc.msg != "" && got.Message != tc.msg) || got.Hint != tc.hint {
				t.Errorf("error = %+v, want field %q message %q hint %q", got, tc.field, tc.msg, tc.hint)
			}
			switch tc.record[tc.field].(type) {
			case string, json.Number, nil: // the value is echoed, trimmed
				if got.Value != tc.value {
					t.Errorf("value = %q, want %q", got.Value, tc.value)
				}
			}
		})
	}
}

func TestImportRowReportsEveryProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	r := e.importJSON(tn, importBody(true, true, false,
		rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", 1, "gal"),
		rec("Nope", "ss-01", "RM19CASRUT.ZAM", "2023-02-30", "1e3", "Liters")))
	want := []string{"item_name", "bin_name", "date_filled", "quantity", "uom"}
	var got []string
	for _, re := range r.Content.Errors {
		got = append(got, re.Field)
		if re.Row != 2 {
			t.Errorf("row = %d, want 2", re.Row)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	if r.Status != http.StatusUnprocessableEntity || r.Message != "Item with name 'Nope' does not exist" || r.Content.Summary.Failed != 1 {
		t.Errorf("answer = %d %q %+v", r.Status, r.Message, r.Content.Summary)
	}
}

func TestImportQuantityRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	key := invKey("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01")
	for _, step := range []struct {
		qty  any
		want string
	}{
		{jsonNumber("0.1"), "0.1"},
		{jsonNumber("0.3"), "0.3"}, // an update, not 0.1 + 0.2 in binary
		{"5000.000", "5000"},
		{jsonNumber("1234567.123456"), "1234567.123456"},
		{"0000012.500000", "12.5"},
	} {
		e.mustImport(tn, qty(step.qty))
		if got := e.stock(tn)[key]; got != step.want+" gal" {
			t.Errorf("after importing %v: %q, want %q", step.qty, got, step.want+" gal")
		}
	}
}

// A UOM's name wins over another UOM's equal abbreviation (§1).
func TestImportUOMNameBeforeAbbreviation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	if res := e.do("POST", "/acme/api/v1/uoms", tn.AdminToken, `[{"name":"gal","abbreviation":"G"}]`); res.Status != http.StatusOK {
		t.Fatalf("uom: %d %s", res.Status, res.Body)
	}
	e.mustImport(tn, field("uom", "gal"), rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 1, "G"))
	for _, r := range e.inventory(tn, "") {
		if r["uom_name"] != "gal" || r["uom_abbr"] != "G" {
			t.Errorf("record %v resolved to the wrong UOM", r)
		}
	}
}

// Every error message of the seed's "Common Errors" table (and its record
// limit), exactly, in one place.
func TestSeedErrorMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	args := `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true}`
	header := "item_name,bin_name,lot_name,date_filled,quantity,uom\n"
	upload := func(name, file, arguments string, mappings ...string) *response {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		part, _ := w.CreateFormFile("file", name)
		part.Write([]byte(file))
		w.WriteField("arguments", arguments)
		for _, m := range mappings {
			w.WriteField("field_mappings", m)
		}
		w.Close()
		return e.do("POST", "/acme"+importPath, tn.MemberToken, buf.Bytes(), "Content-Type: "+w.FormDataContentType())
	}
	rowMessage := func(records ...map[string]any) *response {
		return e.do("POST", "/acme"+importPath, tn.MemberToken, importBody(true, true, false, records...))
	}
	tests := []struct {
		name   string
		res    func() *response
		status int
		msg    string
	}{
		{"Invalid payload structure", func() *response {
			body := importBody(true, true, false)
			body["payload"] = rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 1, "gal")
			return e.do("POST", "/acme"+importPath, tn.MemberToken, body)
		}, 422, "Invalid payload structure"},
		{"Item does not exist", func() *response { return rowMessage(with(map[string]any{"item_name": "Cab 2019"})) },
			422, "Item with name 'Cab 2019' does not exist"},
		{"Bin does not exist", func() *response { return rowMessage(with(map[string]any{"bin_name": "SS-9"})) },
			422, "Bin with name 'SS-9' does not exist"},
		{"Invalid file type", func() *response { return upload("stock.xlsx", header, args) },
			422, "Invalid file type. Only CSV files are allowed."},
		{"File size exceeds", func() *response {
			return e.rawHTTP(fmt.Sprintf("POST /acme%s HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n",
				importPath, tn.MemberToken, 11<<20), []byte("--b\r\n"))
		}, 413, "File size exceeds maximum allowed size of 10MB"},
		{"Field mappings are required", func() *response { return upload("stock.csv", "Item,Bin,Lot,Date,Qty,UOM\n", args) },
			422, "Field mappings are required"},
		{"Maximum 1000 records per request", func() *response { return rowMessage(records(1001)...) },
			422, "Maximum 1000 records per request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.res(), tt.status, tt.msg)
		})
	}
	t.Run("Invalid mapping target", func(t *testing.T) {
		res := upload("stock.csv", "Item,Bin,Lot,Date,Qty,UOM\n", args,
			`{"Item":"sku","Bin":"bin_name","Lot":"lot_name","Date":"date_filled","Qty":"quantity","UOM":"uom"}`)
		if body := wantError(t, res, 422, ""); !strings.HasPrefix(body.Message, "Invalid mapping target") || !strings.Contains(body.Message, "sku") {
			t.Errorf("message = %q, want it to start with %q and name the target", body.Message, "Invalid mapping target")
		}
	})
}
