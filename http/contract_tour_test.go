package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	vhttp "github.com/vintry/vintry/http"
)

// TestOpenAPIContractTour runs a tour of the API through the contract
// checker: every exchange must match openapi.yaml, and every documented
// operation must answer a 2xx at least once.
func TestOpenAPIContractTour(t *testing.T) {
	t.Parallel()
	cfg := vhttp.DefaultConfig
	cfg.RateLimit, cfg.LoginRateLimit = 0, 0 // the tour polls faster than any client should
	e := newTourEnv(t, cfg)
	admin, member := e.tourTenant("tour")
	_, otherMember := e.tourTenant("other")

	t.Run("operations", func(t *testing.T) { tourOperations(e.forT(t)) })
	t.Run("auth", func(t *testing.T) { tourAuth(e.forT(t), member, otherMember) })
	t.Run("master data", func(t *testing.T) { tourMasterData(e.forT(t), admin, member) })
	t.Run("json import", func(t *testing.T) { tourJSONImport(e.forT(t), member) })
	t.Run("csv import", func(t *testing.T) { tourCSVImport(e.forT(t), member) })
	t.Run("lifecycle", func(t *testing.T) { tourLifecycle(e.forT(t), admin, member) })
	t.Run("inventory", func(t *testing.T) { tourInventory(e.forT(t), member) })
	t.Run("deletes", func(t *testing.T) { tourDeletes(e.forT(t), admin, member) })
	t.Run("webhooks", func(t *testing.T) { tourWebhooks(e.forT(t), admin, member) })
	t.Run("mappings", func(t *testing.T) { tourMappings(e.forT(t), member) })

	doc, err := contractDoc()
	if err != nil {
		t.Fatal(err)
	}
	seen := e.checker.statuses()
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			op := method + " " + path
			ok := false
			for status := range seen[op] {
				ok = ok || status/100 == 2
			}
			if !ok {
				t.Errorf("the tour never got a 2xx from %s (statuses %v)", op, seen[op])
			}
		}
	}
}

func tourOperations(e *tourEnv) {
	e.want(200, "GET", "/healthz", "", nil, "")
	e.want(200, "GET", "/readyz", "", nil, "")
	if res := e.send("GET", "/metrics", "", nil, ""); res.status != 200 || !bytes.Contains(res.body, []byte("vintry_http_requests_total")) {
		e.t.Errorf("GET /metrics: %d %s", res.status, clipBytes(res.body, 300))
	}
	res := e.send("GET", "/openapi.yaml", "", nil, "")
	if res.status != 200 || !bytes.Equal(res.body, vhttp.OpenAPIDocument) {
		e.t.Errorf("GET /openapi.yaml: %d, %d bytes; want 200 and the embedded document", res.status, len(res.body))
	}
	if ct := res.header.Get("Content-Type"); ct != "application/yaml" {
		e.t.Errorf("GET /openapi.yaml: Content-Type %q", ct)
	}
	// The catch-all answers are not in the document and not checked.
	e.want(404, "GET", "/tour/api/v1/nothing-here", "", nil, "")
	e.want(405, "PUT", "/tour/api/v1/inventory", "", nil, "")
}

func tourAuth(e *tourEnv, member, otherMember string) {
	creds := url.Values{"email": {"member@tour.test"}, "password": {tourPassword}}
	e.want(200, "POST", "/tour/api/v1/tokens/create?"+creds.Encode(), "", nil, "")
	tok := jsonAt(e.wantJSON(200, "POST", "/tour/api/v1/tokens/create", "",
		`{"email":"member@tour.test","password":"`+tourPassword+`"}`), "token").(string)
	e.want(200, "POST", "/tour/api/v1/tokens/create", "", []byte(creds.Encode()), "application/x-www-form-urlencoded")
	e.want(401, "POST", "/tour/api/v1/tokens/create?email=member@tour.test&password=wrong", "", nil, "")
	e.want(422, "POST", "/tour/api/v1/tokens/create?email=member@tour.test", "", nil, "")
	e.wantJSON(400, "POST", "/tour/api/v1/tokens/create", "", `{"email":`)

	e.want(401, "GET", "/tour/api/v1/inventory", "", nil, "")
	e.want(401, "GET", "/tour/api/v1/inventory", "1|nonsense", nil, "")
	e.want(403, "GET", "/tour/api/v1/inventory", otherMember, nil, "")
	e.want(200, "POST", "/tour/api/v1/tokens/revoke", tok, nil, "")
	e.want(401, "POST", "/tour/api/v1/tokens/revoke", tok, nil, "")
	e.want(200, "GET", "/tour/api/v1/imports", member, nil, "")
}

// tourMaster is the master data of the tour, by kind; the TMP- entries are
// deleted at the end.
var tourMaster = []struct{ kind, body string }{
	{"locations", `[{"name":"ZAM-WINERY","description":"Winery"},{"name":"ZAM-WHS"},{"name":"TMP-LOC"}]`},
	{"location-areas", `[{"name":"North","parent_name":"ZAM-WINERY"},{"name":"Storage","parent_name":"ZAM-WHS"},{"name":"TMP-AREA","parent_name":"ZAM-WINERY"}]`},
	{"bins", `[{"name":"SS-01","parent_name":"North","bin_type":"Vessel-Stainless","external_system_id":"BIN-1001"},
		{"name":"FG-GEN-BIN","parent_name":"Storage","bin_type":"FG-BIN"},{"name":"TMP-BIN","parent_name":"North"}]`},
	{"items", `[{"name":"ZAMNVCAS19"},{"name":"CAB 2019","description":"Cabernet"},{"name":"TMP-ITEM"}]`},
	{"lots", `[{"name":"RM19CASRUT.ZAM","lot_status":"Aging"},{"name":"FG-GEN-LOT","lot_status":"Finished"},{"name":"TMP-LOT"}]`},
	{"uoms", `[{"name":"Gallon","abbreviation":"gal"},{"name":"9LE Case","abbreviation":"9LE"},{"name":"TMP-UOM","abbreviation":"tmp"}]`},
}

func tourMasterData(e *tourEnv, admin, member string) {
	for _, m := range tourMaster {
		path := "/tour/api/v1/" + m.kind
		if got := jsonAt(e.wantJSON(200, "POST", path, admin, m.body), "content", "created"); got != json.Number("3") {
			e.t.Errorf("POST %s: created = %v, want 3", path, got)
		}
		if got := jsonAt(e.wantJSON(200, "POST", path, admin, m.body), "content", "unchanged"); got != json.Number("3") {
			e.t.Errorf("POST %s again: unchanged = %v, want 3", path, got)
		}
		e.want(200, "GET", path, member, nil, "")
	}
	page := e.want(200, "GET", "/tour/api/v1/locations?per_page=2", member, nil, "")
	next, _ := page["next_index"].(string)
	if next == "" {
		e.t.Fatalf("locations page 1 has no next_index: %v", page)
	}
	if last := e.want(200, "GET", "/tour/api/v1/locations?per_page=2&current_index="+next, member, nil, ""); last["next_index"] != nil {
		e.t.Errorf("locations page 2: next_index = %v, want null", last["next_index"])
	}
	e.want(422, "GET", "/tour/api/v1/items?per_page=0", member, nil, "")
	e.want(422, "GET", "/tour/api/v1/items?current_index=nonsense", member, nil, "")
	e.wantJSON(403, "POST", "/tour/api/v1/items", member, `[{"name":"X"}]`)
	e.wantJSON(422, "POST", "/tour/api/v1/bins", admin, `[{"name":"NO-PARENT"}]`)
	e.wantJSON(422, "POST", "/tour/api/v1/items", admin, `[]`)
	e.wantJSON(400, "POST", "/tour/api/v1/items", admin, `[{"name":`)

	feed := "entity_type,name,parent_name,description,bin_type,external_system_id\n" +
		"bin,FEED-BIN,FEED-AREA,,Vessel-Barrel,BIN-9\nlocation_area,FEED-AREA,FEED-LOC,,,\nlocation,FEED-LOC,,Feed location,,\n"
	if got := jsonAt(e.want(200, "POST", "/tour/api/v1/locations/import", admin, []byte(feed), "text/csv"), "content", "created"); got != json.Number("3") {
		e.t.Errorf("locations import: created = %v, want 3", got)
	}
	ct, body := tourForm(e.t, [2]string{"note", "extra parts are ignored"}, [2]string{"file:locations.csv", feed})
	e.want(200, "POST", "/tour/api/v1/locations/import", admin, body, ct)
	e.want(422, "POST", "/tour/api/v1/locations/import", admin, []byte("name\nX\n"), "text/csv")
	e.want(403, "POST", "/tour/api/v1/locations/import", member, []byte(feed), "text/csv")
}

// importDoc builds a JSON import body.
func tourImportBody(create, update, cont bool, records ...string) string {
	return fmt.Sprintf(`{"source":"api","arguments":{"allow_record_creation":%t,"allow_record_update":%t,"should_continue_on_error":%t},"payload":[%s]}`,
		create, update, cont, strings.Join(records, ","))
}

func tourRecord(item, bin, lot, date, qty, uom string) string {
	return fmt.Sprintf(`{"item_name":%q,"bin_name":%q,"lot_name":%q,"date_filled":%q,"quantity":%s,"uom":%q}`, item, bin, lot, date, qty, uom)
}

func tourJSONImport(e *tourEnv, member string) {
	const path = "/tour/api/v1/inventory/import/process"
	wine := tourRecord("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", "5000", "Gallon")
	cases := tourRecord("CAB 2019", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01", `"879.5"`, "9LE")
	ok := e.wantJSON(200, "POST", path, member, tourImportBody(true, true, false, wine, cases))
	if jsonAt(ok, "content", "status") != "completed" {
		e.t.Errorf("import: %v", ok)
	}
	e.wantJSON(200, "POST", path, member, tourImportBody(true, true, false,
		tourRecord("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", "4500.25", "gal")))
	typo := tourRecord("Cab 2019", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01", "1", "9LE")
	partial := e.wantJSON(200, "POST", path, member, tourImportBody(true, true, true, cases, typo, `{"item_name":7,"quantity":true}`))
	if jsonAt(partial, "content", "status") != "completed_with_errors" {
		e.t.Errorf("partial import: %v", partial)
	}
	failed := e.wantJSON(422, "POST", path, member, tourImportBody(true, true, false, cases, typo))
	if jsonAt(failed, "content", "status") != "failed" || failed["errors"] == nil {
		e.t.Errorf("failed import: %v", failed)
	}
	dry := e.wantJSON(200, "POST", path, member, strings.Replace(tourImportBody(true, true, false, wine), `"should_continue_on_error"`, `"dry_run":true,"should_continue_on_error"`, 1))
	if jsonAt(dry, "content", "dry_run") != true {
		e.t.Errorf("dry run: %v", dry)
	}

	e.wantJSON(422, "POST", path, member, `{"arguments":{},"payload":[]}`)
	e.wantJSON(422, "POST", path, member, `{"source":"api","arguments":{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true},"payload":`+wine+`}`)
	e.wantJSON(422, "POST", path, member, tourImportBody(false, false, true, wine))
	e.wantJSON(400, "POST", path, member, `{"source":`)
	e.want(415, "POST", path, member, []byte("item_name"), "text/plain")
	e.want(401, "POST", path, "", []byte(tourImportBody(true, true, true, wine)), "application/json")
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, member, 10<<20+1)
	if status := e.raw(head, []byte(`{"source":"api"`)); status != http.StatusRequestEntityTooLarge {
		e.t.Errorf("oversized JSON import: %d, want 413", status)
	}

	body := tourImportBody(true, true, true, cases)
	first := e.wantJSON(200, "POST", path, member, body, "Idempotency-Key: tour-1")
	res := e.send("POST", path, member, []byte(body), "application/json", "Idempotency-Key: tour-1")
	if res.status != 200 || res.header.Get("Idempotent-Replayed") != "true" ||
		jsonAt(decodeJSONObject(res.body), "content", "job_log_id") != jsonAt(first, "content", "job_log_id") {
		e.t.Errorf("idempotent replay: %d %v %s", res.status, res.header, res.body)
	}
	e.wantJSON(422, "POST", path, member, tourImportBody(true, true, true, wine), "Idempotency-Key: tour-1")
}

const tourCSVArgs = `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true}`

func tourCSVImport(e *tourEnv, member string) {
	const path = "/tour/api/v1/inventory/import/process"
	exact := "item_name,bin_name,lot_name,date_filled,quantity,uom\r\nZAMNVCAS19,FG-GEN-BIN,FG-GEN-LOT,2022-07-08,20000,Gallon\r\n"
	ct, body := tourForm(e.t, [2]string{"file:inventory.csv", exact},
		[2]string{"arguments", `{"headers_match_exactly":true,"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false}`})
	queued := e.want(202, "POST", path, member, body, ct)
	id := tourInt(e.t, jsonAt(queued, "content", "job_log_id"))
	if done := e.waitJob("tour", member, id); jsonAt(done, "content", "status") != "completed" {
		e.t.Errorf("csv job: %v", done)
	}

	custom := "Item;Bin;Lot;Filled;Qty;Unit\nZAMNVCAS19;SS-01;FG-GEN-LOT;2022-07-08;12.5;gal\nNOPE;SS-01;FG-GEN-LOT;2022-07-08;1;gal\n"
	mappings := `{"Item":"item_name","Bin":"bin_name","Lot":"lot_name","Filled":"date_filled","Qty":"quantity","Unit":"uom"}`
	ct, body = tourForm(e.t, [2]string{"file:custom.CSV", custom}, [2]string{"arguments", tourCSVArgs}, [2]string{"field_mappings", mappings})
	id = tourInt(e.t, jsonAt(e.want(202, "POST", path, member, body, ct, "Idempotency-Key: tour-csv"), "content", "job_log_id"))
	done := e.waitJob("tour", member, id)
	if jsonAt(done, "content", "status") != "completed_with_errors" {
		e.t.Errorf("csv job with errors: %v", done)
	}
	files, _ := jsonAt(done, "content", "files").(map[string]any)
	for _, kind := range []string{"input", "staging", "output", "errors"} {
		list, _ := files[kind].([]any)
		if len(list) != 1 {
			e.t.Fatalf("files.%s = %v", kind, files[kind])
		}
		if res := e.send("GET", list[0].(string), member, nil, ""); res.status != 200 || len(res.body) == 0 {
			e.t.Errorf("GET %s: %d %s", list[0], res.status, res.body)
		}
	}
	e.want(404, "GET", "/tour/download/import-999999_final.csv", member, nil, "")
	e.want(404, "GET", "/tour/download/secrets.txt", member, nil, "")
	e.want(404, "GET", "/tour/api/v1/imports/status/999999", member, nil, "")
	jobs := e.want(200, "GET", "/tour/api/v1/imports?per_page=1", member, nil, "")
	if next, _ := jobs["next_index"].(string); next == "" {
		e.t.Errorf("jobs page 1 has no next_index: %v", jobs)
	} else {
		e.want(200, "GET", "/tour/api/v1/imports?per_page=1&current_index="+url.QueryEscape(next), member, nil, "")
	}

	for _, bad := range [][][2]string{
		{{"file:inventory.txt", exact}, {"arguments", tourCSVArgs}},                                     // Invalid file type
		{{"file:custom.csv", custom}, {"arguments", tourCSVArgs}},                                       // Field mappings are required
		{{"file:custom.csv", custom}, {"arguments", tourCSVArgs}, {"field_mappings", `{"Item":"sku"}`}}, // Invalid mapping target
		{{"arguments", tourCSVArgs}},                                                                    // no file
		{{"file:inventory.csv", exact}},
	} {
		ct, body := tourForm(e.t, bad...)
		e.want(422, "POST", path, member, body, ct)
	}
	e.want(400, "POST", path, member, []byte("not multipart"), "multipart/form-data; boundary=xyz")
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=xyz\r\nContent-Length: %d\r\n", path, member, 11<<20)
	if status := e.raw(head, []byte("--xyz\r\n")); status != http.StatusRequestEntityTooLarge {
		e.t.Errorf("oversized upload: %d, want 413", status)
	}
	e.want(401, "POST", path, "", body, ct)
}

func tourInventory(e *tourEnv, member string) {
	var all []any
	next := ""
	for page := 0; ; page++ {
		path := "/tour/api/v1/inventory?per_page=1"
		if next != "" {
			path += "&current_index=" + url.QueryEscape(next)
		}
		p := e.want(200, "GET", path, member, nil, "")
		data, _ := p["data"].([]any)
		all = append(all, data...)
		next, _ = p["next_index"].(string)
		if next == "" || page > 10 {
			break
		}
	}
	if len(all) < 3 {
		e.t.Fatalf("inventory has %d records: %v", len(all), all)
	}
	e.want(200, "GET", "/tour/api/v1/inventory?item=ZAMNVCAS19&location=ZAM-WINERY&date_filled_from=2023-01-01&date_filled_to=2023-12-31", member, nil, "")
	e.want(422, "GET", "/tour/api/v1/inventory?date_filled_from=2023-02-30", member, nil, "")

	rec := e.want(200, "GET", "/tour/api/v1/inventory?item=ZAMNVCAS19&bin=SS-01&lot=RM19CASRUT.ZAM", member, nil, "")
	data, _ := rec["data"].([]any)
	if len(data) != 1 {
		e.t.Fatalf("record: %v", rec)
	}
	id := tourInt(e.t, jsonAt(data[0], "id"))
	history := e.want(200, "GET", fmt.Sprintf("/tour/api/v1/inventory/%d/history", id), member, nil, "")
	if events, _ := history["data"].([]any); len(events) != 2 {
		e.t.Errorf("history: %v", history)
	}
	first := e.want(200, "GET", fmt.Sprintf("/tour/api/v1/inventory/%d/history?per_page=1", id), member, nil, "")
	if next, _ := first["next_index"].(string); next == "" {
		e.t.Errorf("history page 1 has no next_index: %v", first)
	} else {
		e.want(200, "GET", fmt.Sprintf("/tour/api/v1/inventory/%d/history?per_page=1&current_index=%s", id, url.QueryEscape(next)), member, nil, "")
	}
	e.want(422, "GET", fmt.Sprintf("/tour/api/v1/inventory/%d/history?per_page=0", id), member, nil, "")
	key := url.Values{"item": {"ZAMNVCAS19"}, "bin": {"SS-01"}, "lot": {"RM19CASRUT.ZAM"}, "date_filled": {"2023-08-01"}}
	e.want(200, "GET", "/tour/api/v1/inventory/history?"+key.Encode(), member, nil, "")
	e.want(422, "GET", "/tour/api/v1/inventory/history?item=ZAMNVCAS19", member, nil, "")
	e.want(404, "GET", "/tour/api/v1/inventory/999999/history", member, nil, "")

	const del = "/tour/api/v1/inventory/batch-delete"
	dry := e.wantJSON(200, "POST", del, member, `{"items":["CAB 2019"],"dry_run":true}`)
	if jsonAt(dry, "content", "deleted_count") != json.Number("1") {
		e.t.Errorf("dry run delete: %v", dry)
	}
	e.wantJSON(422, "POST", del, member, `{"dry_run":true}`)
	e.wantJSON(422, "POST", del, member, `{"rows":[{"bin":"SS-01"}]}`)
	e.wantJSON(400, "POST", del, member, `{"rows":`)
	e.wantJSON(200, "POST", del, member, `{"rows":[{"item":"ZAMNVCAS19","bin":"SS-01","date_filled":"2023-08-01"}]}`)
	history = e.want(200, "GET", fmt.Sprintf("/tour/api/v1/inventory/%d/history", id), member, nil, "")
	if events, _ := history["data"].([]any); len(events) != 3 || jsonAt(events[2], "event") != "deleted" {
		e.t.Errorf("history after delete: %v", history)
	}
}

// tourLifecycle reverts and cancels jobs.
func tourLifecycle(e *tourEnv, admin, member string) {
	const path = "/tour/api/v1/inventory/import/process"
	rec := tourRecord("ZAMNVCAS19", "FG-GEN-BIN", "RM19CASRUT.ZAM", "2021-01-01", "10", "gal")
	created := tourInt(e.t, jsonAt(e.wantJSON(200, "POST", path, member, tourImportBody(true, true, false, rec)), "content", "job_log_id"))
	updated := tourInt(e.t, jsonAt(e.wantJSON(200, "POST", path, member, tourImportBody(true, true, false,
		tourRecord("ZAMNVCAS19", "FG-GEN-BIN", "RM19CASRUT.ZAM", "2021-01-01", "11", "gal"))), "content", "job_log_id"))
	revert := func(id int64) string { return fmt.Sprintf("/tour/api/v1/imports/%d/revert", id) }
	e.wantJSON(409, "POST", revert(created), admin, "") // updated since
	e.wantJSON(403, "POST", revert(updated), member, "")
	e.wantJSON(422, "POST", revert(updated), admin, `{"force":"yes"}`)
	e.wantJSON(400, "POST", revert(updated), admin, `{"force":`)
	e.wantJSON(404, "POST", revert(999999), admin, "")
	e.want(200, "POST", revert(updated), admin, nil, "")
	e.wantJSON(200, "POST", revert(created), admin, `{"skip_conflicts":true,"force":true}`)
	e.wantJSON(409, "POST", revert(created), admin, `{}`) // already reverted

	// A queued job is picked up within a poll interval: cancel at once, and
	// again with another upload in the rare case the worker was quicker.
	exact := "item_name,bin_name,lot_name,date_filled,quantity,uom\r\nZAMNVCAS19,FG-GEN-BIN,FG-GEN-LOT,2020-07-08,1,Gallon\r\n"
	for attempt := 0; ; attempt++ {
		ct, body := tourForm(e.t, [2]string{"file:inventory.csv", exact}, [2]string{"arguments", tourCSVArgs})
		id := tourInt(e.t, jsonAt(e.want(202, "POST", path, member, body, ct), "content", "job_log_id"))
		cancel := fmt.Sprintf("/tour/api/v1/imports/%d/cancel", id)
		if res := e.send("POST", cancel, member, nil, ""); res.status == 200 || attempt == 20 {
			if res.status != 200 {
				e.t.Fatalf("cancel: %d %s", res.status, res.body)
			}
			e.want(409, "POST", cancel, member, nil, "")
			break
		}
		e.waitJob("tour", member, id)
	}
	e.want(404, "POST", "/tour/api/v1/imports/999999/cancel", member, nil, "")
}

func tourDeletes(e *tourEnv, admin, member string) {
	e.want(409, "DELETE", "/tour/api/v1/items/"+url.PathEscape("CAB 2019"), admin, nil, "")
	e.want(409, "DELETE", "/tour/api/v1/locations/ZAM-WINERY", admin, nil, "")
	e.want(404, "DELETE", "/tour/api/v1/items/NOPE", admin, nil, "")
	e.want(403, "DELETE", "/tour/api/v1/items/TMP-ITEM", member, nil, "")
	for _, p := range []string{"bins/TMP-BIN", "location-areas/TMP-AREA", "locations/TMP-LOC", "items/TMP-ITEM", "lots/TMP-LOT", "uoms/TMP-UOM"} {
		e.want(200, "DELETE", "/tour/api/v1/"+p, admin, nil, "")
	}
}

func tourWebhooks(e *tourEnv, admin, member string) {
	created := e.wantJSON(201, "POST", "/tour/api/v1/webhooks", admin,
		`{"url":"https://erp.example.com/hooks/vintry","events":["import.failed"],"description":"ERP"}`)
	id := jsonAt(created, "content", "id").(json.Number).String()
	e.wantJSON(422, "POST", "/tour/api/v1/webhooks", admin, `{"url":"ftp://erp.example.com/"}`)
	e.wantJSON(400, "POST", "/tour/api/v1/webhooks", admin, `{"url":`)
	e.wantJSON(403, "POST", "/tour/api/v1/webhooks", member, `{"url":"https://erp.example.com/"}`)
	e.want(200, "GET", "/tour/api/v1/webhooks", admin, nil, "")
	e.want(200, "GET", "/tour/api/v1/webhooks/"+id+"/deliveries", admin, nil, "")
	e.want(404, "GET", "/tour/api/v1/webhooks/999999/deliveries", admin, nil, "")
	e.want(200, "DELETE", "/tour/api/v1/webhooks/"+id, admin, nil, "")
	e.want(404, "DELETE", "/tour/api/v1/webhooks/"+id, admin, nil, "")
}

// TestOpenAPIContractLimits checks the answers the tour cannot reach on a
// default server: 429 with Retry-After, and 503 from /readyz.
func TestOpenAPIContractLimits(t *testing.T) {
	t.Parallel()
	t.Run("rate limit", func(t *testing.T) {
		t.Parallel()
		cfg := vhttp.DefaultConfig
		cfg.RateLimit = 1
		e := newTourEnv(t, cfg)
		_, member := e.tourTenant("busy")
		e.want(200, "GET", "/busy/api/v1/items", member, nil, "")
		e.want(429, "GET", "/busy/api/v1/items", member, nil, "")
	})
	t.Run("database down", func(t *testing.T) {
		t.Parallel()
		s := &vhttp.Server{DB: downDB{}, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Config: vhttp.DefaultConfig}
		srv := httptest.NewServer(contractHandler(t, s.Handler()))
		t.Cleanup(srv.Close)
		e := &tourEnv{t: t, url: srv.URL}
		e.want(503, "GET", "/readyz", "", nil, "")
		e.want(200, "GET", "/healthz", "", nil, "")
	})
}

type downDB struct{}

func (downDB) Ping(context.Context) error { return errors.New("connection refused") }
