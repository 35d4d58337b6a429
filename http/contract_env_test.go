package http_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
	"github.com/vintry/vintry/jobs"
	"github.com/vintry/vintry/metrics"
	"github.com/vintry/vintry/sqlite"
)

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
	queue, err := startSQLiteQueue(ctx, db, jobs.Config{Workers: 2, MaxRecords: cfg.MaxRecords, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String() // as serve does
	cfg.Resolver = testResolver{}
	s := &vhttp.Server{Auth: db, MasterData: db, Inventory: db, Imports: db, Jobs: db, Lifecycle: db, Drafts: db, Mappings: db, DB: db,
		Logger: logger, Config: cfg, Metrics: metrics.New(db, logger), Webhooks: db}
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
	srv.Config.Handler = checker.wrap(h)
	srv.Start()
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

func (e *tourEnv) forT(t *testing.T) *tourEnv {
	c := *e
	c.t = t
	return &c
}
