package http_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// badInputDir holds the bad-input corpus: one request per file, in the
// format testdata/badinput/README.md describes.
const badInputDir = "../testdata/badinput"

// minBadInputCases keeps the corpus from shrinking unnoticed.
const minBadInputCases = 300

// badCase is one parsed corpus file.
type badCase struct {
	name        string
	method      string
	path        string
	contentType string
	auth        string
	headers     []string
	body        []byte
	// form holds the parts of an upload built by the runner (form-* keys),
	// in file order; nil for a raw body.
	form []formPart

	status       int
	message      string   // a fragment of the error message
	errorKeys    []string // keys the errors object must hold
	rowErrors    []string // "row | field | message fragment"
	jobStatus    string   // for 202: the terminal status the job must reach
	bodyContains []string // fragments of the raw response body
}

// TestBadInputCorpus sends every request of testdata/badinput to one API
// with a seeded tenant and checks the answer: never a 5xx, the expected
// status and message, the expected row errors, and inventory and master
// data exactly as before every case.
func TestBadInputCorpus(t *testing.T) {
	t.Parallel()
	cases := loadBadInputCorpus(t)
	if len(cases) < minBadInputCases {
		t.Errorf("the corpus has %d cases, want at least %d", len(cases), minBadInputCases)
	}
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	e.mustImport(tn,
		rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2024-01-31", "5000", "gal"),
		rec("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-02-29", "12.5", "9LE"))
	session, err := e.DB.CreateSession(context.Background(), tn.Slug, "member@acme.test", testPassword, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	before := e.inventoryAndMasterData(tn)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.forT(t)
			defer func() { // also after a failed assertion (t.Fatal)
				if after := e.inventoryAndMasterData(tn); after != before {
					t.Errorf("the case changed inventory or master data:\nbefore %s\nafter  %s", before, after)
					before = after // report each change once, at the case that made it
				}
			}()
			e.runBadCase(tn, session, c)
		})
	}
}

// inventoryAndMasterData is the tenant's inventory and master data as the API lists them.
func (e *env) inventoryAndMasterData(tn *tenant) string {
	e.t.Helper()
	var b strings.Builder
	for _, p := range []string{"inventory", "locations", "location-areas", "bins", "items", "lots", "uoms"} {
		res := e.do("GET", "/"+tn.Slug+"/api/v1/"+p+"?per_page=1000", tn.AdminToken, nil)
		if res.Status != http.StatusOK {
			e.t.Fatalf("GET %s: %d %s", p, res.Status, res.Body)
		}
		b.Write(res.Body)
	}
	return b.String()
}

// internalLeak matches text that must never reach a client: driver errors,
// panics, Go internals.
var internalLeak = regexp.MustCompile(`(?i)sqlite|sqlstate|pgx|postgres|panic|goroutine|runtime error|\.go:[0-9]`)

func (e *env) runBadCase(tn *tenant, session string, c badCase) {
	t := e.t
	t.Helper()
	token := map[string]string{"admin": tn.AdminToken, "member": tn.MemberToken, "bogus": "1|" + strings.Repeat("x", 40)}[c.auth]
	headers := append([]string{}, c.headers...)
	if c.auth == "session" {
		headers = append(headers, "Cookie: vintry_session="+session)
	}
	body := c.body
	ct := c.contentType
	if c.form != nil {
		var formCT string
		formCT, body = multipartBody(t, c.form...)
		if ct == "" {
			ct = formCT
		}
	}
	if ct != "" {
		headers = append(headers, "Content-Type: "+ct)
	}
	res, err := e.sendCase(c.method, strings.ReplaceAll(c.path, "{tenant}", tn.Slug), token, body, headers)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.Status >= 500 {
		t.Fatalf("status %d (a 5xx is never right): %s", res.Status, clip(res.Body))
	}
	if res.Status != c.status {
		t.Fatalf("status = %d, want %d: %s", res.Status, c.status, clip(res.Body))
	}
	if internalLeak.Match(res.Body) {
		t.Errorf("the body shows internals: %s", clip(res.Body))
	}
	for _, f := range c.bodyContains {
		if !bytes.Contains(res.Body, []byte(f)) {
			t.Errorf("body does not contain %q: %s", f, clip(res.Body))
		}
	}
	var got struct {
		Message string              `json:"message"`
		Errors  map[string][]string `json:"errors"`
		Content struct {
			JobLogID int64      `json:"job_log_id"`
			Errors   []rowError `json:"errors"`
		} `json:"content"`
	}
	switch ct := res.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/json"):
		res.Decode(t, &got)
	case c.auth == "session" && strings.HasPrefix(ct, "text/html"):
		// A page: its message is somewhere in the HTML.
		if body := html.UnescapeString(string(res.Body)); strings.Contains(body, c.message) {
			got.Message = c.message
		} else {
			got.Message = "(a page without the message)"
		}
	case c.status >= 400:
		t.Fatalf("error answer is %q, not JSON: %s", ct, clip(res.Body))
	}
	if c.status >= 400 && got.Message == "" {
		t.Errorf("error without a message: %s", clip(res.Body))
	}
	if !strings.Contains(got.Message, c.message) {
		t.Errorf("message = %q, want it to contain %q", got.Message, c.message)
	}
	for _, k := range c.errorKeys {
		if _, ok := got.Errors[k]; !ok {
			t.Errorf("errors has no key %q: %v", k, got.Errors)
		}
	}
	rowErrs := got.Content.Errors
	if c.jobStatus != "" {
		job := e.waitJob(tn, got.Content.JobLogID)
		if job.Status != c.jobStatus {
			t.Errorf("job status = %s, want %s", job.Status, c.jobStatus)
		}
		rowErrs = e.jobErrors(tn, job.JobLogID)
	}
	for _, want := range c.rowErrors {
		if !hasRowError(rowErrs, want) {
			t.Errorf("no row error %q among %+v", want, rowErrs)
		}
	}
}

// sendCase sends one request on a connection of its own, writing the body
// while it reads the answer: a server that answers a 413 before it has read
// a 10 MB body (and then closes) must not turn into a client write error.
func (e *env) sendCase(method, path, token string, body []byte, headers []string) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	req.Close = true
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute)) // a safety net, not an assertion
	go req.Write(conn)                            // its error shows as the answer's
	res, err := http.ReadResponse(bufio.NewReader(conn), req)
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

// jobErrors returns the row errors the status endpoint shows for a job.
func (e *env) jobErrors(tn *tenant, id int64) []rowError {
	e.t.Helper()
	var out struct {
		Content struct {
			Errors []rowError `json:"errors"`
		} `json:"content"`
	}
	e.do("GET", statusPath(tn, id), tn.MemberToken, nil).Decode(e.t, &out)
	return out.Content.Errors
}

// hasRowError reports whether errs holds the error want: "row | field |
// message fragment" (an empty field is a record-level error).
func hasRowError(errs []rowError, want string) bool {
	parts := strings.SplitN(want, "|", 3)
	if len(parts) != 3 {
		return false
	}
	row, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil {
		return false
	}
	field, msg := strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
	for _, r := range errs {
		if r.Row == row && r.Field == field && strings.Contains(r.Message, msg) {
			return true
		}
	}
	return false
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// loadBadInputCorpus reads and parses every case file.
func loadBadInputCorpus(t *testing.T) []badCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(badInputDir, "*", "*.case"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []badCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(badInputDir, f)
		c, err := parseBadCase(strings.TrimSuffix(filepath.ToSlash(rel), ".case"), data)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		cases = append(cases, c)
	}
	return cases
}

// parseBadCase parses one case file: "key: value" lines, then a line
// "---" and the raw body.
func parseBadCase(name string, data []byte) (badCase, error) {
	c := badCase{name: name, method: "POST", auth: "admin"}
	head, body, hasBody := bytes.Cut(data, []byte("\n---\n"))
	if !hasBody && bytes.HasSuffix(data, []byte("\n---")) {
		head, hasBody = data[:len(data)-4], true
	}
	var newline string
	var formFile *formPart
	for _, line := range strings.Split(string(head), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return c, fmt.Errorf("line %q is not key: value", line)
		}
		value = strings.TrimSpace(value)
		var err error
		switch key = strings.TrimSpace(key); key {
		case "method":
			c.method = value
		case "path":
			c.path, err = expandTemplate(value)
		case "content-type":
			c.contentType = value
		case "auth":
			c.auth = value
		case "header":
			var h string
			h, err = expandTemplate(value)
			c.headers = append(c.headers, h)
		case "newline":
			newline = value
		case "expect-status":
			c.status, err = strconv.Atoi(value)
		case "expect-message":
			c.message = value
		case "expect-error-key":
			c.errorKeys = append(c.errorKeys, value)
		case "expect-row-error":
			c.rowErrors = append(c.rowErrors, value)
		case "expect-job-status":
			c.jobStatus = value
		case "expect-body":
			c.bodyContains = append(c.bodyContains, value)
		case "form-file":
			formFile = &formPart{Name: "file", FileName: value}
			c.form = append(c.form, *formFile)
		default:
			field, isForm := strings.CutPrefix(key, "form-")
			if !isForm {
				return c, fmt.Errorf("unknown key %q", key)
			}
			var v string
			v, err = expandTemplate(value)
			c.form = append(c.form, formPart{Name: field, Content: []byte(v)})
		}
		if err != nil {
			return c, fmt.Errorf("%s: %v", key, err)
		}
	}
	if c.path == "" || c.status == 0 {
		return c, fmt.Errorf("path and expect-status are required")
	}
	if c.status >= 400 && c.message == "" {
		return c, fmt.Errorf("an error case needs expect-message")
	}
	if !slices.Contains([]string{"admin", "member", "session", "none", "bogus"}, c.auth) {
		return c, fmt.Errorf("auth %q is not admin, member, session, none or bogus", c.auth)
	}
	if hasBody {
		text := string(body)
		switch newline {
		case "", "lf":
		case "crlf":
			text = strings.ReplaceAll(text, "\n", "\r\n")
		case "cr": // classic Mac line ends
			text = strings.ReplaceAll(text, "\n", "\r")
		case "none": // the body ends without the file's final newline
			text = strings.TrimSuffix(text, "\n")
		default:
			return c, fmt.Errorf("newline %q is not lf, crlf, cr or none", newline)
		}
		expanded, err := expandTemplate(text)
		if err != nil {
			return c, fmt.Errorf("body: %v", err)
		}
		c.body = []byte(expanded)
	}
	if formFile != nil {
		for i := range c.form {
			if c.form[i].Name == "file" && c.form[i].Content == nil {
				c.form[i].Content = c.body
				if c.form[i].Content == nil {
					c.form[i].Content = []byte{}
				}
			}
		}
		c.body = nil
	}
	return c, nil
}

// templateCall matches {{func args...}} in a body, path or form value.
var templateCall = regexp.MustCompile(`\{\{([a-z0-9]+)((?:\s+(?:"(?:[^"\\]|\\.)*"|[0-9]+))*)\s*\}\}`)

var strayCall = regexp.MustCompile(`\{\{[a-z]`)

var templateArg = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|[0-9]+`)

// expandTemplate expands the generator calls of s:
//
//	{{repeat "S" N}}    S, N times (S is a Go string literal: "\x00" works)
//	{{seq "FMT" N}}     fmt.Sprintf(FMT, i) for i = 1..N, concatenated
//	{{hex "HEX"}}       the bytes HEX encodes
//	{{utf16le "S"}}     S encoded as UTF-16LE with a byte order mark
//	{{utf16be "S"}}     S encoded as UTF-16BE with a byte order mark
//	{{pad "S" N}}       S followed by spaces up to N bytes
func expandTemplate(s string) (string, error) {
	var firstErr error
	out := templateCall.ReplaceAllStringFunc(s, func(call string) string {
		m := templateCall.FindStringSubmatch(call)
		args := templateArg.FindAllString(m[2], -1)
		str := func(i int) string {
			if i >= len(args) {
				firstErr = fmt.Errorf("%s: missing argument %d", call, i+1)
				return ""
			}
			v, err := strconv.Unquote(args[i])
			if err != nil {
				firstErr = fmt.Errorf("%s: argument %d is not a string: %v", call, i+1, err)
			}
			return v
		}
		num := func(i int) int {
			if i >= len(args) {
				firstErr = fmt.Errorf("%s: missing argument %d", call, i+1)
				return 0
			}
			n, err := strconv.Atoi(args[i])
			if err != nil || n < 0 || n > 16<<20 {
				firstErr = fmt.Errorf("%s: argument %d is not a count", call, i+1)
			}
			return n
		}
		switch m[1] {
		case "repeat":
			return strings.Repeat(str(0), num(1))
		case "seq":
			var b strings.Builder
			f, n := str(0), num(1)
			for i := 1; i <= n; i++ {
				fmt.Fprintf(&b, f, i)
			}
			return b.String()
		case "hex":
			b, err := hex.DecodeString(strings.ReplaceAll(str(0), " ", ""))
			if err != nil {
				firstErr = fmt.Errorf("%s: %v", call, err)
			}
			return string(b)
		case "utf16le", "utf16be":
			return utf16Text(str(0), m[1] == "utf16le")
		case "pad":
			v, n := str(0), num(1)
			return v + strings.Repeat(" ", max(0, n-len(v)))
		}
		firstErr = fmt.Errorf("unknown generator %q", m[1])
		return ""
	})
	if firstErr == nil && strayCall.MatchString(templateCall.ReplaceAllString(s, "")) {
		firstErr = fmt.Errorf("a {{name ...}} that is not a well-formed generator call")
	}
	return out, firstErr
}

// utf16Text encodes s as UTF-16 with a byte order mark.
func utf16Text(s string, littleEndian bool) string {
	var b []byte
	for _, u := range append([]uint16{0xFEFF}, utf16.Encode([]rune(s))...) {
		if littleEndian {
			b = append(b, byte(u), byte(u>>8))
		} else {
			b = append(b, byte(u>>8), byte(u))
		}
	}
	return string(b)
}

// TestBadInputTemplates checks the corpus generators the cases rely on.
func TestBadInputTemplates(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`a{{repeat "xy" 3}}b`, "axyxyxyb"},
		{`{{seq "c%d," 3}}`, "c1,c2,c3,"},
		{`{{hex "ff fe 00"}}`, "\xff\xfe\x00"},
		{`{{repeat "\x00" 2}}`, "\x00\x00"},
		{`{{utf16le "a"}}`, "\xff\xfea\x00"},
		{`{{utf16be "a"}}`, "\xfe\xff\x00a"},
		{`{{pad "ab" 4}}|`, "ab  |"},
		{`no calls {x}`, "no calls {x}"},
	}
	for _, tt := range tests {
		got, err := expandTemplate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("expandTemplate(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`{{nope "x"}}`, `{{repeat "x"}}`, `{{hex "zz"}}`, `{{repeat x 3}}`} {
		if _, err := expandTemplate(bad); err == nil {
			t.Errorf("expandTemplate(%q) gave no error", bad)
		}
	}
	// Every case file must parse; a file that does not is reported by name.
	loadBadInputCorpus(t)
}
