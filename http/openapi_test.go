package http_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
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
var pendingRoutes = map[string]string{}

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
