package http_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
	"github.com/vintry/vintry/jobs"
	"github.com/vintry/vintry/sqlite"
)

// env is one running API on a fresh database.
type env struct {
	t      *testing.T
	URL    string
	DB     *testDB
	Config vhttp.Config
	Server *vhttp.Server
}

// newEnv starts the API on a fresh database: SQLite in a temp dir, or
// PostgreSQL in a fresh schema when VINTRY_TEST_POSTGRES holds a URL (see
// backend_test.go). Options, each a func(*vhttp.Config), a
// func(*sqlite.DB), a func(*jobs.Config) or a func(*jobs.WebhookConfig), may
// change the server config, the database (its clock, say), the job queue or
// the webhook deliveries before anything runs.
func newEnv(t *testing.T, opts ...any) *env {
	t.Helper()
	cfg := vhttp.DefaultConfig
	// Tests poll and loop far faster than any client should; the rate limit
	// tests set their own limits.
	cfg.RateLimit, cfg.LoginRateLimit = 0, 0
	cfg.Resolver = testResolver{}
	var dbOpts []func(*sqlite.DB)
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	jobCfg := jobs.Config{Workers: 2, Logger: logger}
	var baseURL atomic.Pointer[string] // set once the server listens
	hooks := jobs.WebhookConfig{Render: func(slug string, job *vintry.ImportJob) any {
		return vhttp.JobStatusContent(*baseURL.Load(), slug, job)
	}}
	for _, o := range opts {
		switch o := o.(type) {
		case func(*vhttp.Config):
			o(&cfg)
		case func(*sqlite.DB):
			dbOpts = append(dbOpts, o)
		case func(*jobs.Config):
			o(&jobCfg)
		case func(*jobs.WebhookConfig):
			o(&hooks)
		default:
			t.Fatalf("newEnv: unknown option %T", o)
		}
	}
	jobCfg.MaxRecords = cmp.Or(jobCfg.MaxRecords, cfg.MaxRecords) // a job option may set a lower limit
	jobCfg.Webhooks = hooks
	db, stop := openBackend(t, dbOpts, jobCfg)
	srv := httptest.NewUnstartedServer(nil)
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + srv.Listener.Addr().String() // as serve does
	}
	s := &vhttp.Server{Auth: db, MasterData: db, Inventory: db, Imports: db, Jobs: db, Lifecycle: db, Drafts: db, Mappings: db, DB: db,
		Logger: logger, Config: cfg, Webhooks: db, Usage: db}
	// Every request and response of the suite is checked against openapi.yaml.
	srv.Config.Handler = contractHandler(t, s.Handler())
	srv.Start()
	baseURL.Store(&srv.URL)
	t.Cleanup(func() {
		srv.Close()
		stop()
	})
	return &env{t: t, URL: srv.URL, DB: db, Config: cfg, Server: s}
}

// testResolver stands in for DNS, which this machine does not have: names
// under example and example.com have a public address; the names of
// testResolverNames have theirs; any other name does not resolve.
type testResolver struct{}

var testResolverNames = map[string][]string{
	"loop.example.net":  {"127.0.0.1"},
	"intra.example.net": {"10.0.0.7"},
	"mixed.example.net": {"93.184.215.14", "::1"},
}

func (testResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := testResolverNames[host]; ok {
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
	if strings.HasSuffix(host, ".example") || strings.HasSuffix(host, ".example.com") {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, Server: "10.9.9.9:53", IsNotFound: true}
}

// tenant is a tenant made for a test, with an admin and a member token.
type tenant struct {
	Slug        string
	AdminToken  string
	MemberToken string
	ID          int64
}

// Password of every user made by newTenant.
const testPassword = "correct horse battery"

// newTenant creates a tenant with users admin@<slug>.test and
// member@<slug>.test (password testPassword) and tokens for both. With seed,
// it also gets the standard master data (seedMaster).
func (e *env) newTenant(slug string, seed bool) *tenant {
	e.t.Helper()
	ctx := context.Background()
	tn, err := e.DB.CreateTenant(ctx, slug, slug)
	if err != nil {
		e.t.Fatal(err)
	}
	out := &tenant{Slug: slug, ID: tn.ID}
	for _, u := range []struct {
		role  vintry.Role
		token *string
	}{{vintry.RoleAdmin, &out.AdminToken}, {vintry.RoleMember, &out.MemberToken}} {
		email := fmt.Sprintf("%s@%s.test", u.role, slug)
		if _, err := e.DB.CreateUser(ctx, slug, email, testPassword, u.role); err != nil {
			e.t.Fatal(err)
		}
		if *u.token, err = e.DB.IssueToken(ctx, slug, email, 0); err != nil {
			e.t.Fatal(err)
		}
	}
	if seed {
		e.seedMaster(out)
	}
	return out
}

// seedMaster loads the standard test master data through the API.
func (e *env) seedMaster(tn *tenant) {
	e.t.Helper()
	for _, step := range []struct {
		kind string
		body string
	}{
		{"locations", `[{"name":"ZAM-WINERY"},{"name":"ZAM-WHS"}]`},
		{"location-areas", `[{"name":"North","parent_name":"ZAM-WINERY"},{"name":"South","parent_name":"ZAM-WINERY"},{"name":"Storage","parent_name":"ZAM-WHS"}]`},
		{"bins", `[{"name":"SS-01","parent_name":"North","bin_type":"Vessel-Stainless"},{"name":"SS-02","parent_name":"North"},
			{"name":"SS-03","parent_name":"South"},{"name":"BBL-117","parent_name":"South","bin_type":"Vessel-Barrel"},
			{"name":"FG-GEN-BIN","parent_name":"Storage","bin_type":"FG-BIN"}]`},
		{"items", `[{"name":"ZAMNVCAS19"},{"name":"ZAMNVCAS20"},{"name":"CAB 2019"},{"name":"122-16"},{"name":"124"},{"name":"Rosé 2022"}]`},
		{"lots", `[{"name":"RM19CASRUT.ZAM"},{"name":"RM19CASSH.ZAM"},{"name":"RM20CASRUT.ZAM"},{"name":"FG-GEN-LOT","lot_status":"Finished"}]`},
		{"uoms", `[{"name":"Gallon","abbreviation":"gal"},{"name":"9LE Case","abbreviation":"9LE"}]`},
	} {
		res := e.do("POST", "/"+tn.Slug+"/api/v1/"+step.kind, tn.AdminToken, step.body)
		if res.Status != http.StatusOK {
			e.t.Fatalf("seed %s: %d %s", step.kind, res.Status, res.Body)
		}
	}
}

// response is a finished HTTP exchange.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value (numbers as json.Number).
func (r *response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.Body)
	}
	return v
}

// Decode decodes the body into v.
func (r *response) Decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, r.Body)
	}
}

// do sends a request. body may be nil, a string or []byte (sent as is with
// Content-Type application/json unless a header says otherwise), or any other
// value (JSON-encoded). headers are "Name: value" strings.
func (e *env) do(method, path, token string, body any, headers ...string) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		if strings.EqualFold(strings.TrimSpace(name), "Host") {
			req.Host = strings.TrimSpace(value)
			continue
		}
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: data}
}

// importBody builds a JSON import request body.
func importBody(create, update, continueOnError bool, records ...map[string]any) map[string]any {
	if records == nil {
		records = []map[string]any{}
	}
	return map[string]any{
		"source": "api",
		"arguments": map[string]any{
			"allow_record_creation": create, "allow_record_update": update, "should_continue_on_error": continueOnError,
		},
		"payload": records,
	}
}

// rec builds one payload record.
func rec(item, bin, lot, date string, qty any, uom string) map[string]any {
	return map[string]any{"item_name": item, "bin_name": bin, "lot_name": lot, "date_filled": date, "quantity": qty, "uom": uom}
}

// inventory returns every inventory record of the tenant, following pages.
func (e *env) inventory(tn *tenant, query string) []map[string]any {
	e.t.Helper()
	var all []map[string]any
	index := ""
	for {
		q := query
		if index != "" {
			q += "&current_index=" + index
		}
		res := e.do("GET", "/"+tn.Slug+"/api/v1/inventory?"+q, tn.MemberToken, nil)
		if res.Status != http.StatusOK {
			e.t.Fatalf("inventory: %d %s", res.Status, res.Body)
		}
		var page struct {
			Data      []map[string]any `json:"data"`
			NextIndex *string          `json:"next_index"`
		}
		res.Decode(e.t, &page)
		all = append(all, page.Data...)
		if page.NextIndex == nil {
			return all
		}
		index = *page.NextIndex
	}
}

// forT returns a copy of e that reports to t, for subtests that share an env.
func (e *env) forT(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// send is do without a *testing.T: it is safe to call from goroutines, and
// it returns transport errors instead of failing the test.
func (e *env) send(method, path, token string, body []byte, headers ...string) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return roundTrip(req)
}

// doRequest sends a request the caller built (a streamed body, say).
func (e *env) doRequest(req *http.Request) *response {
	e.t.Helper()
	res, err := roundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func roundTrip(req *http.Request) (*response, error) {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: data}, nil
}

// rawHTTP writes head (a request line and headers, CRLF-terminated, without
// the blank line) and then body to a new connection, and reads one
// response. It sends what no http.Client would: a Content-Length that the
// body does not fill, for instance.
func (e *env) rawHTTP(head string, body []byte) *response {
	e.t.Helper()
	u, err := url.Parse(e.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	// A safety net, not an assertion: a server that waits for the promised
	// body fails the test instead of hanging it.
	conn.SetDeadline(time.Now().Add(time.Minute))
	if _, err := io.WriteString(conn, head+"Host: "+u.Host+"\r\nConnection: close\r\n\r\n"); err != nil {
		e.t.Fatal(err)
	}
	if _, err := conn.Write(body); err != nil {
		e.t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: data}
}

// newUser creates another user of the tenant and returns its id and a token.
func (e *env) newUser(tn *tenant, email string, role vintry.Role) (int64, string) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.DB.CreateUser(ctx, tn.Slug, email, testPassword, role)
	if err != nil {
		e.t.Fatal(err)
	}
	token, err := e.DB.IssueToken(ctx, tn.Slug, email, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID, token
}

// apiError is the body of an error response (§4), with an import's content
// when the error is a failed import.
type apiError struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
	Content *importContent      `json:"content"`
}

// wantError checks the status of res and decodes its error body; with msg,
// it also checks the message exactly.
func wantError(t *testing.T, res *response, status int, msg string) apiError {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status = %d, want %d: %s", res.Status, status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body apiError
	res.Decode(t, &body)
	if body.Message == "" {
		t.Errorf("error without message: %s", res.Body)
	}
	if msg != "" && body.Message != msg {
		t.Errorf("message = %q, want %q", body.Message, msg)
	}
	return body
}

// wantExactBody checks status and that the body is exactly the JSON object want.
func wantExactBody(t *testing.T, res *response, status int, want map[string]any) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status = %d, want %d: %s", res.Status, status, res.Body)
	}
	var got map[string]any
	res.Decode(t, &got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %s, want %v", res.Body, want)
	}
}

// importContent is the content of a JSON import response (§3a).
type importContent struct {
	JobLogID      int64      `json:"job_log_id"`
	Status        string     `json:"status"`
	Type          string     `json:"type"`
	Summary       summary    `json:"summary"`
	Errors        []rowError `json:"errors"`
	DryRun        *bool      `json:"dry_run"`
	JobStatusLink string     `json:"job_status_link"`
}

type summary struct {
	Total, Created, Updated, Unchanged, Failed int
}

type rowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Value   string `json:"value"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// importResult is a decoded JSON import answer, success or failure.
type importResult struct {
	Status  int
	Message string
	Errors  map[string][]string
	Content importContent
}

// importJSON posts a JSON import as the tenant's member and decodes the
// answer, which must be 200 or a 422 that carries the import's content.
func (e *env) importJSON(tn *tenant, body any, headers ...string) importResult {
	e.t.Helper()
	res := e.do("POST", "/"+tn.Slug+"/api/v1/inventory/import/process", tn.MemberToken, body, headers...)
	var out struct {
		Message string              `json:"message"`
		Errors  map[string][]string `json:"errors"`
		Content *importContent      `json:"content"`
	}
	res.Decode(e.t, &out)
	if (res.Status != http.StatusOK && res.Status != http.StatusUnprocessableEntity) || out.Content == nil {
		e.t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	return importResult{Status: res.Status, Message: out.Message, Errors: out.Errors, Content: *out.Content}
}

// mustImport imports records with create, update and continue-on-error
// allowed, and fails the test unless every row succeeded.
func (e *env) mustImport(tn *tenant, records ...map[string]any) importContent {
	e.t.Helper()
	r := e.importJSON(tn, importBody(true, true, true, records...))
	if r.Status != http.StatusOK || r.Content.Status != "completed" {
		e.t.Fatalf("import: %d %+v", r.Status, r.Content)
	}
	return r.Content
}

// listPage is one page of any list endpoint (§7).
type listPage struct {
	Data         []map[string]any `json:"data"`
	Total        int              `json:"total"`
	From         *int             `json:"from"`
	To           *int             `json:"to"`
	PerPage      int              `json:"per_page"`
	CurrentIndex *string          `json:"current_index"`
	NextIndex    *string          `json:"next_index"`
}

// page fetches one page of a list endpoint; it must answer 200.
func (e *env) page(path, token string) listPage {
	e.t.Helper()
	res := e.do("GET", path, token, nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	var p listPage
	res.Decode(e.t, &p)
	if p.Data == nil {
		e.t.Fatalf("GET %s: data is not an array: %s", path, res.Body)
	}
	return p
}

// names returns the "name" of every entry of a master data list.
func (e *env) names(tn *tenant, kind string) []string {
	e.t.Helper()
	var out []string
	for _, d := range e.page("/"+tn.Slug+"/api/v1/"+kind, tn.MemberToken).Data {
		out = append(out, d["name"].(string))
	}
	return out
}

// invKey identifies an inventory record in test expectations.
func invKey(item, bin, lot, date string) string { return item + "|" + bin + "|" + lot + "|" + date }

// stock returns the tenant's inventory as key → "quantity uom_abbr".
func (e *env) stock(tn *tenant) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for _, r := range e.inventory(tn, "") {
		k := invKey(r["item_name"].(string), r["bin_name"].(string), r["lot_name"].(string), r["date_filled"].(string))
		if _, dup := out[k]; dup {
			e.t.Fatalf("inventory lists %s twice", k)
		}
		out[k] = r["quantity"].(string) + " " + r["uom_abbr"].(string)
	}
	return out
}

// jobCount returns the number of import jobs of the tenant.
func (e *env) jobCount(tn *tenant) int {
	e.t.Helper()
	return e.page("/"+tn.Slug+"/api/v1/imports", tn.MemberToken).Total
}

// clock is a database clock that a test moves forward; install it with
// newEnv(t, c.install).
type clock struct{ offset atomic.Int64 }

func (c *clock) install(db *sqlite.DB) {
	db.Now = func() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }
}
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
