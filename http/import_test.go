package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	vhttp "github.com/vintry/vintry/http"
)

const importPath = "/api/v1/inventory/import/process"

// validArgs are arguments that allow everything.
const validArgs = `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false}`

// validRecord is a payload record that imports against the seeded tenant.
const validRecord = `{"item_name":"124","bin_name":"SS-01","lot_name":"FG-GEN-LOT","date_filled":"2024-01-01","quantity":5,"uom":"gal"}`

// records returns n valid payload records with distinct keys.
func records(n int) []map[string]any {
	out := make([]map[string]any, n)
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		out[i] = rec("124", "SS-01", "FG-GEN-LOT", day.AddDate(0, 0, i).Format(time.DateOnly), i+1, "gal")
	}
	return out
}

func TestImportRequestRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	withArgs := func(args string) string {
		return `{"source":"api","arguments":` + args + `,"payload":[` + validRecord + `]}`
	}
	tooMany, _ := json.Marshal(importBody(true, true, false, records(1001)...))
	tests := []struct {
		name        string
		body        string
		contentType string
		status      int
		message     string // exact, when the seed or spec fixes it
		field       string // a key that must be in errors
	}{
		{"source missing", `{"arguments":` + validArgs + `,"payload":[` + validRecord + `]}`, "", 422, "", "source"},
		{"source null", `{"source":null,"arguments":` + validArgs + `,"payload":[` + validRecord + `]}`, "", 422, "", "source"},
		{"source csv", `{"source":"csv","arguments":` + validArgs + `,"payload":[` + validRecord + `]}`, "", 422, "", "source"},
		{"source API", `{"source":"API","arguments":` + validArgs + `,"payload":[` + validRecord + `]}`, "", 422, "", "source"},
		{"source number", `{"source":1,"arguments":` + validArgs + `,"payload":[` + validRecord + `]}`, "", 422, "", "source"},
		{"arguments missing", `{"source":"api","payload":[` + validRecord + `]}`, "", 422, "", "arguments"},
		{"arguments null", withArgs(`null`), "", 422, "", "arguments"},
		{"arguments a string", withArgs(`"all"`), "", 422, "", "arguments"},
		{"arguments an array", withArgs(`[true,true,false]`), "", 422, "", "arguments"},
		{"allow_record_creation missing", withArgs(`{"allow_record_update":true,"should_continue_on_error":false}`), "", 422, "", "arguments.allow_record_creation"},
		{"allow_record_update missing", withArgs(`{"allow_record_creation":true,"should_continue_on_error":false}`), "", 422, "", "arguments.allow_record_update"},
		{"should_continue_on_error missing", withArgs(`{"allow_record_creation":true,"allow_record_update":true}`), "", 422, "", "arguments.should_continue_on_error"},
		{"boolean as string", withArgs(`{"allow_record_creation":"true","allow_record_update":true,"should_continue_on_error":false}`), "", 422, "", "arguments.allow_record_creation"},
		{"boolean as number", withArgs(`{"allow_record_creation":true,"allow_record_update":1,"should_continue_on_error":false}`), "", 422, "", "arguments.allow_record_update"},
		{"boolean null", withArgs(`{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":null}`), "", 422, "", "arguments.should_continue_on_error"},
		{"dry_run as string", withArgs(`{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false,"dry_run":"yes"}`), "", 422, "", "arguments.dry_run"},
		{"both allow false", withArgs(`{"allow_record_creation":false,"allow_record_update":false,"should_continue_on_error":true}`), "", 422, "", "arguments"},
		{"payload missing", `{"source":"api","arguments":` + validArgs + `}`, "", 422, "", "payload"},
		{"payload null", `{"source":"api","arguments":` + validArgs + `,"payload":null}`, "", 422, "", "payload"},
		{"payload a single object", `{"source":"api","arguments":` + validArgs + `,"payload":` + validRecord + `}`, "", 422, "Invalid payload structure", "payload"},
		{"payload a string", `{"source":"api","arguments":` + validArgs + `,"payload":"x"}`, "", 422, "Invalid payload structure", "payload"},
		{"payload entry not an object", `{"source":"api","arguments":` + validArgs + `,"payload":[` + validRecord + `,[1]]}`, "", 422, "Invalid payload structure", ""},
		{"payload empty", `{"source":"api","arguments":` + validArgs + `,"payload":[]}`, "", 422, "", "payload"},
		{"1001 records", string(tooMany), "", 422, "Maximum 1000 records per request", "payload"},
		{"body an array", `[` + validRecord + `]`, "", 422, "", ""},
		{"malformed JSON", `{"source":"api","arguments":`, "", 400, "", ""},
		{"trailing garbage", `{"source":"api"} x`, "", 400, "", ""},
		{"empty body", ``, "", 400, "", ""},
		{"text/plain", withArgs(validArgs), "text/plain", 415, "", ""},
		{"no Content-Type", withArgs(validArgs), "-", 415, "", ""},
		{"form", withArgs(validArgs), "application/x-www-form-urlencoded", 415, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.forT(t)
			var res *response
			switch tt.contentType {
			case "":
				res = e.do("POST", "/acme"+importPath, tn.MemberToken, tt.body)
			case "-":
				req, _ := http.NewRequest("POST", e.URL+"/acme"+importPath, strings.NewReader(tt.body))
				req.Header.Set("Authorization", "Bearer "+tn.MemberToken)
				res = e.doRequest(req)
			default:
				res = e.do("POST", "/acme"+importPath, tn.MemberToken, tt.body, "Content-Type: "+tt.contentType)
			}
			body := wantError(t, res, tt.status, tt.message)
			if tt.field != "" && len(body.Errors[tt.field]) == 0 {
				t.Errorf("no error for %s: %s", tt.field, res.Body)
			}
		})
	}
	// A refused request creates no job and writes nothing.
	if n := e.jobCount(tn); n != 0 {
		t.Errorf("%d jobs after refused requests", n)
	}
	if n := len(e.inventory(tn, "")); n != 0 {
		t.Errorf("%d records after refused requests", n)
	}
}

func TestImportAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	tests := []struct {
		name, body, contentType string
	}{
		{"charset parameter", `{"source":"api","arguments":` + validArgs + `,"payload":[` + validRecord + `]}`, "application/json; charset=utf-8"},
		{"unknown fields ignored", `{"source":"api","extra":1,"arguments":{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false,"other":"x"},
			"payload":[{"item_name":"124","bin_name":"SS-01","lot_name":"FG-GEN-LOT","date_filled":"2024-01-02","quantity":5,"uom":"gal","note":{"a":[1]}}]}`, "application/json"},
		{"explicit dry_run false", `{"source":"api","arguments":{"allow_record_creation":true,"allow_record_update":false,"should_continue_on_error":false,"dry_run":false},"payload":[` +
			strings.Replace(validRecord, "2024-01-01", "2024-01-03", 1) + `]}`, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.forT(t).do("POST", "/acme"+importPath, tn.MemberToken, tt.body, "Content-Type: "+tt.contentType)
			if res.Status != http.StatusOK {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			var got struct {
				Message string
				Content importContent
			}
			res.Decode(t, &got)
			if got.Message != "Inventory import processed" || got.Content.Summary.Created != 1 ||
				got.Content.Type != "inventory-import" || got.Content.DryRun == nil || *got.Content.DryRun {
				t.Errorf("response = %s", res.Body)
			}
		})
	}
	if n := len(e.inventory(tn, "")); n != len(tests) {
		t.Errorf("inventory has %d records, want %d", n, len(tests))
	}
}

func TestImportMaxRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	r := e.importJSON(tn, importBody(true, true, false, records(1000)...))
	if r.Status != http.StatusOK || r.Content.Summary != (summary{Total: 1000, Created: 1000}) {
		t.Fatalf("1000 records: %d %+v", r.Status, r.Content.Summary)
	}
	if n := len(e.inventory(tn, "")); n != 1000 {
		t.Fatalf("inventory has %d records", n)
	}

	// --max-records changes the limit.
	small := newEnv(t, func(c *vhttp.Config) { c.MaxRecords = 3 })
	tn = small.newTenant("acme", true)
	if r := small.importJSON(tn, importBody(true, true, false, records(3)...)); r.Status != http.StatusOK {
		t.Fatalf("3 records: %d %+v", r.Status, r.Content)
	}
	res := small.do("POST", "/acme"+importPath, tn.MemberToken, importBody(true, true, false, records(4)...))
	wantError(t, res, http.StatusUnprocessableEntity, "Maximum 3 records per request")
}

func TestImportBodyTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 2048
	e := newEnv(t, func(c *vhttp.Config) { c.MaxUploadBytes = limit })
	tn := e.newTenant("acme", true)
	padded := func(n int) []byte {
		b, _ := json.Marshal(map[string]any{"source": "api", "padding": strings.Repeat("x", n),
			"arguments": json.RawMessage(validArgs), "payload": json.RawMessage("[" + validRecord + "]")})
		return b
	}
	under, over := padded(limit-400), padded(limit)
	if len(under) > limit || len(over) <= limit {
		t.Fatalf("bad fixture sizes %d, %d", len(under), len(over))
	}
	t.Run("declared Content-Length over the limit", func(t *testing.T) {
		wantError(t, e.forT(t).do("POST", "/acme"+importPath, tn.MemberToken, over), http.StatusRequestEntityTooLarge, "")
	})
	t.Run("streamed body over the limit", func(t *testing.T) {
		// A reader of unknown length makes the client send it chunked, so
		// the server finds out only while reading.
		req, _ := http.NewRequest("POST", e.URL+"/acme"+importPath, io.MultiReader(bytes.NewReader(over)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tn.MemberToken)
		if req.ContentLength != 0 {
			t.Fatal("the body must be of unknown length")
		}
		wantError(t, e.forT(t).doRequest(req), http.StatusRequestEntityTooLarge, "")
	})
	if n := len(e.inventory(tn, "")); n != 0 {
		t.Fatalf("an oversized import wrote %d records", n)
	}
	t.Run("under the limit", func(t *testing.T) {
		if res := e.forT(t).do("POST", "/acme"+importPath, tn.MemberToken, under); res.Status != http.StatusOK {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
	})
	t.Run("default limit is 10MB", func(t *testing.T) {
		e := newEnv(t)
		tn := e.newTenant("acme", false)
		// The body is never sent: the server must refuse on the header alone.
		head := fmt.Sprintf("POST /acme%s HTTP/1.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n",
			importPath, tn.MemberToken, 10<<20+1)
		res := e.rawHTTP(head, []byte(`{"source":"api"`))
		body := wantError(t, res, http.StatusRequestEntityTooLarge, "")
		if !strings.Contains(body.Message, "10MB") {
			t.Errorf("message %q does not name the 10MB limit", body.Message)
		}
	})
}

func TestImportModes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	k := invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01")
	row := func(qty any, uom string) map[string]any {
		return rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", qty, uom)
	}
	tests := []struct {
		name           string
		stored         any // quantity of the record before the import; nil = none
		create, update bool
		rows           []map[string]any
		want           summary
		wantErrors     []string // messages, in order
		wantStock      string   // "" = no record
	}{
		{"create new", nil, true, false, []map[string]any{row(5, "gal")}, summary{Total: 1, Created: 1}, nil, "5 gal"},
		{"create-only, record exists", "5", true, false, []map[string]any{row(6, "gal")}, summary{Total: 1, Failed: 1},
			[]string{"Record already exists and updates are not allowed"}, "5 gal"},
		{"update-only, record missing", nil, false, true, []map[string]any{row(5, "gal")}, summary{Total: 1, Failed: 1},
			[]string{"Record does not exist and creation is not allowed"}, ""},
		{"update-only, record exists", "5", false, true, []map[string]any{row(7, "gal")}, summary{Total: 1, Updated: 1}, nil, "7 gal"},
		{"update is a snapshot, not an increment", "5", true, true, []map[string]any{row(3, "gal")}, summary{Total: 1, Updated: 1}, nil, "3 gal"},
		{"uom change alone is an update", "5", true, true, []map[string]any{row(5, "9LE")}, summary{Total: 1, Updated: 1}, nil, "5 9LE"},
		{"identical row is unchanged", "5", true, true, []map[string]any{row("5.000", "Gallon")}, summary{Total: 1, Unchanged: 1}, nil, "5 gal"},
		{"identical row, create-only, is unchanged", "5", true, false, []map[string]any{row(5, "gal")}, summary{Total: 1, Unchanged: 1}, nil, "5 gal"},
		{"duplicate key: second updates the first", nil, true, true, []map[string]any{row(5, "gal"), row(7, "gal")},
			summary{Total: 2, Created: 1, Updated: 1}, nil, "7 gal"},
		{"duplicate key: second is unchanged", nil, true, true, []map[string]any{row(5, "gal"), row("5.0", "gal")},
			summary{Total: 2, Created: 1, Unchanged: 1}, nil, "5 gal"},
		{"duplicate key, create-only: second may not update", nil, true, false, []map[string]any{row(5, "gal"), row(7, "gal")},
			summary{Total: 2, Created: 1, Failed: 1}, []string{"Record already exists and updates are not allowed"}, "5 gal"},
		{"duplicate key, update-only: neither may create", nil, false, true, []map[string]any{row(5, "gal"), row(7, "gal")},
			summary{Total: 2, Failed: 2}, []string{"Record does not exist and creation is not allowed", "Record does not exist and creation is not allowed"}, ""},
		{"duplicate key of a stored record: updated twice", "1", true, true, []map[string]any{row(5, "gal"), row(7, "gal"), row(7, "gal")},
			summary{Total: 3, Updated: 2, Unchanged: 1}, nil, "7 gal"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.forT(t)
			tn := e.newTenant(fmt.Sprintf("t%d", i), true)
			var before map[string]any
			if tt.stored != nil {
				e.mustImport(tn, row(tt.stored, "gal"))
				before = e.inventory(tn, "")[0]
			}
			r := e.importJSON(tn, importBody(tt.create, tt.update, true, tt.rows...))
			if r.Content.Summary != tt.want {
				t.Errorf("summary = %+v, want %+v", r.Content.Summary, tt.want)
			}
			var msgs []string
			for _, re := range r.Content.Errors {
				msgs = append(msgs, re.Message)
			}
			if !reflect.DeepEqual(msgs, tt.wantErrors) {
				t.Errorf("errors = %q, want %q", msgs, tt.wantErrors)
			}
			wantStatus := "completed"
			if tt.want.Failed > 0 {
				wantStatus = "completed_with_errors"
			}
			if r.Status != http.StatusOK || r.Content.Status != wantStatus {
				t.Errorf("answer = %d %s, want 200 %s", r.Status, r.Content.Status, wantStatus)
			}
			stock := e.stock(tn)
			if stock[k] != tt.wantStock || len(stock) > 1 {
				t.Errorf("stock = %v, want %s = %q", stock, k, tt.wantStock)
			}
			if before != nil && tt.want.Updated == 0 {
				// No write at all: the record still carries the first job.
				after := e.inventory(tn, "")[0]
				if after["updated_at"] != before["updated_at"] || after["last_job_log_id"] != before["last_job_log_id"] {
					t.Errorf("record was written: before %v, after %v", before, after)
				}
				// ...and no history row beyond its creation.
				var h struct{ Data []map[string]any }
				e.do("GET", fmt.Sprintf("/%s/api/v1/inventory/%v/history", tn.Slug, after["id"]), tn.MemberToken, nil).Decode(t, &h)
				if len(h.Data) != 1 {
					t.Errorf("history = %v, want only the creation", h.Data)
				}
			}
		})
	}
}

// atomicityFixture is a tenant with one stored record and a payload that
// updates it, creates another, and has two failing rows.
func atomicityFixture(e *env, slug string) (*tenant, []map[string]any) {
	e.t.Helper()
	tn := e.newTenant(slug, true)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	return tn, []map[string]any{
		rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 9, "gal"),
		rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", 1, "gal"),
		rec("Nope", "SS-01", "No lot", "2024-01-01", 1, "gal"),
		rec("124", "SS-99", "FG-GEN-LOT", "2024-01-01", 1, "gal"),
		rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 9, "gal"),
	}
}

func TestImportAllOrNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn, rows := atomicityFixture(e, "acme")
	before := e.inventory(tn, "")
	jobsBefore := e.jobCount(tn)
	r := e.importJSON(tn, importBody(true, true, false, rows...))
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 422", r.Status)
	}
	// The top-level message is the first failing row's first message.
	if r.Message != "Item with name 'Nope' does not exist" {
		t.Errorf("message = %q", r.Message)
	}
	c := r.Content
	if c.Status != "failed" || c.Summary != (summary{Total: 5, Failed: 2}) || c.Type != "inventory-import" || c.JobLogID == 0 {
		t.Errorf("content = %+v", c)
	}
	want := []rowError{
		{Row: 3, Field: "item_name", Value: "Nope", Message: "Item with name 'Nope' does not exist"},
		{Row: 3, Field: "lot_name", Value: "No lot", Message: "Lot with name 'No lot' does not exist"},
		{Row: 4, Field: "bin_name", Value: "SS-99", Message: "Bin with name 'SS-99' does not exist"},
	}
	if !reflect.DeepEqual(c.Errors, want) {
		t.Errorf("errors = %+v, want %+v", c.Errors, want)
	}
	for _, key := range []string{"payload.2.item_name", "payload.2.lot_name", "payload.3.bin_name"} {
		if len(r.Errors[key]) == 0 {
			t.Errorf("errors has no %s: %v", key, r.Errors)
		}
	}
	if after := e.inventory(tn, ""); !reflect.DeepEqual(after, before) {
		t.Errorf("inventory changed:\nbefore %v\nafter  %v", before, after)
	}
	// The failed import is still recorded as a job.
	if n := e.jobCount(tn); n != jobsBefore+1 {
		t.Errorf("jobs = %d, want %d", n, jobsBefore+1)
	}
	st := e.jobStatus(tn, c.JobLogID)
	if st.Status != "failed" || st.Summary != c.Summary {
		t.Errorf("job status = %s %+v", st.Status, st.Summary)
	}
}

func TestImportContinueOnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn, rows := atomicityFixture(e, "acme")
	r := e.importJSON(tn, importBody(true, true, true, rows...))
	c := r.Content
	if r.Status != http.StatusOK || r.Message != "Inventory import processed" || c.Status != "completed_with_errors" {
		t.Fatalf("answer = %d %q %s", r.Status, r.Message, c.Status)
	}
	if c.Summary != (summary{Total: 5, Created: 1, Updated: 1, Unchanged: 1, Failed: 2}) {
		t.Errorf("summary = %+v", c.Summary)
	}
	if len(c.Errors) != 3 || c.Errors[0].Row != 3 || c.Errors[2].Row != 4 {
		t.Errorf("errors = %+v", c.Errors)
	}
	want := map[string]string{
		invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "9 gal",
		invKey("124", "SS-02", "FG-GEN-LOT", "2024-01-01"): "1 gal",
	}
	if got := e.stock(tn); !reflect.DeepEqual(got, want) {
		t.Errorf("stock = %v, want %v", got, want)
	}
	for _, rec := range e.inventory(tn, "") {
		if id, _ := rec["last_job_log_id"].(float64); int64(id) != c.JobLogID {
			t.Errorf("record %v not stamped with job %d", rec, c.JobLogID)
		}
	}
}

func TestImportDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		continueOnError bool
		rows            func([]map[string]any) []map[string]any
	}{
		{"all or nothing, failing", false, func(r []map[string]any) []map[string]any { return r }},
		{"continue on error, failing", true, func(r []map[string]any) []map[string]any { return r }},
		{"all rows valid", false, func(r []map[string]any) []map[string]any { return append(r[:2:2], r[4]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tn, rows := atomicityFixture(e, "acme")
			rows = tt.rows(rows)
			before := e.inventory(tn, "")
			body := importBody(true, true, tt.continueOnError, rows...)
			body["arguments"].(map[string]any)["dry_run"] = true
			dry := e.importJSON(tn, body)
			if after := e.inventory(tn, ""); !reflect.DeepEqual(after, before) {
				t.Fatalf("dry run wrote:\nbefore %v\nafter  %v", before, after)
			}
			real := e.importJSON(tn, importBody(true, true, tt.continueOnError, rows...))
			if dry.Content.DryRun == nil || !*dry.Content.DryRun || real.Content.DryRun == nil || *real.Content.DryRun {
				t.Errorf("dry_run flags: dry %v, real %v", dry.Content.DryRun, real.Content.DryRun)
			}
			if dry.Content.JobLogID == real.Content.JobLogID {
				t.Errorf("dry run and real run share job %d", dry.Content.JobLogID)
			}
			// Everything else is the same answer.
			if dry.Status != real.Status || dry.Message != real.Message || !reflect.DeepEqual(dry.Errors, real.Errors) ||
				dry.Content.Status != real.Content.Status || dry.Content.Summary != real.Content.Summary ||
				!reflect.DeepEqual(dry.Content.Errors, real.Content.Errors) {
				t.Errorf("dry run answer differs:\ndry  %+v\nreal %+v", dry, real)
			}
			if st := e.jobStatus(tn, dry.Content.JobLogID); !st.DryRun || st.Status != dry.Content.Status {
				t.Errorf("dry run job = %+v", st)
			}
		})
	}
}

func TestImportConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	const workers, imports = 8, 10
	shared := []string{"2023-01-01", "2023-01-02", "2023-01-03"}
	want := map[string]string{}
	for _, d := range shared {
		want[invKey("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", d)] = "42 gal"
	}
	type answer struct {
		status int
		c      importContent
		err    error
	}
	results := make(chan answer, workers*imports)
	for g := range workers {
		go func() {
			for i := range imports {
				n := g*imports + i
				date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format(time.DateOnly)
				// Every worker writes the same value to the shared keys (so
				// the final state does not depend on order) and its own key.
				body, _ := json.Marshal(importBody(true, true, false,
					rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", shared[n%len(shared)], "42", "Gallon"),
					rec("ZAMNVCAS20", fmt.Sprintf("SS-0%d", g%3+1), "RM20CASRUT.ZAM", date, fmt.Sprintf("%d.25", n), "9LE")))
				res, err := e.send("POST", "/acme"+importPath, tn.MemberToken, body)
				a := answer{err: err}
				if err == nil {
					a.status = res.Status
					var out struct{ Content importContent }
					a.err = json.Unmarshal(res.Body, &out)
					a.c = out.Content
				}
				results <- a
			}
		}()
		for i := range imports {
			n := g*imports + i
			date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format(time.DateOnly)
			want[invKey("ZAMNVCAS20", fmt.Sprintf("SS-0%d", g%3+1), "RM20CASRUT.ZAM", date)] = fmt.Sprintf("%d.25 9LE", n)
		}
	}
	var total summary
	jobs := map[int64]bool{}
	for range workers * imports {
		a := <-results
		if a.err != nil || a.status != http.StatusOK || a.c.Status != "completed" {
			t.Fatalf("import: %d %+v %v", a.status, a.c, a.err)
		}
		jobs[a.c.JobLogID] = true
		total.Total += a.c.Summary.Total
		total.Created += a.c.Summary.Created
		total.Updated += a.c.Summary.Updated
		total.Unchanged += a.c.Summary.Unchanged
		total.Failed += a.c.Summary.Failed
	}
	// Imports are serialized: each shared key is created exactly once.
	n := workers * imports
	if wantSum := (summary{Total: 2 * n, Created: n + len(shared), Unchanged: n - len(shared)}); total != wantSum {
		t.Errorf("summed summaries = %+v, want %+v", total, wantSum)
	}
	if len(jobs) != n || e.jobCount(tn) != n {
		t.Errorf("distinct job ids = %d, jobs listed = %d, want %d", len(jobs), e.jobCount(tn), n)
	}
	if got := e.stock(tn); !reflect.DeepEqual(got, want) {
		t.Errorf("stock has %d records, want %d; diff in %v", len(got), len(want), got)
	}
}
