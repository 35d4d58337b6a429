package http_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// uiJobs is the path of a tenant's import jobs list, under /{tenant}.
const uiJobs = "/settings/application-maintenance/job-management/imports"

// uiJobPath is the path of a job's log page (the job_status_link).
func uiJobPath(slug string, id int64) string { return fmt.Sprintf("/%s%s/logs/%d", slug, uiJobs, id) }

// uiClient is a browser-like client of the web UI: it keeps its cookies and
// stops at every redirect, so a test sees each 303 and its Location.
type uiClient struct {
	t *testing.T
	e *env
	c *http.Client
}

func (e *env) uiClient(t *testing.T) *uiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &uiClient{t: t, e: e, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// send sends a request; headers are "Name: value" strings (a "Cookie"
// header adds to the jar's cookies).
func (c *uiClient) send(method, path, contentType string, body io.Reader, headers ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.e.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: data}
}

func (c *uiClient) get(path string, headers ...string) *response {
	c.t.Helper()
	return c.send("GET", path, "", nil, headers...)
}

func (c *uiClient) postForm(path string, form url.Values, headers ...string) *response {
	c.t.Helper()
	return c.send("POST", path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), headers...)
}

// login posts the sign-in form of a tenant.
func (c *uiClient) login(slug, email, password, next string, headers ...string) *response {
	c.t.Helper()
	return c.postForm("/"+slug+"/login", url.Values{"email": {email}, "password": {password}, "next": {next}}, headers...)
}

// signIn signs in as the tenant's member; it must succeed.
func (c *uiClient) signIn(slug string) {
	c.t.Helper()
	wantRedirect(c.t, c.login(slug, "member@"+slug+".test", testPassword, ""), "/"+slug+uiJobs)
}

// session returns the session cookie the client holds for a tenant.
func (c *uiClient) session(slug string) string {
	c.t.Helper()
	u, _ := url.Parse(c.e.URL + "/" + slug + "/")
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == "vintry_session" {
			return ck.Value
		}
	}
	c.t.Fatalf("no session cookie for %s", slug)
	return ""
}

// upload posts a file to the upload form.
func (c *uiClient) upload(slug, fileName string, content []byte, headers ...string) *response {
	c.t.Helper()
	ct, body := multipartBody(c.t, formPart{Name: "file", FileName: fileName, Content: content})
	return c.send("POST", "/"+slug+"/imports/upload", ct, strings.NewReader(string(body)), headers...)
}

// wantRedirect checks that res is a 303 to location.
func wantRedirect(t *testing.T, res *response, location string) {
	t.Helper()
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != location {
		t.Fatalf("got %d to %q, want 303 to %q: %.300s", res.Status, res.Header.Get("Location"), location, res.Body)
	}
}

// wantPage checks that res is an HTML page of the status that contains
// every text (as HTML source) and carries the UI's security headers.
func wantPage(t *testing.T, res *response, status int, texts ...string) string {
	t.Helper()
	body := string(res.Body)
	if res.Status != status || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d (%s), want %d HTML: %.500s", res.Status, res.Header.Get("Content-Type"), status, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q: %.2000s", s, body)
		}
	}
	return body
}

// sessionCookie returns the vintry_session cookie a response sets, or nil.
func sessionCookie(res *response) *http.Cookie {
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == "vintry_session" {
			return c
		}
	}
	return nil
}

var hiddenNext = regexp.MustCompile(`name="next" value="([^"]*)"`)

func TestUIPagesNeedSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	job := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	// Forms posted without a session are not taken either.
	anon := e.uiClient(t)
	wantRedirect(t, anon.upload("acme", "stock.csv", []byte(uiCSV)), "/acme/login?next=%2Facme%2Fimports%2Fupload")
	wantRedirect(t, anon.postForm("/acme/imports/upload/1", uiMapping(true)), "/acme/login?next=%2Facme%2Fimports%2Fupload%2F1")
	for _, tc := range []struct {
		path  string
		after int // status once signed in
	}{
		{"/acme/", http.StatusSeeOther},
		{"/acme" + uiJobs, http.StatusOK},
		{"/acme" + uiJobs + "?current_index=", http.StatusOK},
		{uiJobPath("acme", job.JobLogID), http.StatusOK},
		{uiJobPath("acme", job.JobLogID) + "?errors_page=2&fragment=live", http.StatusOK},
		{"/acme/inventory?item=124&bin=SS-01", http.StatusOK},
		{"/acme/imports/upload", http.StatusOK},
		{"/acme/imports/upload/99", http.StatusNotFound},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			c := e.uiClient(t)
			login := "/acme/login?next=" + url.QueryEscape(tc.path)
			wantRedirect(t, c.get(tc.path), login)
			body := wantPage(t, c.get(login), http.StatusOK, `action="/acme/login"`)
			if m := hiddenNext.FindStringSubmatch(body); m == nil || html.UnescapeString(m[1]) != tc.path {
				t.Errorf("login form next = %q, want %q", m, tc.path)
			}
			res := c.login("acme", "member@acme.test", testPassword, tc.path)
			wantRedirect(t, res, tc.path)
			ck := sessionCookie(res)
			if ck == nil || ck.Value == "" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/acme" || ck.MaxAge <= 0 {
				t.Fatalf("session cookie = %+v; Set-Cookie %q", ck, res.Header.Values("Set-Cookie"))
			}
			if res := c.get(tc.path); res.Status != tc.after || strings.Contains(res.Header.Get("Location"), "/login") {
				t.Errorf("signed in: %d to %q, want %d", res.Status, res.Header.Get("Location"), tc.after)
			}
		})
	}
}

func TestUILoginRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newTenant("acme", false)
	for _, tc := range []struct{ name, email, password string }{
		{"wrong password", "member@acme.test", "wrong horse"},
		{"unknown email", "nobody@acme.test", testPassword},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := "/acme/inventory"
			res := e.uiClient(t).login("acme", tc.email, tc.password, next)
			wantPage(t, res, http.StatusUnauthorized, `role="alert">Invalid credentials.</p>`,
				`value="`+html.EscapeString(tc.email)+`"`, `name="next" value="`+next+`"`)
			if ck := sessionCookie(res); ck != nil {
				t.Errorf("failed sign-in set a session: %+v", ck)
			}
		})
	}
}

func TestUILoginNextStaysOnTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newTenant("acme", false)
	e.newTenant("other", false)
	home := "/acme" + uiJobs
	for _, tc := range []struct{ next, want string }{
		{"/acme/inventory?item=124", "/acme/inventory?item=124"},
		{"https://evil.example/", home},
		{"http://evil.example/acme/inventory", home},
		{"//evil.example", home},
		{"//evil.example/acme/inventory", home},
		{"/\\evil.example", home},
		{"javascript:alert(1)", home},
		{"/other" + uiJobs, home},
		{"/acmex/inventory", home},
		{"/acme/../other/inventory", home},
		{"/acme/%2e%2e/other/inventory", home},
		{"/acme/./../other/inventory", home},
		{"", home},
	} {
		t.Run(tc.next, func(t *testing.T) {
			t.Parallel()
			c := e.uiClient(t)
			body := wantPage(t, c.get("/acme/login?next="+url.QueryEscape(tc.next)), http.StatusOK)
			if m := hiddenNext.FindStringSubmatch(body); m == nil || html.UnescapeString(m[1]) != tc.want {
				t.Errorf("login form next = %q, want %q", m, tc.want)
			}
			wantRedirect(t, c.login("acme", "member@acme.test", testPassword, tc.next), tc.want)
		})
	}
}

func TestUISignOutRevokes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newTenant("acme", false)
	c := e.uiClient(t)
	c.signIn("acme")
	old := c.session("acme")
	res := c.postForm("/acme/logout", nil)
	wantRedirect(t, res, "/acme/login")
	if ck := sessionCookie(res); ck == nil || ck.MaxAge >= 0 || ck.Path != "/acme" {
		t.Errorf("sign-out does not clear the cookie: %+v", ck)
	}
	// The old cookie, replayed by someone who kept it, is dead.
	stale := e.uiClient(t)
	wantRedirect(t, stale.get("/acme/inventory", "Cookie: vintry_session="+old), "/acme/login?next=%2Facme%2Finventory")
	// Signing out without a session just shows the sign-in page: it must
	// not come back to the logout URL, which has no page, after sign-in.
	wantRedirect(t, stale.postForm("/acme/logout", nil), "/acme/login")
}

// crossSite are the headers of a form posted from another site.
var crossSite = []string{"Sec-Fetch-Site: cross-site", "Origin: http://evil.example"}

func TestUICrossSiteFormsRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	owner := e.uiClient(t)
	owner.signIn("acme")
	draft := wantDraft(t, owner.upload("acme", "stock.csv", []byte(uiCSV)))
	for _, h := range crossSite {
		t.Run(h, func(t *testing.T) {
			c := e.uiClient(t)
			res := c.login("acme", "member@acme.test", testPassword, "", h)
			if res.Status != http.StatusForbidden || sessionCookie(res) != nil {
				t.Errorf("cross-site sign-in: %d, cookie %v", res.Status, sessionCookie(res))
			}
			if res := owner.postForm("/acme/logout", nil, h); res.Status != http.StatusForbidden {
				t.Errorf("cross-site sign-out: %d", res.Status)
			}
			wantPage(t, owner.get("/acme/inventory"), http.StatusOK) // still signed in
			if res := owner.upload("acme", "stock.csv", []byte(uiCSV), h); res.Status != http.StatusForbidden {
				t.Errorf("cross-site upload: %d", res.Status)
			}
			if res := owner.postForm(draft, uiMapping(true), h); res.Status != http.StatusForbidden {
				t.Errorf("cross-site queue: %d", res.Status)
			}
		})
	}
	if n := e.forT(t).jobCount(tn); n != 0 {
		t.Errorf("cross-site forms queued %d jobs", n)
	}
	if n := e.draftCount(t); n != 1 {
		t.Errorf("%d drafts, want only the one uploaded same-site", n)
	}
	// The same forms from the site itself are accepted.
	wantRedirect(t, e.uiClient(t).login("acme", "member@acme.test", testPassword, "", "Sec-Fetch-Site: same-origin",
		"Origin: "+e.URL), "/acme"+uiJobs)
}

func TestUISessionScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("a", true)
	e.newTenant("b", true)
	job := e.mustImport(a, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	c := e.uiClient(t)
	c.signIn("a")
	session := c.session("a")
	file := e.readJob(a, job.JobLogID).Files["input"][0]
	if res := c.get(file); res.Status != http.StatusOK {
		t.Fatalf("own file with session: %d %s", res.Status, res.Body)
	}
	other := e.uiClient(t)
	for _, p := range []string{"/b" + uiJobs, "/b/inventory", "/b/imports/upload"} {
		wantRedirect(t, other.get(p, "Cookie: vintry_session="+session), "/b/login?next="+url.QueryEscape(p))
	}
	if res := other.get("/b/download/x.csv", "Cookie: vintry_session="+session); res.Status == http.StatusOK {
		t.Errorf("a's session downloads on b: %d", res.Status)
	}
	// An API token is no session, and a session is no API token.
	wantRedirect(t, other.get("/a/inventory", "Cookie: vintry_session="+a.MemberToken), "/a/login?next=%2Fa%2Finventory")
	for _, p := range []string{"/a/api/v1/imports", "/a/api/v1/inventory", statusPath(a, job.JobLogID), file} {
		wantError(t, e.do("GET", p, session, nil), http.StatusUnauthorized, "Unauthenticated.")
	}
	wantError(t, e.do("GET", "/b/api/v1/imports", session, nil), http.StatusUnauthorized, "Unauthenticated.")
}

// hostile are names that would run script if a page did not escape them.
var hostile = []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`}

// wantEscaped checks that a page shows each hostile text only escaped.
// html.EscapeString escapes these texts exactly as html/template does.
func wantEscaped(t *testing.T, res *response, texts ...string) {
	t.Helper()
	body := wantPage(t, res, http.StatusOK)
	for _, raw := range []string{"<script>alert", "<SCRIPT>", "<img src=x", `"><img`} {
		if strings.Contains(body, raw) {
			t.Errorf("page holds raw %q", raw)
		}
	}
	for _, s := range texts {
		if !strings.Contains(body, html.EscapeString(s)) {
			t.Errorf("page does not show %q escaped", s)
		}
	}
}

func TestUIEscapesData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	e.upsert(tn, "items", `[{"name":"<script>alert(1)</script>"},{"name":"\"><img src=x onerror=alert(1)>"}]`)
	e.upsert(tn, "lots", `[{"name":"\"><img src=x onerror=alert(1)>"}]`)
	r := e.importJSON(tn, importBody(true, true, true,
		rec(hostile[0], "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"),
		rec(hostile[1], "SS-01", hostile[1], "2024-01-01", 7, "gal"),
		rec("<SCRIPT>alert(1)</SCRIPT>", "SS-01", "FG-GEN-LOT", "2024-01-01", 1, "gal"),
		rec("124", `"><img src=x onerror=alert(2)>`, "FG-GEN-LOT", "2024-01-01", 1, "gal")))
	if r.Content.Summary.Created != 2 || r.Content.Summary.Failed != 2 {
		t.Fatalf("import: %+v", r.Content)
	}
	fileName := `"><img src=x onerror=alert(3)>.csv`
	csvJob := e.queueCSV(tn, fileName, []byte("item_name,bin_name,lot_name,date_filled,quantity,uom\n124,SS-01,FG-GEN-LOT,2024-02-01,5,gal\n"),
		`{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false}`)
	e.waitJob(tn, csvJob.JobLogID)
	c := e.uiClient(t)
	c.signIn("acme")
	t.Run("job page", func(t *testing.T) {
		wantEscaped(t, c.get(uiJobPath("acme", r.Content.JobLogID)), `<SCRIPT>alert(1)</SCRIPT>`,
			"Item with name '<SCRIPT>alert(1)</SCRIPT>' does not exist", "did you mean '<script>alert(1)</script>'?",
			`"><img src=x onerror=alert(2)>`, `Bin with name '"><img src=x onerror=alert(2)>' does not exist`)
	})
	t.Run("csv job page", func(t *testing.T) { wantEscaped(t, c.get(uiJobPath("acme", csvJob.JobLogID)), fileName) })
	t.Run("jobs list", func(t *testing.T) { wantEscaped(t, c.get("/acme"+uiJobs), fileName) })
	t.Run("inventory", func(t *testing.T) { wantEscaped(t, c.get("/acme/inventory"), hostile...) })
	t.Run("inventory filter", func(t *testing.T) {
		wantEscaped(t, c.get("/acme/inventory?item="+url.QueryEscape(hostile[0])+"&lot="+url.QueryEscape(hostile[1])), hostile...)
	})
	t.Run("mapping page", func(t *testing.T) {
		file := hostile[0] + `,"""><img src=x onerror=alert(1)>"` + "\n" + `"""><img src=x onerror=alert(1)>",<script>alert(1)</script>` + "\n"
		draft := wantDraft(t, c.upload("acme", "x.csv", []byte(file)))
		wantEscaped(t, c.get(draft), hostile...)
	})
}

// errorRow matches a row of a job page's row error table.
var errorRow = regexp.MustCompile(`<tr><td>(\d+)</td><td>([^<]*)</td><td><code>([^<]*)</code></td><td>([^<]*)</td>`)

// uiErrorLines returns the line numbers of the row errors a job page shows.
func uiErrorLines(body string) []int {
	var out []int
	for _, m := range errorRow.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

var pageLink = regexp.MustCompile(`<a href="([^"]*)">(← Previous|Next →)</a>`)

// pagerLinks returns the job page's previous and next links, resolved
// against the page's path.
func pagerLinks(t *testing.T, page, body string) (prev, next string) {
	t.Helper()
	base, _ := url.Parse(page)
	for _, m := range pageLink.FindAllStringSubmatch(body, -1) {
		ref, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		if u := base.ResolveReference(ref).RequestURI(); m[2] == "Next →" {
			next = u
		} else {
			prev = u
		}
	}
	return prev, next
}

func lineRange(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestUIJobErrorPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	var recs []map[string]any
	for i := range 250 {
		recs = append(recs, rec(fmt.Sprintf("missing-%03d", i+1), "SS-01", "FG-GEN-LOT", "2024-01-01", 1, "gal"))
	}
	r := e.importJSON(tn, importBody(true, true, true, recs...))
	if r.Content.Summary.Failed != 250 {
		t.Fatalf("import: %+v", r.Content.Summary)
	}
	c := e.uiClient(t)
	c.signIn("acme")
	path := uiJobPath("acme", r.Content.JobLogID)
	for _, want := range []struct {
		from, to   int
		prev, next bool
	}{{1, 100, false, true}, {101, 200, true, true}, {201, 250, true, false}} {
		body := wantPage(t, c.get(path), http.StatusOK, fmt.Sprintf("Errors %d–%d of 250.", want.from, want.to),
			fmt.Sprintf("Item with name &#39;missing-%03d&#39; does not exist", want.from))
		if got := uiErrorLines(body); !slices.Equal(got, lineRange(want.from, want.to)) {
			t.Fatalf("%s shows lines %v, want %d–%d", path, got, want.from, want.to)
		}
		prev, next := pagerLinks(t, path, body)
		if (prev != "") != want.prev || (next != "") != want.next {
			t.Fatalf("%s: previous %q, next %q", path, prev, next)
		}
		if prev != "" {
			back := wantPage(t, c.get(prev), http.StatusOK)
			if got := uiErrorLines(back); len(got) != 100 || got[0] != want.from-100 {
				t.Errorf("previous of %s shows lines %v", path, got)
			}
		}
		path = next
	}
}

func TestUIJobLiveFragment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	r := e.importJSON(tn, importBody(true, true, true, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"),
		rec("nope", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")))
	c := e.uiClient(t)
	c.signIn("acme")
	body := strings.TrimSpace(wantPage(t, c.get(uiJobPath("acme", r.Content.JobLogID)+"?fragment=live"), http.StatusOK,
		`data-terminal="true"`, `badge-completed_with_errors`, `<td>2</td><td>1</td><td>0</td><td>0</td><td>1</td>`))
	if !strings.HasPrefix(body, `<section id="live"`) || !strings.HasSuffix(body, "</section>") {
		t.Errorf("fragment is not only the live section: %s", body)
	}
	for _, s := range []string{"<html", "<header", "Row errors", "Files", "data-live"} {
		if strings.Contains(body, s) {
			t.Errorf("fragment holds %q", s)
		}
	}
	// The full page holds the same section, polling stops once the job is done.
	wantPage(t, c.get(uiJobPath("acme", r.Content.JobLogID)), http.StatusOK, `<section id="live" data-terminal="true" aria-live="polite">`, "Row errors")
}
