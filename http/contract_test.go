package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	vhttp "github.com/vintry/vintry/http"
)

// contractHandler wraps next (the API handler of a test server) so that
// every exchange is checked against the OpenAPI document (openapi.yaml):
//
//   - the response must be documented for its operation: its status, its
//     Content-Type, its body schema and its required headers;
//   - a request answered with a 2xx must be valid for the document (path and
//     query parameters, body): the server must not accept what the document
//     calls invalid. Requests answered with an error may be invalid; testing
//     that the server refuses them is the point of those requests;
//   - a request no documented route matches may only get the catch-all
//     404 Not found or 405 Method not allowed.
//
// Only API paths are checked: /healthz, /readyz, /metrics, /openapi.yaml and
// /{tenant}/api/... and /{tenant}/download/...; the web UI's pages and static
// files are not API endpoints and pass through unchecked, as do HEAD requests
// (a GET route answers them; the document describes the GET).
//
// Each mismatch is reported with t.Errorf, naming the request, the status and
// the validation error. The response is buffered and reaches the client
// unchanged after the check (so the report lands while the test is still
// running); only "Connection: close" is added when the handler left the
// request body unread, as http.MaxBytesReader does on a real connection.
func contractHandler(t *testing.T, next http.Handler) http.Handler {
	t.Helper()
	return newContractChecker(t, t.Errorf).wrap(next)
}

// contractChecker checks exchanges against the document and remembers which
// operation answered which statuses.
type contractChecker struct {
	router routers.Router
	report func(format string, args ...any)

	mu   sync.Mutex
	seen map[string]map[int]bool // "METHOD /path" (as documented) → statuses
}

var contractDoc = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(vhttp.OpenAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate openapi.yaml: %w", err)
	}
	return doc, nil
})

// newContractChecker loads the document (once per test binary) and fails t
// at once when it does not load or validate.
func newContractChecker(t testing.TB, report func(format string, args ...any)) *contractChecker {
	t.Helper()
	doc, err := contractDoc()
	if err != nil {
		t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("openapi router: %v", err)
	}
	return &contractChecker{router: router, report: report, seen: map[string]map[int]bool{}}
}

// maxRecordedBody bounds the request bytes kept for validation; the largest
// body a test may send successfully is an upload at the default limit.
const maxRecordedBody = 64 << 20

// recordingBody keeps what the handler reads of a request body.
type recordingBody struct {
	io.ReadCloser
	buf  bytes.Buffer
	eof  bool
	over bool
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.buf.Len()+n > maxRecordedBody {
		b.over = true
	} else {
		b.buf.Write(p[:n])
	}
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	return n, err
}

func (c *contractChecker) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPIPath(r.URL.Path) || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		body := &recordingBody{ReadCloser: r.Body}
		r.Body = body
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		res := rec.Result()
		// A 2xx means the handler took the request as complete; read what it
		// left (a multipart epilogue, say) so the whole body is validated.
		if res.StatusCode/100 == 2 && !body.eof {
			io.Copy(io.Discard, body)
		}
		c.check(r, body, res, rec.Body.Bytes())

		for k, v := range res.Header {
			w.Header()[k] = v
		}
		if !body.eof && r.ContentLength != 0 {
			// The handler refused the body before its end (a 413, say): as
			// http.MaxBytesReader does on a real connection, do not keep it.
			w.Header().Set("Connection", "close")
		}
		w.WriteHeader(res.StatusCode)
		w.Write(rec.Body.Bytes())
	})
}

// isAPIPath reports whether path belongs to the API (not to the web UI).
func isAPIPath(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics", "/openapi.yaml":
		return true
	}
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	return len(parts) == 3 && (parts[1] == "api" || parts[1] == "download")
}

// check validates one exchange and reports a mismatch.
func (c *contractChecker) check(r *http.Request, body *recordingBody, res *http.Response, resBody []byte) {
	exchange := fmt.Sprintf("%s %s → %d", r.Method, r.URL.RequestURI(), res.StatusCode)
	req := r.Clone(context.Background())
	req.Body, req.GetBody = io.NopCloser(bytes.NewReader(body.buf.Bytes())), nil
	req.ContentLength = int64(body.buf.Len())
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
			return // the catch-all answer for a path the document does not have
		}
		c.report("contract: %s: the route is not in openapi.yaml (%v)", exchange, err)
		return
	}
	c.mu.Lock()
	op := route.Method + " " + route.Path
	if c.seen[op] == nil {
		c.seen[op] = map[int]bool{}
	}
	c.seen[op][res.StatusCode] = true
	c.mu.Unlock()

	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		SkipSettingDefaults:   true,
	}
	opts.WithCustomSchemaErrorFunc(schemaErrorText)
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if res.StatusCode/100 == 2 {
		if body.over {
			c.report("contract: %s: request body over %d bytes, not validated", exchange, maxRecordedBody)
		} else if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
			c.report("contract: %s (%s): the server accepted a request openapi.yaml calls invalid: %v", exchange, op, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input, Status: res.StatusCode, Header: res.Header, Options: opts,
	}
	out.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.report("contract: %s (%s): the response does not match openapi.yaml: %v\nbody: %s",
			exchange, op, err, clipBytes(resBody, 800))
	}
}

// statuses returns the statuses seen per documented operation.
func (c *contractChecker) statuses() map[string]map[int]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]map[int]bool, len(c.seen))
	for op, s := range c.seen {
		out[op] = make(map[int]bool, len(s))
		for code := range s {
			out[op][code] = true
		}
	}
	return out
}

// schemaErrorText is a short schema error: where, why and the value, without
// kin-openapi's dump of the whole schema.
func schemaErrorText(err *openapi3.SchemaError) string {
	value, _ := json.Marshal(err.Value)
	return fmt.Sprintf("at /%s: %s (value %s)", strings.Join(err.JSONPointer(), "/"), err.Reason, clipBytes(value, 200))
}

func clipBytes(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
