package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
	"github.com/vintry/vintry/metrics"
)

// bodyRoutes are the routes that read a request body: an oversized one must
// be answered 413. Every other POST route must say here why it reads none
// (TestBodiesAreBounded fails on a POST route in neither list).
var bodyRoutes = []string{
	"POST /{tenant}/api/v1/tokens/create",
	"POST /{tenant}/api/v1/inventory/import/process",
	"POST /{tenant}/api/v1/inventory/batch-delete",
	"POST /{tenant}/api/v1/locations/import",
	"POST /{tenant}/login",
	"POST /{tenant}/imports/upload",
	"POST /{tenant}/imports/upload/{draft}",
	"POST /{tenant}/api/v1/imports/{id}/revert",
	"POST /{tenant}/api/v1/webhooks",
	"POST /{tenant}/api/v1/imports/mappings",
	"POST /{tenant}/settings/application-maintenance/job-management/imports/logs/{id}/revert",
}

var noBodyRoutes = map[string]string{
	"POST /{tenant}/api/v1/imports/{id}/cancel":                                               "the job is named by the path",
	"POST /{tenant}/settings/application-maintenance/job-management/imports/logs/{id}/cancel": "the form has no fields",
	"POST /{tenant}/api/v1/tokens/revoke":                                                     "the token is in the Authorization header",
	"POST /{tenant}/logout":                                                                   "the session is in its cookie",
}

func init() {
	for _, k := range vintry.Kinds {
		bodyRoutes = append(bodyRoutes, "POST /{tenant}/api/v1/"+string(k))
	}
}

// serverRoutes returns the "METHOD /path" patterns of the server's route
// table (the catch-all "/" has no method and is left out).
func serverRoutes(t *testing.T) []string {
	t.Helper()
	var routes []string
	s := &vhttp.Server{Metrics: metrics.New(nil, slog.New(slog.DiscardHandler))}
	for _, p := range s.RoutePatterns() {
		if strings.Contains(p, " ") {
			routes = append(routes, p)
		}
	}
	if !slices.Contains(routes, "GET /healthz") || !slices.Contains(routes, "POST /{tenant}/login") {
		t.Fatalf("route table not found: %q", routes)
	}
	return routes
}

// TestBodiesAreBounded sends, to every route of the route table, a request
// that declares a 1 GB body and sends none of it: each must be answered at
// once (no handler waits to read it), with 413 where the route reads a
// body, and never with a 5xx. Then it streams a chunked body larger than
// any limit to every route that reads one: each must answer 413 without
// reading all of it.
func TestBodiesAreBounded(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--rate-limit", "0",
		"--login-rate-limit", "0", "--max-upload-bytes", "65536")
	c := newCrashClient(t, s)
	email, password := s.demoSignIn(t)
	cookie, draft := uiSession(t, s.url, email, password)
	addr := strings.TrimPrefix(s.url, "http://")

	routes := serverRoutes(t)
	for _, r := range routes {
		if strings.HasPrefix(r, "POST ") && !slices.Contains(bodyRoutes, r) && noBodyRoutes[r] == "" {
			t.Errorf("route %s is in neither bodyRoutes nor noBodyRoutes: say whether it reads a body", r)
		}
	}
	// Revoking the token and signing out go last: the other routes need them.
	slices.SortStableFunc(routes, func(a, b string) int {
		return boolInt(noBodyRoutes[a] != "") - boolInt(noBodyRoutes[b] != "")
	})
	fill := strings.NewReplacer("{tenant}", "demo", "{id}", "1", "{name}", "x", "{draft}", draft, "{$}", "")
	for _, r := range routes {
		method, pattern, _ := strings.Cut(r, " ")
		path := fill.Replace(pattern)
		want := 0 // any status but 5xx
		if slices.Contains(bodyRoutes, r) {
			want = http.StatusRequestEntityTooLarge
		}
		contentType := "application/json"
		if strings.HasSuffix(path, "/import/process") || strings.HasSuffix(path, "/imports/upload") {
			contentType = "multipart/form-data; boundary=x"
		} else if !strings.Contains(path, "/api/v1/") {
			contentType = "application/x-www-form-urlencoded"
		}
		head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nCookie: %s\r\nContent-Type: %s\r\n",
			method, path, addr, c.token, cookie, contentType)
		t.Run("declared "+r, func(t *testing.T) {
			status, d := rawExchange(t, addr, head+"Content-Length: 1073741824\r\n\r\n", nil)
			checkBoundedAnswer(t, status, want, d)
		})
		if want != 0 {
			t.Run("streamed "+r, func(t *testing.T) {
				var prefix string
				if strings.HasPrefix(contentType, "multipart/") { // a well-formed form whose file never ends
					prefix = "--x\r\nContent-Disposition: form-data; name=\"arguments\"\r\n\r\n" +
						`{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true}` +
						"\r\n--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n"
				}
				status, d := rawExchange(t, addr, head+"Transfer-Encoding: chunked\r\n\r\n", chunked(prefix, 4<<20))
				checkBoundedAnswer(t, status, want, d)
			})
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func checkBoundedAnswer(t *testing.T, status, want int, d time.Duration) {
	t.Helper()
	switch {
	case status >= 500:
		t.Errorf("status %d after %v", status, d)
	case want != 0 && status != want:
		t.Errorf("status %d after %v, want %d", status, d, want)
	}
}

// chunked returns a chunked body of prefix then n bytes of 'a' (in 64 KB
// chunks), with its terminating chunk.
func chunked(prefix string, n int) []byte {
	var b bytes.Buffer
	if prefix != "" {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(prefix), prefix)
	}
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	for sent := 0; sent < n; sent += len(chunk) {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(chunk), chunk)
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

// rawExchange writes head on a new connection, then body (in the
// background: the server may answer and close before it has read it all),
// and reads the answer's status. It fails the test when no answer comes in
// 10 s: a handler waited for the body it was promised.
func rawExchange(t *testing.T, addr, head string, body []byte) (int, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if body != nil {
		go conn.Write(body) // fails once the server closes; that is fine
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer after %v: %v", time.Since(start), err)
	}
	res.Body.Close()
	return res.StatusCode, time.Since(start)
}

// uiSession signs in to the web UI and uploads a small file, returning the
// session cookie and the id of the draft the upload made.
func uiSession(t *testing.T, base, email, password string) (cookie, draft string) {
	t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.PostForm(base+"/demo/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(res.Cookies()) == 0 {
		t.Fatalf("sign-in: status %d, no cookie", res.StatusCode)
	}
	cookie = res.Cookies()[0].Name + "=" + res.Cookies()[0].Value
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	f, _ := mw.CreateFormFile("file", "x.csv")
	io.WriteString(f, "item_name,bin_name,lot_name,date_filled,quantity,uom\nZAMNVCAS19,SS-01,RM19CASRUT.ZAM,2024-01-01,1,gal\n")
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/demo/imports/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Cookie", cookie)
	res, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/demo/imports/upload/") {
		t.Fatalf("upload: status %d, Location %q: %.300s", res.StatusCode, loc, body)
	}
	return cookie, strings.TrimPrefix(loc, "/demo/imports/upload/")
}
