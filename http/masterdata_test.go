package http_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	vhttp "github.com/vintry/vintry/http"
)

type upsertContent struct {
	Created, Updated, Unchanged int
}

// upsert posts master data as the tenant's admin and decodes a 200 answer.
func (e *env) upsert(tn *tenant, kind, body string) upsertContent {
	e.t.Helper()
	res := e.do("POST", "/"+tn.Slug+"/api/v1/"+kind, tn.AdminToken, body)
	if res.Status != http.StatusOK {
		e.t.Fatalf("upsert %s: %d %s", kind, res.Status, res.Body)
	}
	return upsertAnswer(e.t, res)
}

// upsertAnswer decodes a master data upsert answer (§8), which must have
// exactly the content keys created, updated and unchanged.
func upsertAnswer(t *testing.T, res *response) upsertContent {
	t.Helper()
	body := res.JSON(t)
	content, _ := body["content"].(map[string]any)
	keys := make([]string, 0, len(content))
	for k := range content {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if msg, _ := body["message"].(string); msg == "" || strings.Join(keys, ",") != "created,unchanged,updated" {
		t.Fatalf("upsert answer %s, want message and content {created, updated, unchanged}", res.Body)
	}
	var out struct{ Content upsertContent }
	res.Decode(t, &out)
	return out.Content
}

// entry returns the listed entry of kind named name, or nil.
func (e *env) entry(tn *tenant, kind, name string) map[string]any {
	e.t.Helper()
	for _, d := range e.page("/"+tn.Slug+"/api/v1/"+kind, tn.MemberToken).Data {
		if d["name"] == name {
			return d
		}
	}
	return nil
}

func TestMasterUpsert(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		kind          string
		a, b, changed string         // a and b are new; changed is a with one field changed
		want          map[string]any // a as listed after the change
		absent        []string       // fields the kind does not have
	}{
		{"locations", `{"name":"LOC-A"}`, `{"name":"LOC-B","description":"b"}`, `{"name":"LOC-A","description":"moved"}`,
			map[string]any{"name": "LOC-A", "description": "moved"}, []string{"parent_name", "bin_type", "abbreviation"}},
		{"location-areas", `{"name":"AREA-A","parent_name":"ZAM-WINERY"}`, `{"name":"AREA-B","parent_name":"ZAM-WHS"}`,
			`{"name":"AREA-A","parent_name":"ZAM-WHS"}`, map[string]any{"name": "AREA-A", "parent_name": "ZAM-WHS", "description": ""}, []string{"bin_type"}},
		{"bins", `{"name":"BIN-A","parent_name":"North","bin_type":"FG-BIN","external_system_id":"X1"}`, `{"name":"BIN-B","parent_name":"South"}`,
			`{"name":"BIN-A","parent_name":"North","bin_type":"Vessel-Barrel","external_system_id":"X1","description":"barrel"}`,
			map[string]any{"name": "BIN-A", "parent_name": "North", "bin_type": "Vessel-Barrel", "external_system_id": "X1", "description": "barrel"}, []string{"lot_status"}},
		{"items", `{"name":"ITEM-A"}`, `{"name":"ITEM-B"}`, `{"name":"ITEM-A","description":"Cabernet"}`,
			map[string]any{"name": "ITEM-A", "description": "Cabernet"}, []string{"parent_name", "lot_status"}},
		{"lots", `{"name":"LOT-A","lot_status":"WIP"}`, `{"name":"LOT-B"}`, `{"name":"LOT-A","lot_status":"Aging"}`,
			map[string]any{"name": "LOT-A", "lot_status": "Aging"}, []string{"parent_name", "abbreviation"}},
		{"uoms", `{"name":"Liter","abbreviation":"l"}`, `{"name":"Barrel","abbreviation":"bbl"}`, `{"name":"Liter","abbreviation":"L"}`,
			map[string]any{"name": "Liter", "abbreviation": "L"}, []string{"parent_name", "lot_status"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			e := e.forT(t)
			tn := e.newTenant(tt.kind, true)
			n := len(e.names(tn, tt.kind))
			steps := []struct {
				body string
				want upsertContent
			}{
				{"[" + tt.a + "," + tt.b + "]", upsertContent{Created: 2}},
				{"[" + tt.a + "," + tt.b + "]", upsertContent{Unchanged: 2}},
				{"[" + tt.changed + "," + tt.b + "," + strings.Replace(tt.b, "-B", "-C", 1) + "]", upsertContent{Created: 1, Updated: 1, Unchanged: 1}},
				{"[" + strings.Replace(tt.changed, `"name":"`, `"name":"  `, 1) + "]", upsertContent{Unchanged: 1}}, // names are trimmed
			}
			if tt.kind == "uoms" {
				steps[2].body = "[" + tt.changed + "," + tt.b + `,{"name":"Case","abbreviation":"cs"}]`
			}
			for i, s := range steps {
				if got := e.upsert(tn, tt.kind, s.body); got != s.want {
					t.Errorf("step %d: %+v, want %+v", i+1, got, s.want)
				}
			}
			if got := len(e.names(tn, tt.kind)); got != n+3 {
				t.Errorf("%d entries, want %d", got, n+3)
			}
			a := e.entry(tn, tt.kind, tt.want["name"].(string))
			for k, v := range tt.want {
				if a[k] != v {
					t.Errorf("%s = %v, want %v (%v)", k, a[k], v, a)
				}
			}
			for _, k := range tt.absent {
				if _, ok := a[k]; ok {
					t.Errorf("%s lists %s: %v", tt.kind, k, a)
				}
			}
		})
	}
}

// Moving a bin to another area moves its inventory with it.
func TestMasterMoveBin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	e.mustImport(tn, rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", 1, "gal"))
	if got := e.upsert(tn, "bins", `[{"name":"SS-02","parent_name":"Storage"}]`); got != (upsertContent{Updated: 1}) {
		t.Fatalf("move: %+v", got)
	}
	r := e.inventory(tn, "")[0]
	if r["location_area_name"] != "Storage" || r["location_name"] != "ZAM-WHS" {
		t.Errorf("record after move: %v", r)
	}
}

func TestMasterUpsertRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	long := strings.Repeat("x", 256)
	tests := []struct {
		name, kind, body string
		status           int
		fields           map[string]string // key → exact message ("" = any)
	}{
		{"unknown parent", "location-areas", `[{"name":"NEW-0","parent_name":"ZAM-WINERY"},{"name":"West","parent_name":"Nowhere"}]`, 422,
			map[string]string{"1.parent_name": "Location with name 'Nowhere' does not exist"}},
		{"parent of the wrong kind", "bins", `[{"name":"NEW-0","parent_name":"North"},{"name":"B","parent_name":"ZAM-WINERY"}]`, 422,
			map[string]string{"1.parent_name": "Location area with name 'ZAM-WINERY' does not exist"}},
		{"parent case differs", "bins", `[{"name":"NEW-0","parent_name":"North"},{"name":"B","parent_name":"north"}]`, 422,
			map[string]string{"1.parent_name": ""}},
		{"parent missing", "bins", `[{"name":"NEW-0","parent_name":"North"},{"name":"B"}]`, 422, map[string]string{"1.parent_name": ""}},
		{"bin_type unknown", "bins", `[{"name":"NEW-0","parent_name":"North"},{"name":"B","parent_name":"North","bin_type":"Vessel-Wood"}]`, 422,
			map[string]string{"1.bin_type": ""}},
		{"bin_type case differs", "bins", `[{"name":"NEW-0","parent_name":"North","bin_type":"fg-bin"}]`, 422, map[string]string{"0.bin_type": ""}},
		{"several bad entries", "bins", `[{"name":"","parent_name":"North"},{"name":"NEW-0","parent_name":"North"},{"name":"B","parent_name":"North","bin_type":"X"}]`, 422,
			map[string]string{"0.name": "", "2.bin_type": ""}},
		{"name missing", "items", `[{"name":"NEW-0"},{"description":"no name"}]`, 422, map[string]string{"1.name": ""}},
		{"name blank", "items", `[{"name":"NEW-0"},{"name":"   "}]`, 422, map[string]string{"1.name": ""}},
		{"name too long", "items", `[{"name":"NEW-0"},{"name":"` + long + `"}]`, 422, map[string]string{"1.name": ""}},
		{"name control character", "items", `[{"name":"NEW-0"},{"name":"a\u0000b"}]`, 422, map[string]string{"1.name": ""}},
		{"name not a string", "items", `[{"name":"NEW-0"},{"name":124}]`, 422, map[string]string{"1.name": ""}},
		{"abbreviation taken", "uoms", `[{"name":"NEW-0","abbreviation":"n0"},{"name":"Liter","abbreviation":"gal"}]`, 422,
			map[string]string{"1.abbreviation": ""}},
		{"abbreviation twice in one batch", "uoms", `[{"name":"NEW-0","abbreviation":"x"},{"name":"Liter","abbreviation":"x"}]`, 422,
			map[string]string{"1.abbreviation": ""}},
		{"abbreviation missing", "uoms", `[{"name":"NEW-0","abbreviation":"n0"},{"name":"Liter"}]`, 422, map[string]string{"1.abbreviation": ""}},
		{"lot_status not a string", "lots", `[{"name":"NEW-0","lot_status":1}]`, 422, map[string]string{"0.lot_status": ""}},
		{"body an object", "items", `{"name":"NEW-0"}`, 422, nil},
		{"body empty array", "items", `[]`, 422, nil},
		{"entry not an object", "items", `[{"name":"NEW-0"},"x"]`, 422, nil},
		{"malformed JSON", "items", `[{"name":"NEW-0"`, 400, nil},
		{"1001 entries", "items", "[" + strings.Repeat(`{"name":"NEW-0"},`, 1000) + `{"name":"NEW-0"}]`, 422, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.forT(t)
			tn := e.newTenant(fmt.Sprintf("t%d", i), true)
			before := e.names(tn, tt.kind)
			res := e.do("POST", "/"+tn.Slug+"/api/v1/"+tt.kind, tn.AdminToken, tt.body)
			body := wantError(t, res, tt.status, "")
			for k, msg := range tt.fields {
				if len(body.Errors[k]) == 0 || (msg != "" && body.Errors[k][0] != msg) {
					t.Errorf("errors[%s] = %v, want %q: %s", k, body.Errors[k], msg, res.Body)
				}
			}
			// All or nothing: the valid NEW-0 was not written either.
			if after := e.names(tn, tt.kind); !reflect.DeepEqual(after, before) {
				t.Errorf("entries changed: %v → %v", before, after)
			}
		})
	}
}

func TestMasterDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	e.mustImport(tn, rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2024-01-01", 1, "Gallon"))
	e.upsert(tn, "locations", `[{"name":"EMPTY-LOC"}]`)
	e.upsert(tn, "location-areas", `[{"name":"Empty","parent_name":"EMPTY-LOC"}]`)
	e.upsert(tn, "bins", `[{"name":"SS-UNUSED","parent_name":"Empty"}]`)
	e.upsert(tn, "items", `[{"name":"A/B 1?"}]`)
	// In order: later steps depend on earlier ones.
	steps := []struct {
		kind, name string
		status     int
		mention    string // what a 409 must name
	}{
		{"items", "ZAMNVCAS19", 409, "inventory"},
		{"bins", "SS-01", 409, "inventory"},
		{"lots", "RM19CASRUT.ZAM", 409, "inventory"},
		{"uoms", "Gallon", 409, "inventory"},
		{"location-areas", "North", 409, "bins"},
		{"locations", "ZAM-WINERY", 409, "location areas"},
		{"locations", "EMPTY-LOC", 409, "location areas"},
		{"location-areas", "Empty", 409, "bins"},
		{"bins", "SS-UNUSED", 200, ""},
		{"location-areas", "Empty", 200, ""},
		{"locations", "EMPTY-LOC", 200, ""},
		{"items", "ZAMNVCAS20", 200, ""},
		{"items", "A/B 1?", 200, ""},
		{"lots", "RM19CASSH.ZAM", 200, ""},
		{"uoms", "9LE Case", 200, ""},
		{"items", "ZAMNVCAS20", 404, ""}, // already deleted
		{"items", "zamnvcas19", 404, ""}, // case-sensitive
		{"uoms", "gal", 404, ""},         // by name, not abbreviation
		{"locations", "Nope", 404, ""},
		{"location-areas", "Nope", 404, ""},
		{"bins", "Nope", 404, ""},
		{"lots", "Nope", 404, ""},
	}
	for _, s := range steps {
		path := "/acme/api/v1/" + s.kind + "/" + url.PathEscape(s.name)
		res := e.do("DELETE", path, tn.AdminToken, nil)
		if s.status == 200 {
			if res.Status != 200 {
				t.Errorf("DELETE %s: %d %s", path, res.Status, res.Body)
			} else if e.entry(tn, s.kind, s.name) != nil {
				t.Errorf("DELETE %s: still listed", path)
			}
			continue
		}
		body := wantError(t, res, s.status, "")
		if !strings.Contains(body.Message, s.mention) || (s.status == 409 && !strings.Contains(body.Message, s.name)) {
			t.Errorf("DELETE %s: message %q does not name %q", path, body.Message, s.mention)
		}
		if s.status == 409 && e.entry(tn, s.kind, s.name) == nil {
			t.Errorf("DELETE %s: deleted despite 409", path)
		}
	}
	if n := len(e.inventory(tn, "")); n != 1 {
		t.Errorf("inventory has %d records, want 1", n)
	}
}

func TestMasterListPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	want := []string{"ZAMNVCAS19", "ZAMNVCAS20", "CAB 2019", "122-16", "124", "Rosé 2022"}
	var got []string
	index := ""
	for pages := 1; ; pages++ {
		p := e.page("/acme/api/v1/items?per_page=4"+index, tn.MemberToken)
		if p.Total != 6 || p.PerPage != 4 || p.From == nil || *p.From != len(got)+1 {
			t.Fatalf("page %d: %+v", pages, p)
		}
		for _, d := range p.Data {
			got = append(got, d["name"].(string))
		}
		if p.NextIndex == nil {
			break
		}
		index = "&current_index=" + url.QueryEscape(*p.NextIndex)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("items = %v, want %v", got, want)
	}
	wantError(t, e.do("GET", "/acme/api/v1/items?current_index=nope", tn.MemberToken, nil), http.StatusUnprocessableEntity, "")
}

// feedMultipart returns a multipart/form-data body and its Content-Type,
// with a "note" field first and then, if name is set, a file part.
func feedMultipart(t *testing.T, field, name string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("note", "sent by a test"); err != nil {
		t.Fatal(err)
	}
	if name != "" {
		part, err := w.CreateFormFile(field, name)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

func TestLocationFeedImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", false)
	file, err := os.ReadFile("testdata/locations.csv")
	if err != nil {
		t.Fatal(err)
	}
	feed := func(body []byte, contentType string) *response {
		return e.do("POST", "/acme/api/v1/locations/import", tn.AdminToken, body, "Content-Type: "+contentType)
	}
	body, ct := feedMultipart(t, "file", "locations.csv", file)
	changed := bytes.Replace(file, []byte(`"French oak barrel 117"`), []byte(`"Hungarian oak barrel 117"`), 1)
	for _, step := range []struct {
		name, contentType string
		body              []byte
		want              upsertContent
	}{
		{"multipart", ct, body, upsertContent{Created: 10}},
		{"text/csv, again", "text/csv", file, upsertContent{Unchanged: 10}},
		{"one description changed", "text/csv; charset=utf-8", changed, upsertContent{Updated: 1, Unchanged: 9}},
	} {
		res := feed(step.body, step.contentType)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", step.name, res.Status, res.Body)
		}
		if got := upsertAnswer(t, res); got != step.want {
			t.Fatalf("%s: %+v, want %+v", step.name, got, step.want)
		}
	}

	if got := e.names(tn, "locations"); !reflect.DeepEqual(got, []string{"ZAM-WINERY", "ZAM-WHS"}) {
		t.Errorf("locations = %v", got)
	}
	if a := e.entry(tn, "location-areas", "South"); a["parent_name"] != "ZAM-WINERY" || a["description"] != "South Tank Farm" {
		t.Errorf("area South = %v", a)
	}
	wantBin := map[string]any{"name": "BBL-117", "parent_name": "South", "description": "Hungarian oak barrel 117",
		"bin_type": "Vessel-Barrel", "external_system_id": "BIN-1117"}
	b := e.entry(tn, "bins", "BBL-117")
	for k, v := range wantBin {
		if b[k] != v {
			t.Errorf("bin BBL-117 %s = %v, want %v", k, b[k], v)
		}
	}
	if n := len(e.names(tn, "bins")); n != 5 {
		t.Errorf("bins = %d, want 5", n)
	}

	// The imported bins take inventory.
	e.upsert(tn, "items", `[{"name":"124"}]`)
	e.upsert(tn, "lots", `[{"name":"FG-GEN-LOT"}]`)
	e.upsert(tn, "uoms", `[{"name":"Gallon","abbreviation":"gal"}]`)
	e.mustImport(tn, rec("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01", 1, "gal"))
	if r := e.inventory(tn, "")[0]; r["location_name"] != "ZAM-WHS" || r["location_area_name"] != "Storage" {
		t.Errorf("record = %v", r)
	}
}

func TestLocationFeedRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	header := "entity_type,name,parent_name,description,bin_type,external_system_id\n"
	tests := []struct {
		name    string
		file    string
		noFile  bool
		message string
		field   string
	}{
		{"no file part", "", true, "", "file"},
		{"not text", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", false, "Invalid file type. Only CSV files are allowed.", "file"},
		{"header without parent_name", "entity_type,name\nlocation,X\n", false, "", "file"},
		{"no data rows", header, false, "", "file"},
		{"empty file", "", false, "", "file"},
		{"duplicate header", "entity_type,name,parent_name,name\nlocation,NEW-LOC,,OTHER\n", false, "", "file"},
		{"broken quoting", header + "location,\"NEW-LOC,,,,\n", false, "", "file"},
		{"unknown parent", header + "location,NEW-LOC,,,,\nbin,B1,Nowhere,,,\n", false, "", "line 3.parent_name"},
		{"bad entity_type", header + "location,NEW-LOC,,,,\nwarehouse,W1,,,,\n", false, "", "line 3.entity_type"},
		{"bad bin_type", header + "location,NEW-LOC,,,,\nlocation_area,A1,NEW-LOC,,,\nbin,B1,A1,,Tank,\n", false, "", "line 4.bin_type"},
		{"area without parent", header + "location,NEW-LOC,,,,\nlocation_area,A1,,,,\n", false, "", "line 3.parent_name"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.forT(t)
			tn := e.newTenant(fmt.Sprintf("t%d", i), false)
			name := "locations.csv"
			if tt.noFile {
				name = ""
			}
			body, ct := feedMultipart(t, "file", name, []byte(tt.file))
			res := e.do("POST", "/"+tn.Slug+"/api/v1/locations/import", tn.AdminToken, body, "Content-Type: "+ct)
			if got := wantError(t, res, http.StatusUnprocessableEntity, tt.message); len(got.Errors[tt.field]) == 0 {
				t.Errorf("no error for %s: %s", tt.field, res.Body)
			}
			// All or nothing: the valid NEW-LOC was not written.
			if got := e.names(tn, "locations"); len(got) != 0 {
				t.Errorf("locations = %v", got)
			}
		})
	}
}

func TestLocationFeedTooLarge(t *testing.T) {
	t.Parallel()
	t.Run("default 10MB", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tn := e.newTenant("acme", false)
		head := fmt.Sprintf("POST /acme/api/v1/locations/import HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n",
			tn.AdminToken, 10<<20+1)
		res := e.rawHTTP(head, []byte("entity_type,name,parent_name\n"))
		wantError(t, res, http.StatusRequestEntityTooLarge, "File size exceeds maximum allowed size of 10MB")
	})
	t.Run("lowered limit", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *vhttp.Config) { c.MaxUploadBytes = 1 << 10 })
		tn := e.newTenant("acme", false)
		var csv strings.Builder
		csv.WriteString("entity_type,name,parent_name\n")
		for i := 0; csv.Len() <= 1<<10; i++ {
			fmt.Fprintf(&csv, "location,LOC-%d,\n", i)
		}
		res := e.do("POST", "/acme/api/v1/locations/import", tn.AdminToken, csv.String(), "Content-Type: text/csv")
		wantError(t, res, http.StatusRequestEntityTooLarge, "File size exceeds maximum allowed size of 1KB")
		if got := e.names(tn, "locations"); len(got) != 0 {
			t.Errorf("locations = %v", got)
		}
	})
}
