package http_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	vhttp "github.com/vintry/vintry/http"
)

// Arguments of CSV uploads, as the JSON text of the arguments form field.
const (
	argsContinue     = `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true}`
	argsAllOrNothing = `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false}`
	argsExact        = `{"headers_match_exactly":true,"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true}`
	argsDryRun       = `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true,"dry_run":true}`
)

// csvHeader is the header of a file with the six column names.
const csvHeader = "item_name,bin_name,lot_name,date_filled,quantity,uom\n"

// goodCSV is a file of one valid row against the seeded master data.
const goodCSV = csvHeader + "124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n"

// erpHeader and erpMappings are custom headers and the mapping that fits them.
const (
	erpHeader   = "Item Code,Warehouse Bin,Batch No,Fill Date,Qty,UOM\n"
	erpMappings = `{"Item Code":"item_name","Warehouse Bin":"bin_name","Batch No":"lot_name","Fill Date":"date_filled","Qty":"quantity","UOM":"uom"}`
)

func processPath(tn *tenant) string { return "/" + tn.Slug + "/api/v1/inventory/import/process" }

// formPart is one part of a multipart/form-data body: a file when FileName
// is set, else a plain field.
type formPart struct {
	Name, FileName string
	Content        []byte
}

// multipartBody encodes parts and returns the Content-Type (with a fresh
// random boundary) and the body.
func multipartBody(t *testing.T, parts ...formPart) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.Name)
		if p.FileName != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.FileName)
			h.Set("Content-Type", "text/csv")
		}
		h.Set("Content-Disposition", disp)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p.Content); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// csvParts are the parts of an ordinary upload: the file, the arguments and,
// when given, field_mappings.
func csvParts(fileName string, file []byte, arguments string, mappings ...string) []formPart {
	parts := []formPart{{Name: "file", FileName: fileName, Content: file}, {Name: "arguments", Content: []byte(arguments)}}
	for _, m := range mappings {
		parts = append(parts, formPart{Name: "field_mappings", Content: []byte(m)})
	}
	return parts
}

// upload posts parts as a multipart body to the import endpoint with token.
func (e *env) upload(tn *tenant, token string, parts []formPart, headers ...string) *response {
	e.t.Helper()
	ct, body := multipartBody(e.t, parts...)
	return e.do("POST", processPath(tn), token, body, append([]string{"Content-Type: " + ct}, headers...)...)
}

// queued is the content of a 202 answer to a CSV upload (§3b).
type queued struct {
	JobLogID      int64  `json:"job_log_id"`
	Status        string `json:"status"`
	Type          string `json:"type"`
	StatusURL     string `json:"status_url"`
	JobStatusLink string `json:"job_status_link"`
}

// wantQueued checks that res is the 202 of an accepted upload and returns
// its content.
func wantQueued(t *testing.T, res *response) queued {
	t.Helper()
	if res.Status != http.StatusAccepted {
		t.Fatalf("upload: status %d, want 202: %s", res.Status, res.Body)
	}
	var out struct {
		Message string
		Content queued
	}
	res.Decode(t, &out)
	if out.Message != "Inventory import queued" || out.Content.JobLogID <= 0 {
		t.Fatalf("upload: %s", res.Body)
	}
	return out.Content
}

// queueCSV uploads a file as the tenant's member; the upload must be
// accepted.
func (e *env) queueCSV(tn *tenant, fileName string, file []byte, arguments string, mappings ...string) queued {
	e.t.Helper()
	return wantQueued(e.t, e.upload(tn, tn.MemberToken, csvParts(fileName, file, arguments, mappings...)))
}

// rows repeats a data row n times under the six-column header.
func rows(n int, row string) []byte {
	return []byte(csvHeader + strings.Repeat(row+"\n", n))
}

// rejection is an upload that must be refused before any job exists.
type rejection struct {
	name        string
	parts       []formPart // the body, unless raw is set
	raw         []byte
	contentType string // for raw bodies
	status      int
	msg         string   // the exact message, when the spec or seed fixes it
	prefix      string   // else a prefix the message must have
	mentions    []string // and words it must contain (what it names)
	field       string   // a key the errors object must have
}

func rejections() []rejection {
	file := []byte(goodCSV)
	mapped := func(f, mappings string) []formPart {
		return csvParts("inv.csv", []byte(f), argsContinue, mappings)
	}
	args := func(a string) []formPart { return csvParts("inv.csv", file, a) }
	badType := "Invalid file type. Only CSV files are allowed."
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00")
	const unprocessable = http.StatusUnprocessableEntity
	return []rejection{
		{name: "file missing", parts: []formPart{{Name: "arguments", Content: []byte(argsContinue)}}, status: unprocessable, field: "file"},
		{name: "file part without a file name", parts: []formPart{{Name: "file", Content: file}, {Name: "arguments", Content: []byte(argsContinue)}},
			status: unprocessable, msg: badType, field: "file"},
		{name: "xlsx name", parts: csvParts("inventory.xlsx", file, argsContinue), status: unprocessable, msg: badType, field: "file"},
		{name: "csv not at the end", parts: csvParts("inventory.csv.txt", file, argsContinue), status: unprocessable, msg: badType},
		{name: "no extension", parts: csvParts("inventory", file, argsContinue), status: unprocessable, msg: badType},
		{name: "binary content named csv", parts: csvParts("inventory.csv", png, argsContinue), status: unprocessable, msg: badType},
		{name: "control characters named csv", parts: csvParts("inventory.csv", bytes.Repeat([]byte("\x01\x02a,b\n"), 100), argsContinue),
			status: unprocessable, msg: badType},
		{name: "file over the limit", parts: csvParts("big.csv", append(rows(0, ""), bytes.Repeat([]byte("x"), 1<<20)...), argsContinue),
			status: http.StatusRequestEntityTooLarge, msg: "File size exceeds maximum allowed size of 1MB"},
		{name: "arguments missing", parts: []formPart{{Name: "file", FileName: "inv.csv", Content: file}}, status: unprocessable, field: "arguments"},
		{name: "arguments not JSON", parts: args(`{allow_record_creation: true}`), status: unprocessable, field: "arguments"},
		{name: "arguments empty", parts: args(""), status: unprocessable, field: "arguments"},
		{name: "arguments an array", parts: args(`[true, true, true]`), status: unprocessable, field: "arguments"},
		{name: "allow_record_update missing", parts: args(`{"allow_record_creation":true,"should_continue_on_error":true}`),
			status: unprocessable, mentions: []string{"allow_record_update"}, field: "arguments.allow_record_update"},
		{name: "should_continue_on_error missing", parts: args(`{"allow_record_creation":true,"allow_record_update":true}`),
			status: unprocessable, mentions: []string{"should_continue_on_error"}, field: "arguments.should_continue_on_error"},
		{name: "boolean as string", parts: args(`{"allow_record_creation":"true","allow_record_update":true,"should_continue_on_error":true}`),
			status: unprocessable, mentions: []string{"allow_record_creation"}, field: "arguments.allow_record_creation"},
		{name: "boolean as number", parts: args(`{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":1}`),
			status: unprocessable, field: "arguments.should_continue_on_error"},
		{name: "dry_run not boolean", parts: args(`{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true,"dry_run":"yes"}`),
			status: unprocessable, field: "arguments.dry_run"},
		{name: "headers_match_exactly not boolean", parts: args(`{"headers_match_exactly":"true","allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true}`),
			status: unprocessable, field: "arguments.headers_match_exactly"},
		{name: "both allow false", parts: args(`{"allow_record_creation":false,"allow_record_update":false,"should_continue_on_error":true}`),
			status: unprocessable, field: "arguments"},
		{name: "exact headers with a column missing", parts: csvParts("inv.csv", []byte("item_name,bin_name,lot_name,date_filled,uom\n124,SS-01,FG-GEN-LOT,2024-01-01,gal\n"), argsExact),
			status: unprocessable, mentions: []string{"quantity"}, field: "file"},
		{name: "exact headers ignore field_mappings", parts: csvParts("inv.csv", []byte(erpHeader+"124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n"), argsExact, erpMappings),
			status: unprocessable, mentions: []string{"item_name", "uom"}, field: "file"},
		{name: "custom headers without field_mappings", parts: csvParts("inv.csv", []byte(erpHeader+"124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n"), argsContinue),
			status: unprocessable, msg: "Field mappings are required", field: "field_mappings"},
		{name: "column names in another case without field_mappings", parts: csvParts("inv.csv", []byte("Item_Name,bin_name,lot_name,date_filled,quantity,uom\n124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n"), argsContinue),
			status: unprocessable, msg: "Field mappings are required"},
		{name: "field_mappings not JSON", parts: mapped(erpHeader+"a,b,c,d,e,f\n", `{"Qty":quantity}`), status: unprocessable, field: "field_mappings"},
		{name: "field_mappings an array", parts: mapped(erpHeader+"a,b,c,d,e,f\n", `["Qty","quantity"]`), status: unprocessable, field: "field_mappings"},
		{name: "field_mappings value a number", parts: mapped(erpHeader+"a,b,c,d,e,f\n", `{"Qty":5}`), status: unprocessable, field: "field_mappings"},
		{name: "invalid mapping target", parts: mapped(erpHeader+"a,b,c,d,e,f\n", strings.Replace(erpMappings, `"item_name"`, `"sku"`, 1)),
			status: unprocessable, prefix: "Invalid mapping target", mentions: []string{"sku"}, field: "field_mappings.Item Code"},
		{name: "unknown source header", parts: mapped(erpHeader+"a,b,c,d,e,f\n", strings.Replace(erpMappings, `"UOM"`, `"Unit"`, 1)),
			status: unprocessable, mentions: []string{"Unit"}, field: "field_mappings.Unit"},
		{name: "target mapped twice", parts: mapped(erpHeader+"a,b,c,d,e,f\n", strings.Replace(erpMappings, `"bin_name"`, `"item_name"`, 1)),
			status: unprocessable, mentions: []string{"item_name", "Item Code", "Warehouse Bin"}},
		{name: "required column unmapped", parts: mapped(erpHeader+"a,b,c,d,e,f\n", strings.Replace(erpMappings, `,"UOM":"uom"`, "", 1)),
			status: unprocessable, mentions: []string{"uom"}, field: "field_mappings"},
		{name: "empty field_mappings", parts: mapped(erpHeader+"a,b,c,d,e,f\n", `{}`), status: unprocessable, mentions: []string{"item_name"}},
		{name: "duplicate header names", parts: mapped("Item Code,Warehouse Bin,Batch No,Fill Date,Qty,UOM,Qty\na,b,c,d,e,f,g\n", erpMappings),
			status: unprocessable, mentions: []string{"Qty"}, field: "file"},
		{name: "duplicate column name", parts: csvParts("inv.csv", []byte("item_name,bin_name,lot_name,date_filled,quantity,uom,item_name\na,b,c,d,e,f,g\n"), argsContinue),
			status: unprocessable, mentions: []string{"item_name"}, field: "file"},
		{name: "1001 data rows", parts: csvParts("inv.csv", rows(1001, "124,SS-01,FG-GEN-LOT,2024-01-01,5,gal"), argsContinue),
			status: unprocessable, msg: "Maximum 1000 records per request"},
		{name: "header only", parts: csvParts("inv.csv", []byte(csvHeader), argsContinue), status: unprocessable, msg: "The file has no data rows."},
		{name: "header and blank rows only", parts: csvParts("inv.csv", []byte(csvHeader+"\n,,,,,\n \n"), argsContinue),
			status: unprocessable, msg: "The file has no data rows."},
		{name: "empty file", parts: csvParts("inv.csv", nil, argsContinue), status: unprocessable, mentions: []string{"header"}},
		{name: "unterminated quote", parts: csvParts("inv.csv", []byte(goodCSV+"124,\"SS-02,FG-GEN-LOT,2024-01-01,5,gal\n124,SS-03,FG-GEN-LOT,2024-01-01,5,gal\n"), argsContinue),
			status: unprocessable, mentions: []string{"Line 3"}, field: "file"},
		{name: "bare quote after a multi-line field", parts: csvParts("inv.csv", []byte(csvHeader+"\"12\n4\",SS-01,FG-GEN-LOT,2024-01-01,5,gal\n12\"4,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n"), argsContinue),
			status: unprocessable, mentions: []string{"Line 4"}, field: "file"},
		{name: "two file parts", parts: append(csvParts("a.csv", file, argsContinue), formPart{Name: "file", FileName: "b.csv", Content: file}),
			status: unprocessable, field: "file"},
		{name: "missing multipart boundary", raw: []byte("--x\r\n"), contentType: "multipart/form-data", status: http.StatusBadRequest},
		{name: "body is not multipart", raw: []byte(goodCSV), contentType: "multipart/form-data; boundary=xyz", status: http.StatusBadRequest},
		{name: "multipart body cut short", raw: []byte("--xyz\r\nContent-Disposition: form-data; name=\"arguments\"\r\n\r\n{}"),
			contentType: "multipart/form-data; boundary=xyz", status: http.StatusBadRequest},
		{name: "text/plain", raw: []byte(goodCSV), contentType: "text/plain", status: http.StatusUnsupportedMediaType},
		{name: "text/csv", raw: []byte(goodCSV), contentType: "text/csv", status: http.StatusUnsupportedMediaType},
		{name: "multipart/mixed", raw: []byte(goodCSV), contentType: "multipart/mixed; boundary=xyz", status: http.StatusUnsupportedMediaType},
	}
}

// TestCSVUploadRejected runs every check made before a job is accepted: each
// answers at once with its status and message, and no job is created.
func TestCSVUploadRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *vhttp.Config) { c.MaxUploadBytes = 1 << 20 })
	tn := e.newTenant("acme", true)
	for _, tt := range rejections() {
		t.Run(tt.name, func(t *testing.T) {
			e := e.forT(t)
			before := e.jobCount(tn)
			var res *response
			if tt.raw != nil {
				res = e.do("POST", processPath(tn), tn.MemberToken, tt.raw, "Content-Type: "+tt.contentType)
			} else {
				res = e.upload(tn, tn.MemberToken, tt.parts)
			}
			body := wantError(t, res, tt.status, tt.msg)
			if !strings.HasPrefix(body.Message, tt.prefix) {
				t.Errorf("message = %q, want prefix %q", body.Message, tt.prefix)
			}
			for _, m := range tt.mentions {
				if !strings.Contains(body.Message, m) {
					t.Errorf("message = %q, does not name %q", body.Message, m)
				}
			}
			if _, ok := body.Errors[tt.field]; tt.field != "" && !ok {
				t.Errorf("errors = %v, want key %q", body.Errors, tt.field)
			}
			if n := e.jobCount(tn); n != before {
				t.Fatalf("a refused upload created a job: %d jobs, %d before", n, before)
			}
		})
	}
}

// TestCSVUploadTooLarge checks that the limit holds however the body comes:
// declared, streamed, and that a file of exactly the limit is accepted.
func TestCSVUploadTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	e := newEnv(t, func(c *vhttp.Config) { c.MaxUploadBytes = limit })
	tn := e.newTenant("acme", true)
	head := func(slug, token string, length int) string {
		return fmt.Sprintf("POST /%s/api/v1/inventory/import/process HTTP/1.1\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: %d\r\n", slug, token, length)
	}
	start := []byte("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n" + csvHeader)
	t.Run("declared Content-Length over the default 10MB", func(t *testing.T) {
		e := newEnv(t)
		tn := e.newTenant("acme", false)
		// The body is never sent: the server must refuse on the header alone.
		res := e.rawHTTP(head("acme", tn.MemberToken, 11<<20), start)
		wantError(t, res, http.StatusRequestEntityTooLarge, "File size exceeds maximum allowed size of 10MB")
		if n := e.jobCount(tn); n != 0 {
			t.Fatalf("%d jobs", n)
		}
	})
	t.Run("declared Content-Length over the limit", func(t *testing.T) {
		res := e.forT(t).rawHTTP(head("acme", tn.MemberToken, 2*limit), start)
		wantError(t, res, http.StatusRequestEntityTooLarge, "File size exceeds maximum allowed size of 1MB")
	})
	t.Run("streamed body over the limit", func(t *testing.T) {
		ct, body := multipartBody(t, csvParts("big.csv", rows(3*limit/40, "124,SS-01,FG-GEN-LOT,2024-01-01,5,gal"), argsContinue)...)
		// A reader of unknown length makes the client send it chunked, so
		// the server finds out only while reading.
		req, err := http.NewRequest("POST", e.URL+processPath(tn), struct{ *bytes.Reader }{bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+tn.MemberToken)
		if req.ContentLength != 0 || len(body) < 2*limit {
			t.Fatalf("the body must be over the limit and of unknown length (%d bytes)", len(body))
		}
		wantError(t, e.forT(t).doRequest(req), http.StatusRequestEntityTooLarge, "File size exceeds maximum allowed size of 1MB")
	})
	if n := e.jobCount(tn); n != 0 {
		t.Fatalf("an oversized upload created %d jobs", n)
	}
	t.Run("a file of exactly the limit", func(t *testing.T) {
		e := e.forT(t)
		header := strings.TrimSuffix(csvHeader, "\n") + ",note\n" // the padding's column
		row := "124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,"
		file := []byte(header + row + strings.Repeat("x", limit-len(header)-len(row)-1) + "\n")
		if len(file) != limit {
			t.Fatalf("fixture is %d bytes", len(file))
		}
		job := e.waitJob(tn, e.queueCSV(tn, "exact.csv", file, argsContinue).JobLogID)
		if job.Status != "completed" || job.Summary != (summary{Total: 1, Created: 1}) {
			t.Fatalf("job = %s %+v", job.Status, job.Summary)
		}
	})
}

// TestCSVUploadRowLimit checks that 1000 data rows, the default limit, are
// accepted and imported.
func TestCSVUploadRowLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := range 1000 {
		fmt.Fprintf(&b, "124,SS-01,FG-GEN-LOT,%04d-01-01,%d,gal\n", 1001+i, i+1)
	}
	job := e.waitJob(tn, e.queueCSV(tn, "thousand.csv", []byte(b.String()), argsContinue).JobLogID)
	if job.Status != "completed" || job.Summary != (summary{Total: 1000, Created: 1000}) {
		t.Fatalf("job = %s %+v", job.Status, job.Summary)
	}
	if n := len(e.inventory(tn, "")); n != 1000 {
		t.Fatalf("inventory has %d records, want 1000", n)
	}
}

// TestCSVUploadFileNameAnyCase: the .csv extension is matched in any case.
func TestCSVUploadFileNameAnyCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	for _, name := range []string{"INVENTORY.CSV", "Export 2024.Csv", "a.b.cSv"} {
		t.Run(name, func(t *testing.T) {
			e := e.forT(t)
			q := e.queueCSV(tn, name, []byte(goodCSV), argsContinue)
			if job := e.waitJob(tn, q.JobLogID); job.Status != "completed" {
				t.Errorf("job = %s %+v", job.Status, job.Summary)
			}
		})
	}
}
