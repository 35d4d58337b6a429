package http_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var update = flag.Bool("update", false, "write docs/screenshots")

// screenshotDir is where -update writes the UI screenshots.
var screenshotDir = filepath.Join("..", "docs", "screenshots")

// chromiumPath returns the browser to drive. Without one the test is
// skipped, except on CI (CI set), where the browser must be installed.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install -y chromium), and CI must run the browser tests")
	}
	t.Skip("skipping browser test: chromium is not installed (neither /usr/bin/chromium nor chromium on PATH)")
	return ""
}

// browser is one headless Chromium tab driving the UI of an env.
type browser struct {
	t   *testing.T
	e   *env
	ctx context.Context
}

// newBrowser starts headless Chromium with a fresh profile; it stops when
// the test ends. Every step of the test must finish within 2 minutes.
func newBrowser(t *testing.T, e *env) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-background-networking", true))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	// Registered after t.TempDir, so the browser is gone before its profile is removed.
	t.Cleanup(func() { bcancel(); acancel(); cancel() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, e: e, ctx: bctx}
}

// do runs steps; any error fails the test.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// run runs an action that returns a value.
func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// navigate runs steps that load a page and checks the page's HTTP status
// and path (with query).
func (b *browser) navigate(status int, path string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, steps...)
	if err != nil {
		b.t.Fatal(err)
	}
	if got := run(b, chromedp.Location()); res.Status != int64(status) || got != b.e.URL+path {
		b.t.Fatalf("page %s answered %d, want %s with %d", got, res.Status, b.e.URL+path, status)
	}
}

// waitVisible waits until sel is visible, at most 30 s.
func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("%s did not show: %v", sel, err)
	}
}

// screenshot saves the whole page as docs/screenshots/name.png with -update.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if !*update {
		return
	}
	png := run(b, chromedp.FullScreenshot(100))
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		b.t.Fatalf("screenshot %s is not a PNG", name)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// browserColumns maps the headers of the test files to their columns.
var browserColumns = map[string]string{"Item Code": "item_name", "Bin": "bin_name", "Batch No": "lot_name",
	"Fill Date": "date_filled", "Qty": "quantity", "Unit": "uom"}

const browserHeader = "Item Code,Bin,Batch No,Fill Date,Qty,Unit\n"

// importFile uploads content through the Upload page, maps every header
// with its select, and queues it; it returns the id of the job page it
// lands on. With shots, it saves screenshots of the upload pages.
func (b *browser) importFile(slug, name, content string, continueOnError, shots bool) int64 {
	b.t.Helper()
	file := filepath.Join(b.t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.navigate(200, "/"+slug+"/imports/upload", chromedp.Click(chromedp.CSS(`nav a[href$="/imports/upload"]`)))
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}))
	if shots {
		b.screenshot("upload")
	}
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS("main form button[type=submit]"))); err != nil {
		b.t.Fatal(err)
	}
	if loc := run(b, chromedp.Location()); !draftPath.MatchString(strings.TrimPrefix(loc, b.e.URL)) {
		b.t.Fatalf("upload landed on %s: %s", loc, run(b, chromedp.Text(chromedp.CSS("main"))))
	}
	headers := run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.mapping thead th")].map(th => th.textContent)`))
	var want []string
	for _, h := range headers {
		want = append(want, browserColumns[h])
	}
	// Every header resembles its column (Qty, Batch No, ...): all are suggested.
	if got := run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.mapping select")].map(s => s.value)`)); !slices.Equal(got, want) {
		b.t.Errorf("headers %q pre-selected %q, want the suggestions %q", headers, got, want)
	}
	for i, h := range headers {
		b.do(chromedp.SetValue(chromedp.ID("map_"+strconv.Itoa(i)), browserColumns[h]))
	}
	if got := run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.mapping select")].map(s => s.value)`)); !slices.Equal(got, want) || len(got) != 6 {
		b.t.Fatalf("selects hold %q, want %q", got, want)
	}
	if continueOnError {
		b.do(chromedp.Click(chromedp.CSS(`input[name="should_continue_on_error"]`)))
	}
	if got := run(b, chromedp.Evaluate[bool](`document.querySelector('input[name="should_continue_on_error"]').checked`)); got != continueOnError {
		b.t.Fatalf("continue-on-error box checked = %v", got)
	}
	if shots {
		b.screenshot("upload-mapping")
	}
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS("main form button[type=submit]"))); err != nil {
		b.t.Fatal(err)
	}
	loc := run(b, chromedp.Location())
	m := jobPagePath.FindStringSubmatch(strings.TrimPrefix(loc, b.e.URL))
	if m == nil {
		b.t.Fatalf("queueing landed on %s: %s", loc, run(b, chromedp.Text(chromedp.CSS("main"))))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// download is a file fetched from within the page.
type download struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	Text   string `json:"text"`
}

// fetchFile fetches the job page's file link of a label with the page's
// own credentials (the HttpOnly session cookie).
func (b *browser) fetchFile(label string) download {
	b.t.Helper()
	return run(b, chromedp.Evaluate[download](fmt.Sprintf(`(async () => {
		const a = [...document.querySelectorAll("ul.files a")].find(a => a.textContent.trim() === %q);
		if (!a) return {status: 0, type: "", text: "no link"};
		const res = await fetch(a.href);
		return {status: res.status, type: res.headers.get("Content-Type"), text: await res.text()};
	})()`, label), chromedp.EvalAwaitPromise))
}

func TestBrowserImport(t *testing.T) {
	e := newEnv(t)
	tn := e.newTenant("winery", true)
	foreign := e.mustImport(e.newTenant("cellar", true), rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")).JobLogID
	first := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")).JobLogID
	b := newBrowser(t, e)

	// A job link without a session goes through sign-in and back.
	jobPath := uiJobPath("winery", first)
	b.navigate(200, "/winery/login?next="+url.QueryEscape(jobPath), chromedp.Navigate(e.URL+jobPath))
	b.do(chromedp.SendKeys(chromedp.ID("email"), "member@winery.test"), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	b.navigate(200, jobPath, chromedp.Click(chromedp.CSS("main form button[type=submit]")))
	b.waitVisible("#live .badge-completed")
	if c := run(b, chromedp.Evaluate[string](`document.cookie`)); strings.Contains(c, "vintry_session") {
		t.Errorf("the session cookie is readable by scripts: %q", c)
	}

	t.Run("completed", func(t *testing.T) {
		b := &browser{t: t, e: e, ctx: b.ctx}
		id := b.importFile("winery", "clean.csv", browserHeader+
			"ZAMNVCAS19,SS-01,RM19CASRUT.ZAM,2024-04-01,1200.5,gal\n"+
			"CAB 2019,BBL-117,RM19CASSH.ZAM,2024-04-01,59.25,gal\n"+
			"124,FG-GEN-BIN,FG-GEN-LOT,2024-04-01,48,9LE\n", false, false)
		b.waitVisible("#live .badge-completed")
		summary := run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#live table.summary tbody td")].map(td => td.textContent)`))
		if !slices.Equal(summary, []string{"3", "3", "0", "0", "0"}) {
			t.Errorf("summary = %q, want 3 rows created", summary)
		}
		if got := run(b, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(got, "No row failed.") {
			t.Errorf("job page: %s", got)
		}
		if job := e.forT(t).readJob(tn, id); job.Status != "completed" {
			t.Errorf("API says %s", job.Status)
		}
	})

	var withErrors int64
	t.Run("completed with errors", func(t *testing.T) {
		b := &browser{t: t, e: e, ctx: b.ctx}
		withErrors = b.importFile("winery", "errors.csv", browserHeader+
			"ZAMNVCAS19,SS-01,RM19CASRUT.ZAM,2024-03-01,1200.5,gal\n"+
			"CAB 2019,BBL-117,RM19CASSH.ZAM,2023-10-15,59.25,gal\n"+
			"Cab 2019,SS-02,RM20CASRUT.ZAM,2024-03-02,10,gal\n"+
			"124,FG-GEN-BIN,FG-GEN-LOT,2024-03-01,48,9LE\n"+
			"122-16,SS-03,FG-GEN-LOT,2024-02-30,3,gal\n", true, true)
		b.waitVisible("#live .badge-completed_with_errors")
		b.waitVisible("table.errors")
		rows := run(b, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("table.errors tbody tr")].map(tr => [...tr.cells].map(td => td.textContent))`))
		want := [][]string{
			{"4", "item_name", "Cab 2019", "Item with name 'Cab 2019' does not exist", "did you mean 'CAB 2019'?"},
			{"6", "date_filled", "2024-02-30", "The date_filled must be a real date in the format YYYY-MM-DD.", ""},
		}
		if !slices.EqualFunc(rows, want, slices.Equal) {
			t.Errorf("error table = %q, want %q", rows, want)
		}
		b.screenshot("job")
		file := b.fetchFile("Errors")
		if file.Status != 200 || !strings.HasPrefix(file.Type, "text/csv") {
			t.Fatalf("errors file: %d %s %s", file.Status, file.Type, file.Text)
		}
		recs, err := csv.NewReader(strings.NewReader(file.Text)).ReadAll()
		if err != nil || len(recs) != 3 || !slices.Equal(recs[0], []string{"line", "field", "value", "message", "hint"}) {
			t.Fatalf("errors file (%v): %q", err, file.Text)
		}
		for i, w := range want {
			if !slices.Equal(recs[i+1], w) {
				t.Errorf("errors file row %d = %q, want %q", i+1, recs[i+1], w)
			}
		}
	})

	t.Run("narrow screen", func(t *testing.T) {
		b := &browser{t: t, e: e, ctx: b.ctx}
		b.do(chromedp.EmulateViewport(390, 800))
		defer b.do(chromedp.ResetViewport())
		for _, path := range []string{uiJobPath("winery", withErrors), "/winery" + uiJobs, "/winery/inventory"} {
			b.navigate(200, path, chromedp.Navigate(e.URL+path))
			if w := run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
				t.Errorf("%s is %d px wide on a 390 px screen", path, w)
			}
		}
	})

	t.Run("foreign job", func(t *testing.T) {
		b := &browser{t: t, e: e, ctx: b.ctx}
		path := uiJobPath("winery", foreign)
		b.navigate(404, path, chromedp.Navigate(e.URL+path))
		if got := run(b, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(got, "Job not found.") {
			t.Errorf("foreign job page: %s", got)
		}
	})
}

// TestBrowserRevert imports the wrong file, presses Revert on its job page,
// confirms the counts, and finds the inventory exactly as before.
func TestBrowserRevert(t *testing.T) {
	e := newEnv(t)
	tn := e.newTenant("winery", true)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	before := e.snapshot(tn)
	b := newBrowser(t, e)
	b.navigate(200, "/winery/login", chromedp.Navigate(e.URL+"/winery/login"))
	b.do(chromedp.SendKeys(chromedp.ID("email"), "admin@winery.test"), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	b.navigate(200, "/winery"+uiJobs, chromedp.Click(chromedp.CSS("main form button[type=submit]")))

	id := b.importFile("winery", "wrong.csv", browserHeader+
		"124,SS-01,FG-GEN-LOT,2024-01-01,500,gal\n"+
		"CAB 2019,BBL-117,RM19CASSH.ZAM,2024-04-01,59.25,gal\n", false, false)
	b.waitVisible("#live .badge-completed")
	if e.snapshot(tn)[1] == before[1] {
		t.Fatalf("the wrong file changed nothing")
	}
	b.waitVisible("#revert-job")
	b.navigate(200, uiJobPath("winery", id)+"/revert", chromedp.Click(chromedp.CSS("#revert-job")))
	counts := run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("ul.revert-counts li")].map(li => li.textContent)`))
	want := []string{"1 created record(s) will be deleted", "1 updated record(s) will be restored",
		"0 deleted record(s) will be re-created", "0 conflict(s)"}
	if !slices.Equal(counts, want) {
		t.Errorf("confirmation shows %q, want %q", counts, want)
	}
	b.screenshot("revert")
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS("#revert-confirm"))); err != nil {
		t.Fatal(err)
	}
	loc := strings.TrimPrefix(run(b, chromedp.Location()), e.URL)
	if m := jobPagePath.FindStringSubmatch(loc); m == nil || m[1] == strconv.FormatInt(id, 10) {
		t.Fatalf("confirming landed on %s: %s", loc, run(b, chromedp.Text(chromedp.CSS("main"))))
	}
	b.waitVisible("#live .badge-completed")
	if got := run(b, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(got, fmt.Sprintf("Revert of import job %d", id)) {
		t.Errorf("revert job page: %s", got)
	}
	e.wantSnapshot(tn, before, "after Revert in the browser")
}

// cellarColumns maps the headers of the profile test's files; Day and
// Litres resemble no column, so only a saved mapping selects them.
var cellarColumns = map[string]string{"Wine": "item_name", "Tank": "bin_name", "Charge No": "lot_name",
	"Day": "date_filled", "Litres": "quantity", "Measure": "uom"}

const cellarHeader = "Wine,Tank,Charge No,Day,Litres,Measure\n"

// uploadToMapping uploads a file through the Upload page and returns the
// headers of the mapping page it lands on.
func (b *browser) uploadToMapping(name, content string) []string {
	b.t.Helper()
	file := filepath.Join(b.t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.navigate(200, "/winery/imports/upload", chromedp.Click(chromedp.CSS(`nav a[href$="/imports/upload"]`)))
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}))
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS("main form button[type=submit]"))); err != nil {
		b.t.Fatal(err)
	}
	if loc := run(b, chromedp.Location()); !draftPath.MatchString(strings.TrimPrefix(loc, b.e.URL)) {
		b.t.Fatalf("upload landed on %s: %s", loc, run(b, chromedp.Text(chromedp.CSS("main"))))
	}
	return run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.mapping thead th")].map(th => th.textContent)`))
}

// selects returns the value of each column select of the mapping page.
func (b *browser) selects() []string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.mapping select")].map(s => s.value)`))
}

// queue submits the mapping form and returns the id of the job page it
// lands on.
func (b *browser) queue() int64 {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS("main form button[type=submit]"))); err != nil {
		b.t.Fatal(err)
	}
	loc := run(b, chromedp.Location())
	m := jobPagePath.FindStringSubmatch(strings.TrimPrefix(loc, b.e.URL))
	if m == nil {
		b.t.Fatalf("queueing landed on %s: %s", loc, run(b, chromedp.Text(chromedp.CSS("main"))))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// TestBrowserMappingProfile saves a mapping from the mapping form, then
// applies it to a second file and imports that.
func TestBrowserMappingProfile(t *testing.T) {
	e := newEnv(t)
	tn := e.newTenant("winery", true)
	b := newBrowser(t, e)
	b.navigate(200, "/winery/login", chromedp.Navigate(e.URL+"/winery/login"))
	b.do(chromedp.SendKeys(chromedp.ID("email"), "member@winery.test"), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	b.navigate(200, "/winery"+uiJobs, chromedp.Click(chromedp.CSS("main form button[type=submit]")))

	headers := b.uploadToMapping("first.csv", cellarHeader+"ZAMNVCAS19,SS-01,RM19CASRUT.ZAM,2024-04-01,1200.5,gal\n")
	var want []string
	for _, h := range headers {
		want = append(want, cellarColumns[h])
	}
	if n := run(b, chromedp.Evaluate[int](`document.querySelectorAll("#profile").length`)); n != 0 {
		t.Errorf("a saved mapping is offered before any was saved")
	}
	for i, h := range headers {
		b.do(chromedp.SetValue(chromedp.ID("map_"+strconv.Itoa(i)), cellarColumns[h]))
	}
	b.do(chromedp.SendKeys(chromedp.ID("save_profile"), "Cellar export"))
	first := b.queue()
	b.waitVisible("#live .badge-completed")
	if job := e.forT(t).readJob(tn, first); job.Status != "completed" || job.Summary.Created != 1 {
		t.Fatalf("first job: %+v", job)
	}

	headers2 := b.uploadToMapping("second.csv", cellarHeader+
		"ZAMNVCAS20,SS-02,RM20CASRUT.ZAM,2024-04-02,300,gal\n"+
		"124,FG-GEN-BIN,FG-GEN-LOT,2024-04-02,48,9LE\n")
	if !slices.Equal(headers2, headers) {
		t.Fatalf("headers %q, want %q", headers2, headers)
	}
	if got := b.selects(); slices.Equal(got, want) {
		t.Fatalf("selects %q already right before the profile is applied: the test proves nothing", got)
	}
	b.do(chromedp.SetValue(chromedp.ID("profile"), "Cellar export"))
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`input[type=submit][value="Apply mapping"]`))); err != nil {
		t.Fatal(err)
	}
	if got := b.selects(); !slices.Equal(got, want) {
		t.Fatalf("after applying the profile the selects hold %q, want %q", got, want)
	}
	second := b.queue()
	b.waitVisible("#live .badge-completed")
	if job := e.forT(t).readJob(tn, second); job.Status != "completed" || job.Summary.Created != 2 {
		t.Fatalf("second job: %+v", job)
	}
	if got := e.forT(t).stock(tn); got[invKey("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-02")] != "48 9LE" || len(got) != 3 {
		t.Errorf("stock = %v", got)
	}
}
