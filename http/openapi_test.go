package http_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
	"github.com/vintry/vintry/jobs"
	"github.com/vintry/vintry/metrics"
	"github.com/vintry/vintry/sqlite"
)

// TestOpenAPIDocumentValid loads the embedded document and validates it as
// OpenAPI 3.
func TestOpenAPIDocumentValid(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(vhttp.OpenAPIDocument)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
	}
}

// pendingRoutes are documented routes that the route table does not have
// yet, with the reason. The test fails when one of them appears in the route
// table, so that this list never outlives its reason.
var pendingRoutes = map[string]string{
	"GET /openapi.yaml": `server.go needs mux.HandleFunc("GET /openapi.yaml", s.handleOpenAPI)`,
}

// muxUsers are the functions the route table may hand the mux to, with why
// their routes are not API routes. Any other is an error: its routes would
// escape this test.
var muxUsers = map[string]string{
	"handleNoRoute": "the catch-all 404/405",
	"uiRoutes":      "the web UI's pages and static files (SPEC §9), not API endpoints",
}

// TestOpenAPIRoutesMatchRouteTable checks that every route of the route
// table (read from server.go's source) is documented and every documented
// operation is a route.
func TestOpenAPIRoutesMatchRouteTable(t *testing.T) {
	t.Parallel()
	table := map[string]bool{}
	for _, r := range routeTable(t, "server.go") {
		table[normalizeRoute(r)] = true
	}
	doc, err := openapi3.NewLoader().LoadFromData(vhttp.OpenAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[normalizeRoute(method+" "+path)] = true
		}
	}
	for r := range table {
		if !documented[r] {
			t.Errorf("route %s is in the route table but not in openapi.yaml", r)
		}
		if reason, ok := pendingRoutes[r]; ok {
			t.Errorf("route %s is in the route table now: remove it from pendingRoutes (%s)", r, reason)
		}
	}
	for r := range documented {
		if _, pending := pendingRoutes[r]; !table[r] && !pending {
			t.Errorf("openapi.yaml documents %s, which is not in the route table", r)
		}
	}
	for r, reason := range pendingRoutes {
		if !documented[r] {
			t.Errorf("pending route %s (%s) is not in openapi.yaml", r, reason)
		}
	}
}

var routeWildcard = regexp.MustCompile(`\{[^}]*\}`)

// normalizeRoute makes "GET /{tenant}/x/{id}" and "GET /{tenant}/x/{job_log_id}"
// the same route: wildcard names differ between ServeMux and the document.
func normalizeRoute(r string) string {
	method, path, _ := strings.Cut(r, " ")
	return strings.ToUpper(method) + " " + routeWildcard.ReplaceAllString(path, "{}")
}

// routeTable returns the "METHOD /path" patterns registered with mux.Handle
// and mux.HandleFunc in file, expanding `for _, k := range vintry.Kinds`
// loops. It fails the test on any construct it cannot evaluate, so a route
// table it does not understand is never read as a smaller one.
func routeTable(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	collectRoutes(t, f, map[string][]string{}, &routes)
	if len(routes) == 0 || !slices.Contains(routes, "GET /healthz") {
		t.Fatalf("found no route table in %s (routes: %v)", file, routes)
	}
	return routes
}

func collectRoutes(t *testing.T, n ast.Node, env map[string][]string, out *[]string) {
	t.Helper()
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.RangeStmt:
			inner := make(map[string][]string, len(env)+1)
			for k, v := range env {
				inner[k] = v
			}
			if v, ok := n.Value.(*ast.Ident); ok && isKindsSelector(n.X) {
				for _, k := range vintry.Kinds {
					inner[v.Name] = append(inner[v.Name], string(k))
				}
			}
			collectRoutes(t, n.Body, inner, out)
			return false
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc" {
				checkMuxUse(t, sel.Sel.Name, n.Args)
				return true
			}
			if len(n.Args) != 2 {
				return true
			}
			for _, pattern := range evalPattern(t, n.Args[0], env) {
				if pattern == "/" {
					continue // the catch-all 404/405
				}
				if !strings.Contains(pattern, " ") {
					t.Errorf("route %q has no method", pattern)
				}
				*out = append(*out, pattern)
			}
		}
		return true
	})
}

// checkMuxUse fails the test when the mux is handed to a function that
// muxUsers does not know.
func checkMuxUse(t *testing.T, fn string, args []ast.Expr) {
	t.Helper()
	for _, a := range args {
		if id, ok := a.(*ast.Ident); ok && id.Name == "mux" {
			if _, known := muxUsers[fn]; !known {
				t.Errorf("the route table hands the mux to %s: add it to muxUsers if it registers no API route, else read its routes", fn)
			}
		}
	}
}

func isKindsSelector(x ast.Expr) bool {
	sel, ok := x.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "vintry" && sel.Sel.Name == "Kinds"
}

// evalPattern evaluates a route pattern expression: string literals, +,
// string(x) and the variables of enclosing range loops (every value).
func evalPattern(t *testing.T, x ast.Expr, env map[string][]string) []string {
	t.Helper()
	switch x := x.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			s, err := strconv.Unquote(x.Value)
			if err != nil {
				t.Fatal(err)
			}
			return []string{s}
		}
	case *ast.ParenExpr:
		return evalPattern(t, x.X, env)
	case *ast.Ident:
		if v, ok := env[x.Name]; ok {
			return v
		}
	case *ast.CallExpr:
		if fn, ok := x.Fun.(*ast.Ident); ok && fn.Name == "string" && len(x.Args) == 1 {
			return evalPattern(t, x.Args[0], env)
		}
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			var out []string
			for _, l := range evalPattern(t, x.X, env) {
				for _, r := range evalPattern(t, x.Y, env) {
					out = append(out, l+r)
				}
			}
			return out
		}
	}
	t.Fatalf("route table: cannot evaluate the pattern expression %T at offset %d; teach routeTable about it", x, x.Pos())
	return nil
}

// TestContractHandlerCatchesMismatches shows that the contract checker
// reports what it must and nothing else.
func TestContractHandlerCatchesMismatches(t *testing.T) {
	t.Parallel()
	jsonReply := func(status int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
	}
	tests := []struct {
		name    string
		handler http.Handler
		method  string
		path    string
		body    string
		want    string // a part of the report; "" = no report
	}{
		{"valid answer", jsonReply(200, `{"status":"ok"}`), "GET", "/healthz", "", ""},
		{"wrong body", jsonReply(200, `{"status":"fine"}`), "GET", "/healthz", "", "does not match"},
		{"extra field", jsonReply(200, `{"status":"ok","uptime":3}`), "GET", "/healthz", "", "does not match"},
		{"undocumented status", jsonReply(418, `{"message":"teapot"}`), "GET", "/healthz", "", "status is not supported"},
		{"wrong content type", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "ok")
		}), "GET", "/healthz", "", "does not match"},
		{"missing required header", jsonReply(429, `{"message":"Too many requests. Retry after 1 seconds."}`),
			"GET", "/acme/api/v1/inventory", "", "Retry-After"},
		{"invalid request accepted", jsonReply(200, `{"message":"0 inventory records deleted","content":{"deleted_count":0,"dry_run":false}}`),
			"POST", "/acme/api/v1/inventory/batch-delete", `{"items":"not a list"}`, "accepted a request"},
		{"invalid request refused", jsonReply(422, `{"message":"The items field has the wrong type.","errors":{"items":["x"]}}`),
			"POST", "/acme/api/v1/inventory/batch-delete", `{"items":"not a list"}`, ""},
		{"undocumented route answers", jsonReply(200, `{}`), "GET", "/acme/api/v1/secret", "", "not in openapi.yaml"},
		{"catch-all 404", jsonReply(404, `{"message":"Not found."}`), "GET", "/acme/api/v1/secret", "", ""},
		{"catch-all 405", jsonReply(405, `{"message":"Method not allowed."}`), "PUT", "/acme/api/v1/inventory", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var reports []string
			c := newContractChecker(t, func(format string, args ...any) { reports = append(reports, fmt.Sprintf(format, args...)) })
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			c.wrap(tt.handler).ServeHTTP(rec, req)
			switch {
			case tt.want == "" && len(reports) > 0:
				t.Errorf("unexpected reports: %q", reports)
			case tt.want != "" && (len(reports) != 1 || !strings.Contains(reports[0], tt.want)):
				t.Errorf("reports = %q, want one containing %q", reports, tt.want)
			}
		})
	}
}

// tourEnv is a running API on a fresh database whose every exchange passes
// through the contract checker.
type tourEnv struct {
	t       *testing.T
	url     string
	db      *sqlite.DB
	checker *contractChecker
}

// newTourEnv starts the API as newEnv does (plus metrics), wrapped in the
// contract checker.
func newTourEnv(t *testing.T, cfg vhttp.Config) *tourEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db.PasswordParams = vintry.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	queue, err := jobs.StartSQLite(ctx, db, jobs.Config{Workers: 2, MaxRecords: cfg.MaxRecords, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	s := &vhttp.Server{Auth: db, MasterData: db, Inventory: db, Imports: db, Jobs: db, Drafts: db, DB: db,
		Logger: logger, Config: cfg, Metrics: metrics.New(db, logger)}
	h := s.Handler()
	// Until the route table serves GET /openapi.yaml, serve it here with the
	// handler of that route.
	probe := httptest.NewRecorder()
	h.ServeHTTP(probe, httptest.NewRequest("GET", "/openapi.yaml", nil))
	if probe.Code != http.StatusOK {
		mux := http.NewServeMux()
		mux.Handle("GET /openapi.yaml", s.OpenAPIHandler())
		mux.Handle("/", h)
		h = mux
	}
	checker := newContractChecker(t, t.Errorf)
	srv := httptest.NewServer(checker.wrap(h))
	t.Cleanup(func() {
		srv.Close()
		if err := queue.Stop(ctx); err != nil {
			t.Errorf("stop job queue: %v", err)
		}
		db.Close()
	})
	return &tourEnv{t: t, url: srv.URL, db: db, checker: checker}
}

// tourTenant creates a tenant with an admin and a member and returns their tokens.
func (e *tourEnv) tourTenant(slug string) (admin, member string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.db.CreateTenant(ctx, slug, slug); err != nil {
		e.t.Fatal(err)
	}
	tokens := map[vintry.Role]string{}
	for _, role := range []vintry.Role{vintry.RoleAdmin, vintry.RoleMember} {
		email := fmt.Sprintf("%s@%s.test", role, slug)
		if _, err := e.db.CreateUser(ctx, slug, email, tourPassword, role); err != nil {
			e.t.Fatal(err)
		}
		tok, err := e.db.IssueToken(ctx, slug, email, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		tokens[role] = tok
	}
	return tokens[vintry.RoleAdmin], tokens[vintry.RoleMember]
}

const tourPassword = "correct horse battery"

// tourResponse is a finished exchange.
type tourResponse struct {
	status int
	header http.Header
	body   []byte
}

// send makes a request; contentType "" sends no Content-Type. headers are
// "Name: value" strings.
func (e *tourEnv) send(method, path, token string, body []byte, contentType string, headers ...string) *tourResponse {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
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
	return &tourResponse{status: res.StatusCode, header: res.Header, body: data}
}

// want sends a request and fails the test unless it gets status; it returns
// the decoded JSON body (nil when the body is not JSON).
func (e *tourEnv) want(status int, method, path, token string, body []byte, contentType string, headers ...string) map[string]any {
	e.t.Helper()
	res := e.send(method, path, token, body, contentType, headers...)
	if res.status != status {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.status, status, clipBytes(res.body, 600))
	}
	return decodeJSONObject(res.body)
}

// wantJSON is want with a JSON body.
func (e *tourEnv) wantJSON(status int, method, path, token, body string, headers ...string) map[string]any {
	e.t.Helper()
	return e.want(status, method, path, token, []byte(body), "application/json", headers...)
}

func decodeJSONObject(b []byte) map[string]any {
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil
	}
	return v
}

// raw writes head (request line and headers, CRLF-terminated, without the
// blank line) and body to a new connection and returns the status: it sends a
// Content-Length that the body does not fill, which no http.Client does.
func (e *tourEnv) raw(head string, body []byte) int {
	e.t.Helper()
	u, err := url.Parse(e.url)
	if err != nil {
		e.t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
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
	io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// form encodes multipart parts: name → content; a name "file:<filename>"
// is a file part.
func tourForm(t *testing.T, parts ...[2]string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if name, file, ok := strings.Cut(p[0], ":"); ok {
			w, err = mw.CreateFormFile(name, file)
		} else {
			w, err = mw.CreateFormField(p[0])
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p[1])
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// pathOf reads a string at a path of keys in a decoded JSON value.
func jsonAt(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func tourInt(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// waitJob polls a job's status until it is terminal, for at most 20 s.
func (e *tourEnv) waitJob(slug, token string, id int64) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		job := e.want(200, "GET", fmt.Sprintf("/%s/api/v1/imports/status/%d", slug, id), token, nil, "")
		switch jsonAt(job, "content", "status") {
		case "completed", "completed_with_errors", "failed":
			return job
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %d still %v after 20s", id, jsonAt(job, "content", "status"))
		}
		<-tick.C
	}
}

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
	t.Run("inventory", func(t *testing.T) { tourInventory(e.forT(t), member) })
	t.Run("deletes", func(t *testing.T) { tourDeletes(e.forT(t), admin, member) })

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

func (e *tourEnv) forT(t *testing.T) *tourEnv {
	c := *e
	c.t = t
	return &c
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

func tourDeletes(e *tourEnv, admin, member string) {
	e.want(409, "DELETE", "/tour/api/v1/items/"+url.PathEscape("CAB 2019"), admin, nil, "")
	e.want(409, "DELETE", "/tour/api/v1/locations/ZAM-WINERY", admin, nil, "")
	e.want(404, "DELETE", "/tour/api/v1/items/NOPE", admin, nil, "")
	e.want(403, "DELETE", "/tour/api/v1/items/TMP-ITEM", member, nil, "")
	for _, p := range []string{"bins/TMP-BIN", "location-areas/TMP-AREA", "locations/TMP-LOC", "items/TMP-ITEM", "lots/TMP-LOT", "uoms/TMP-UOM"} {
		e.want(200, "DELETE", "/tour/api/v1/"+p, admin, nil, "")
	}
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
