package http_test

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

// sample reads a file of testdata/ (copies of shared/samples/).
func sample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// utf16With encodes s as UTF-16 in byte order o, with a byte order mark.
func utf16With(o binary.AppendByteOrder, s string) []byte {
	out := o.AppendUint16(nil, 0xFEFF)
	for _, u := range utf16.Encode([]rune(s)) {
		out = o.AppendUint16(out, u)
	}
	return out
}

// europeMappings maps the German headers of europe-semicolon-cp1252.csv; the
// header Abfülldatum is sent in UTF-8 and must match the file's
// Windows-1252 bytes once decoded.
const europeMappings = `{"Artikel":"item_name","Lagerplatz":"bin_name","Charge":"lot_name","Abfülldatum":"date_filled","Menge":"quantity","Einheit":"uom"}`

// exactSampleStock is the inventory inventory-exact.csv creates.
var exactSampleStock = map[string]string{
	invKey("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01"):   "5000 gal",
	invKey("ZAMNVCAS19", "SS-02", "RM19CASSH.ZAM", "2022-07-08"):    "5000 gal",
	invKey("ZAMNVCAS20", "SS-03", "RM20CASRUT.ZAM", "2022-07-08"):   "20000 gal",
	invKey("ZAMNVCAS20", "BBL-117", "RM20CASRUT.ZAM", "2022-09-14"): "59.25 gal",
	invKey("122-16", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01"):      "879 9LE",
	invKey("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04"):         "2310 9LE",
}

// errorLines returns "line field" for each line of an errors file.
func errorLines(t *testing.T, data []byte) []string {
	t.Helper()
	recs := fileRecords(t, data)
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[0]+" "+r[1])
	}
	return out
}

// TestCSVDialects imports files of every shape the CSV method reads and
// reads the inventory back.
func TestCSVDialects(t *testing.T) {
	t.Parallel()
	k := invKey
	tests := []struct {
		name     string
		file     []byte
		args     string
		mappings []string
		summary  summary
		errors   []string // "line field" of the errors file
		stock    map[string]string
		log      string // words the job log must hold
	}{
		{name: "sample inventory-exact.csv", file: sample(t, "inventory-exact.csv"), args: argsExact,
			summary: summary{Total: 6, Created: 6}, stock: exactSampleStock},
		{name: "sample erp-export-bom-crlf.csv", file: sample(t, "erp-export-bom-crlf.csv"), args: argsContinue, mappings: []string{erpMappings},
			summary: summary{Total: 2, Created: 2}, stock: map[string]string{
				k("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01"): "5100 gal",
				k("122-16", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01"):    "880 9LE"}},
		{name: "sample europe-semicolon-cp1252.csv", file: sample(t, "europe-semicolon-cp1252.csv"), args: argsContinue, mappings: []string{europeMappings},
			summary: summary{Total: 2, Created: 2}, log: "Windows-1252", stock: map[string]string{
				k("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04"):       "2300 9LE",
				k("Rosé 2022", "FG-GEN-BIN", "FG-GEN-LOT", "2024-05-01"): "12 9LE"}},
		{name: "tab-delimited", args: argsContinue,
			file: []byte("item_name\tbin_name\tlot_name\tdate_filled\tquantity\tuom\n" +
				"CAB 2019\tSS-01\tFG-GEN-LOT\t2024-01-01\t5\tgal\n\"Cab, Reserve\"\tSS-02\tFG-GEN-LOT\t2024-01-01\t6\t9LE Case\n"),
			summary: summary{Total: 2, Created: 2}, stock: map[string]string{
				k("CAB 2019", "SS-01", "FG-GEN-LOT", "2024-01-01"):     "5 gal",
				k("Cab, Reserve", "SS-02", "FG-GEN-LOT", "2024-01-01"): "6 9LE"}},
		{name: "quoted commas, quotes and newlines", args: argsContinue,
			file: []byte(csvHeader +
				"\"Cab, Reserve\",SS-01,FG-GEN-LOT,2024-01-01,7,gal\n" +
				"\"Multi\nLine\",SS-01,FG-GEN-LOT,2024-01-01,3,gal\n" +
				"\"Cab \"\"Old\"\" Vine\",SS-02,FG-GEN-LOT,2024-01-01,\"1,5\",gal\n" +
				"\"Cab \"\"Old\"\" Vine\",\"SS-03\",\"FG-GEN-LOT\",\"2024-01-01\",\"4\",\"9LE Case\"\n"),
			summary: summary{Total: 4, Created: 2, Failed: 2}, errors: []string{"3 item_name", "5 quantity"},
			stock: map[string]string{
				k("Cab, Reserve", "SS-01", "FG-GEN-LOT", "2024-01-01"):   "7 gal",
				k(`Cab "Old" Vine`, "SS-03", "FG-GEN-LOT", "2024-01-01"): "4 9LE"}},
		{name: "blank lines and empty rows", args: argsContinue,
			file: []byte(csvHeader + "\n124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n,,,,,\n   \n" +
				"124,SS-02,FG-GEN-LOT,2024-01-01,x,gal\n\r\n124,SS-03,FG-GEN-LOT,2024-01-01,8,gal\n\n,,\n"),
			summary: summary{Total: 3, Created: 2, Failed: 1}, errors: []string{"6 quantity"},
			stock: map[string]string{
				k("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "5 gal",
				k("124", "SS-03", "FG-GEN-LOT", "2024-01-01"): "8 gal"}},
		{name: "extra columns ignored", args: argsContinue,
			file: []byte("note,item_name,bin_name,lot_name,date_filled,quantity,uom,price\n" +
				"first,124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,9.99\n" +
				"ragged,124,SS-02,FG-GEN-LOT,2024-01-01,5\n" +
				",124,SS-03,FG-GEN-LOT,2024-01-01,6,gal,,,extra\n"),
			summary: summary{Total: 3, Created: 1, Failed: 2}, errors: []string{"3 uom", "4 file"},
			stock: map[string]string{k("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "5 gal"}},
		{name: "classic Mac line ends (bare CR)", args: argsContinue,
			file: []byte(strings.ReplaceAll(csvHeader+"124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n\n"+
				"\"Multi\nLine\",SS-02,FG-GEN-LOT,2024-01-01,3,gal\n124,SS-03,FG-GEN-LOT,2024-01-01,x,gal\n", "\n", "\r")),
			summary: summary{Total: 3, Created: 1, Failed: 2}, errors: []string{"4 item_name", "6 quantity"},
			stock: map[string]string{k("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "5 gal"}},
		{name: "a decimal comma is never cut off", args: argsContinue,
			file: []byte("item_name,bin_name,lot_name,date_filled,uom,quantity\r\n124,SS-01,FG-GEN-LOT,2024-01-01,gal,1,25\r\n" +
				"124,SS-02,FG-GEN-LOT,2024-01-01,gal,\"1.25\"\r\n"),
			summary: summary{Total: 2, Created: 1, Failed: 1}, errors: []string{"2 file"},
			stock: map[string]string{k("124", "SS-02", "FG-GEN-LOT", "2024-01-01"): "1.25 gal"}},
		{name: "unnamed columns and padded header names", args: argsExact,
			file: []byte(" item_name ,\tbin_name,lot_name, date_filled ,quantity,uom,,\n" +
				"124 , SS-01,FG-GEN-LOT,2024-01-01, 5 ,gal,,\n"),
			summary: summary{Total: 1, Created: 1}, stock: map[string]string{k("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "5 gal"}},
		{name: "extra columns with exact headers", args: argsExact,
			file:    []byte("uom,note,quantity,date_filled,lot_name,bin_name,item_name\ngal,x,5,2024-01-01,FG-GEN-LOT,SS-01,124\n"),
			summary: summary{Total: 1, Created: 1}, stock: map[string]string{k("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "5 gal"}},
		{name: "partial field_mappings", args: argsContinue, mappings: []string{`{"Artikel":"item_name","Notiz":""}`},
			file:    []byte("Notiz,uom,quantity,date_filled,lot_name,bin_name,Artikel\nx,gal,5,2024-01-01,FG-GEN-LOT,SS-01,124\n"),
			summary: summary{Total: 1, Created: 1}, stock: map[string]string{k("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "5 gal"}},
		{name: "UTF-8 with BOM and exact headers", file: []byte("\ufeff" + goodCSV), args: argsExact,
			summary: summary{Total: 1, Created: 1}, stock: map[string]string{k("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "5 gal"}},
		{name: "UTF-16BE with BOM", args: argsContinue,
			file:    utf16With(binary.BigEndian, goodCSV),
			summary: summary{Total: 1, Created: 1}, stock: map[string]string{k("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "5 gal"}},
		{name: "UTF-16LE with BOM", args: argsContinue,
			file:    utf16With(binary.LittleEndian, strings.ReplaceAll(csvHeader+"Rosé 2022,FG-GEN-BIN,FG-GEN-LOT,2024-05-01,12,9LE\n124,SS-01,FG-GEN-LOT,2024-01-01,x,gal\n", "\n", "\r\n")),
			summary: summary{Total: 2, Created: 1, Failed: 1}, errors: []string{"3 quantity"},
			stock: map[string]string{k("Rosé 2022", "FG-GEN-BIN", "FG-GEN-LOT", "2024-05-01"): "12 9LE"}},
	}
	// One server; each case has a tenant of its own, so the cases run in
	// parallel without seeing each other's data or waiting on each other's
	// jobs.
	shared := newEnv(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := shared.forT(t)
			tn := e.newTenant(fmt.Sprintf("dialect-%d", i), true)
			if res := e.do("POST", "/"+tn.Slug+"/api/v1/items", tn.AdminToken, `[{"name":"Cab, Reserve"},{"name":"Cab \"Old\" Vine"}]`); res.Status != http.StatusOK {
				t.Fatalf("items: %d %s", res.Status, res.Body)
			}
			job := e.importCSV(tn, tt.file, tt.args, tt.mappings...)
			status := "completed"
			if tt.summary.Failed > 0 {
				status = "completed_with_errors"
			}
			if job.Status != status || job.Summary != tt.summary {
				t.Errorf("job = %s %+v, want %s %+v", job.Status, job.Summary, status, tt.summary)
			}
			if got := errorLines(t, e.jobFile(tn, job, "errors")); !reflect.DeepEqual(got, tt.errors) {
				t.Errorf("errors file lines = %q, want %q", got, tt.errors)
			}
			if got := e.stock(tn); !reflect.DeepEqual(got, tt.stock) {
				t.Errorf("inventory = %v, want %v", got, tt.stock)
			}
			if got := string(e.jobFile(tn, job, "input")); got != string(tt.file) {
				t.Errorf("input file differs from the upload:\n%q", got)
			}
			if log := strings.Join(job.Log, "\n"); !strings.Contains(log, tt.log) {
				t.Errorf("log = %q, want it to mention %q", log, tt.log)
			}
		})
	}
}

// TestCSVSamplesOnFeedMasterData builds a tenant's locations from the
// locations.csv sample (the inbound feed) and imports the three inventory
// samples in turn, as the demo does.
func TestCSVSamplesOnFeedMasterData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("zam", false)
	if res := e.do("POST", "/zam/api/v1/locations/import", tn.AdminToken, sample(t, "locations.csv"), "Content-Type: text/csv"); res.Status != http.StatusOK {
		t.Fatalf("locations feed: %d %s", res.Status, res.Body)
	}
	for kind, body := range map[string]string{
		"items": `[{"name":"ZAMNVCAS19"},{"name":"ZAMNVCAS20"},{"name":"122-16"},{"name":"124"},{"name":"Rosé 2022"}]`,
		"lots":  `[{"name":"RM19CASRUT.ZAM"},{"name":"RM19CASSH.ZAM"},{"name":"RM20CASRUT.ZAM"},{"name":"FG-GEN-LOT"}]`,
		"uoms":  `[{"name":"Gallon","abbreviation":"gal"},{"name":"9LE Case","abbreviation":"9LE"}]`,
	} {
		if res := e.do("POST", "/zam/api/v1/"+kind, tn.AdminToken, body); res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", kind, res.Status, res.Body)
		}
	}
	steps := []struct {
		file, args string
		mappings   []string
		summary    summary
	}{
		{"inventory-exact.csv", argsExact, nil, summary{Total: 6, Created: 6}},
		{"erp-export-bom-crlf.csv", argsContinue, []string{erpMappings}, summary{Total: 2, Updated: 2}},
		{"europe-semicolon-cp1252.csv", argsContinue, []string{europeMappings}, summary{Total: 2, Created: 1, Updated: 1}},
	}
	for _, s := range steps {
		if job := e.importCSV(tn, sample(t, s.file), s.args, s.mappings...); job.Status != "completed" || job.Summary != s.summary {
			t.Errorf("%s: %s %+v, want %+v", s.file, job.Status, job.Summary, s.summary)
		}
	}
	want := map[string]string{}
	for key, v := range exactSampleStock {
		want[key] = v
	}
	want[invKey("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01")] = "5100 gal"
	want[invKey("122-16", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01")] = "880 9LE"
	want[invKey("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04")] = "2300 9LE"
	want[invKey("Rosé 2022", "FG-GEN-BIN", "FG-GEN-LOT", "2024-05-01")] = "12 9LE"
	if got := e.stock(tn); !reflect.DeepEqual(got, want) {
		t.Errorf("inventory = %v, want %v", got, want)
	}
	inv := e.inventory(tn, "item=ZAMNVCAS20&bin=BBL-117")
	if len(inv) != 1 || inv[0]["location_area_name"] != "South" || inv[0]["location_name"] != "ZAM-WINERY" {
		t.Errorf("BBL-117 record = %v, want it in South, ZAM-WINERY", inv)
	}
}
