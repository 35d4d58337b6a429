package http_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// uiCSV has headers that differ from the column names only by case,
// spaces, - and _, plus a column to ignore.
const uiCSV = "Item Name,bin_name,LOT NAME,Date-Filled,quantity,Uom,Notes\n" +
	"124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,first\n" +
	"CAB 2019,BBL-117,RM19CASRUT.ZAM,2023-10-15,59.25,9LE,second\n"

// uiColumns is what the mapping page should pre-select for uiCSV's headers.
var uiColumns = []string{"item_name", "bin_name", "lot_name", "date_filled", "quantity", "uom", ""}

// uiMapping is the mapping form for uiCSV; with allow, creation and
// updates are allowed.
func uiMapping(allow bool) url.Values {
	form := url.Values{}
	for i, c := range uiColumns {
		form.Set("map_"+strconv.Itoa(i), c)
	}
	if allow {
		form.Set("allow_record_creation", "1")
		form.Set("allow_record_update", "1")
	}
	return form
}

var draftPath = regexp.MustCompile(`^/[a-z0-9-]+/imports/upload/[0-9]+$`)

// wantDraft checks that an upload answered with a redirect to its mapping
// page and returns that page's path.
func wantDraft(t *testing.T, res *response) string {
	t.Helper()
	loc := res.Header.Get("Location")
	if res.Status != http.StatusSeeOther || !draftPath.MatchString(loc) {
		t.Fatalf("upload: %d to %q, want 303 to the mapping page: %.500s", res.Status, loc, res.Body)
	}
	return loc
}

var jobPagePath = regexp.MustCompile(`^/[a-z0-9-]+/settings/application-maintenance/job-management/imports/logs/([0-9]+)$`)

// wantJobPage checks that res redirects to a job's log page and returns the
// job's id.
func wantJobPage(t *testing.T, res *response) int64 {
	t.Helper()
	m := jobPagePath.FindStringSubmatch(res.Header.Get("Location"))
	if res.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("queue: %d to %q, want 303 to a job page: %.1000s", res.Status, res.Header.Get("Location"), res.Body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// draftCount counts the upload drafts of every tenant, straight from the
// database: no page or endpoint lists them.
func (e *env) draftCount(t *testing.T) int {
	t.Helper()
	return e.DB.countRows(t, "upload_drafts")
}

var (
	selectTag = regexp.MustCompile(`(?s)<select id="map_(\d+)" name="map_\d+">(.*?)</select>`)
	selected  = regexp.MustCompile(`<option value="([^"]*)" selected>`)
)

// uiSelected returns the column each select of a mapping page has chosen,
// in header order ("" for ignore).
func uiSelected(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for i, m := range selectTag.FindAllStringSubmatch(body, -1) {
		if m[1] != strconv.Itoa(i) {
			t.Fatalf("select map_%s at position %d", m[1], i)
		}
		sel := selected.FindAllStringSubmatch(m[2], -1)
		switch len(sel) {
		case 0:
			out = append(out, "")
		case 1:
			out = append(out, sel[0][1])
		default:
			t.Fatalf("select map_%s has %d selected options", m[1], len(sel))
		}
	}
	return out
}

// uiChecked reports whether a page's checkbox of that name is checked.
func uiChecked(t *testing.T, body, name string) bool {
	t.Helper()
	m := regexp.MustCompile(`<input type="checkbox" name="` + name + `" value="1"( checked)?>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no checkbox %s", name)
	}
	return m[1] != ""
}

func TestUIUploadAndQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	c := e.uiClient(t)
	c.signIn("acme")
	draft := wantDraft(t, c.upload("acme", "stock.csv", []byte(uiCSV)))
	body := wantPage(t, c.get(draft), http.StatusOK, "stock.csv", "<td>CAB 2019</td>", "<td>59.25</td>", "<th scope=\"col\">LOT NAME</th>")
	if got := uiSelected(t, body); strings.Join(got, ",") != strings.Join(uiColumns, ",") {
		t.Errorf("pre-selected %q, want %q", got, uiColumns)
	}
	if !uiChecked(t, body, "allow_record_creation") || !uiChecked(t, body, "allow_record_update") ||
		uiChecked(t, body, "should_continue_on_error") || uiChecked(t, body, "dry_run") {
		t.Errorf("default options wrong: %s", body)
	}
	form := uiMapping(false)
	form.Set("allow_record_creation", "1")
	id := wantJobPage(t, c.postForm(draft, form))
	job := e.waitJob(tn, id)
	if job.Status != "completed" || job.Summary.Created != 2 {
		t.Fatalf("job: %+v", job)
	}
	if got := e.stock(tn); got[invKey("CAB 2019", "BBL-117", "RM19CASRUT.ZAM", "2023-10-15")] != "59.25 9LE" || len(got) != 2 {
		t.Errorf("stock = %v", got)
	}
	wantPage(t, c.get(uiJobPath("acme", id)), http.StatusOK, "CSV upload stock.csv", "badge-completed\"", "No row failed.")
	// The draft is used up.
	wantPage(t, c.get(draft), http.StatusNotFound, "no longer available")
}

func TestUIUploadMappingRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	c := e.uiClient(t)
	c.signIn("acme")
	draft := wantDraft(t, c.upload("acme", "stock.csv", []byte(uiCSV)))
	twice := uiMapping(true)
	twice.Set("map_6", "item_name")
	twice.Set("should_continue_on_error", "1")
	unmapped := uiMapping(true)
	unmapped.Set("map_4", "")
	for _, tc := range []struct {
		name   string
		form   url.Values
		errors []string // texts the error message must hold
	}{
		{"column chosen twice", twice, []string{"item_name"}},
		{"required column left out", unmapped, []string{"quantity"}},
		{"nothing allowed", uiMapping(false), []string{"allow_record_creation", "allow_record_update"}},
		{"unknown column", url.Values{"map_0": {"sku"}, "allow_record_creation": {"1"}}, []string{"sku"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := wantPage(t, c.postForm(draft, tc.form), http.StatusUnprocessableEntity, `role="alert"`, "stock.csv")
			alert := regexp.MustCompile(`role="alert">([^<]*)<`).FindStringSubmatch(body)
			for _, s := range tc.errors {
				if alert == nil || !strings.Contains(alert[1], s) {
					t.Errorf("error %q does not name %s", alert, s)
				}
			}
			for i, got := range uiSelected(t, body) {
				if want := tc.form.Get("map_" + strconv.Itoa(i)); got != want && (tc.name != "unknown column" || i != 0) {
					t.Errorf("map_%d = %q after the error, want the choice %q", i, got, want)
				}
			}
			for _, box := range []string{"allow_record_creation", "allow_record_update", "should_continue_on_error", "dry_run"} {
				if uiChecked(t, body, box) != (tc.form.Get(box) != "") {
					t.Errorf("%s not kept as chosen", box)
				}
			}
		})
	}
	if n := e.jobCount(tn); n != 0 {
		t.Fatalf("rejected mappings queued %d jobs", n)
	}
	// The draft survives the mistakes: the corrected form queues it.
	e.waitJob(tn, wantJobPage(t, c.postForm(draft, uiMapping(true))))
}

func TestUIUploadNotCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newTenant("acme", false)
	c := e.uiClient(t)
	c.signIn("acme")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
	for _, tc := range []struct {
		name, file, msg string
		content         []byte
	}{
		{"image", "photo.png", "Invalid file type. Only CSV files are allowed.", png},
		{"binary named csv", "photo.csv", "Invalid file type. Only CSV files are allowed.", png},
		{"csv named txt", "stock.txt", "Invalid file type. Only CSV files are allowed.", []byte(uiCSV)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantPage(t, c.upload("acme", tc.file, tc.content), http.StatusUnprocessableEntity,
				`role="alert">`+tc.msg+`</p>`, `enctype="multipart/form-data"`)
		})
	}
	ct, body := multipartBody(t, formPart{Name: "notes", Content: []byte("no file")})
	wantPage(t, c.send("POST", "/acme/imports/upload", ct, strings.NewReader(string(body))), http.StatusUnprocessableEntity,
		`role="alert">Choose a CSV file to upload.</p>`)
	if n := e.draftCount(t); n != 0 {
		t.Errorf("rejected uploads left %d drafts", n)
	}
}

func TestUIDraftIsPrivate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("a", true)
	b := e.newTenant("b", true)
	owner := e.uiClient(t)
	owner.signIn("a")
	draft := wantDraft(t, owner.upload("a", "stock.csv", []byte(uiCSV)))
	colleague := e.uiClient(t)
	wantRedirect(t, colleague.login("a", "admin@a.test", testPassword, ""), "/a"+uiJobs)
	stranger := e.uiClient(t)
	stranger.signIn("b")
	onB := strings.Replace(draft, "/a/", "/b/", 1)
	for _, tc := range []struct {
		name string
		c    *uiClient
		path string
	}{{"another user", colleague, draft}, {"another tenant", stranger, onB}} {
		t.Run(tc.name, func(t *testing.T) {
			wantPage(t, tc.c.get(tc.path), http.StatusNotFound, "no longer available")
			wantPage(t, tc.c.postForm(tc.path, uiMapping(true)), http.StatusNotFound, "no longer available")
		})
	}
	if e.jobCount(a)+e.jobCount(b) != 0 {
		t.Fatal("a foreign draft was queued")
	}
	wantPage(t, owner.get(draft), http.StatusOK, "stock.csv") // still there for its owner
}
