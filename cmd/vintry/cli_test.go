package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vintry/vintry"
)

// binary is the vintry command built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "vintry-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "vintry")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build vintry:", err)
		return 1
	}
	return m.Run()
}

// commandTimeout bounds every command, so a hang fails the test instead of
// the whole run.
const commandTimeout = 2 * time.Minute

// result is the outcome of one command.
type result struct {
	stdout, stderr string
	code           int
}

// env is the environment of every command: the test's own, without a
// database URL that would redirect it away from its data dir.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VINTRY_DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// vintryCmd runs the binary to completion with stdin and args.
func vintryCmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return vintryEnv(t, env(), stdin, args...)
}

func vintryEnv(t *testing.T, environ []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = environ
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("vintry %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("vintry %s did not finish within %s", strings.Join(args, " "), commandTimeout)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// mustSucceed runs a command that must exit 0 with nothing on stderr.
func mustSucceed(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := vintryCmd(t, stdin, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("vintry %s: exit %d, stderr %q, stdout %q", strings.Join(args, " "), r.code, r.stderr, r.stdout)
	}
	return r
}

// mustFailOneLine runs a command that must exit non-zero with exactly one
// line on stderr, and returns that line.
func mustFailOneLine(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := vintryCmd(t, stdin, args...)
	return checkOneLineFailure(t, r, args)
}

func checkOneLineFailure(t *testing.T, r result, args []string) string {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("vintry %s: exit 0, want failure (stdout %q)", strings.Join(args, " "), r.stdout)
	}
	line, rest, _ := strings.Cut(r.stderr, "\n")
	if line == "" || rest != "" || !strings.HasPrefix(line, "vintry: ") {
		t.Fatalf("vintry %s: stderr %q, want one line starting with \"vintry: \"", strings.Join(args, " "), r.stderr)
	}
	return line
}

var tokenPattern = regexp.MustCompile(`^\d+\|[A-Za-z0-9]{40}$`)

// checkToken checks the stdout of token create: the token alone on one line.
func checkToken(t *testing.T, stdout string) string {
	t.Helper()
	token, ok := strings.CutSuffix(stdout, "\n")
	if !ok || !tokenPattern.MatchString(token) {
		t.Fatalf("token create printed %q, want only a token and a newline", stdout)
	}
	return token
}

func TestTenantCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		slug string
	}{
		{"flags after the slug", []string{"tenant", "create", "acme", "--data-dir", dir}, "acme"},
		{"flags before the slug", []string{"tenant", "create", "--data-dir", dir, "--name", "Beta Wines", "beta"}, "beta"},
		{"flags around the slug", []string{"tenant", "create", "--name=Gamma", "gamma-2", "--data-dir=" + dir}, "gamma-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustSucceed(t, "", tt.args...)
			if !strings.Contains(r.stdout, tt.slug) {
				t.Errorf("stdout %q does not name the tenant %s", r.stdout, tt.slug)
			}
		})
	}
	t.Run("duplicate", func(t *testing.T) {
		line := mustFailOneLine(t, "", "tenant", "create", "acme", "--data-dir", dir)
		if !strings.Contains(line, "acme") || !strings.Contains(line, "already exists") {
			t.Errorf("stderr %q, want it to say tenant acme already exists", line)
		}
	})
}

func TestTenantCreateRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{"upper case and underscore", []string{"tenant", "create", "Bad_Slug", "--data-dir", dir}},
		{"space", []string{"tenant", "create", "acme wines", "--data-dir", dir}},
		{"non-ASCII", []string{"tenant", "create", "rosé", "--data-dir", dir}},
		{"too long", []string{"tenant", "create", strings.Repeat("a", 64), "--data-dir", dir}},
		{"reserved", []string{"tenant", "create", "healthz", "--data-dir", dir}},
		{"missing slug", []string{"tenant", "create", "--data-dir", dir}},
		{"starts with a dash", []string{"tenant", "create", "--data-dir", dir, "--", "-acme"}},
		{"unknown flag", []string{"tenant", "create", "acme", "--data-dir", dir, "--colour", "red"}},
		{"postgres is not available", []string{"tenant", "create", "acme", "--database", "postgres://x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustFailOneLine(t, "", tt.args...)
		})
	}
	// None of them created anything: the first valid create of acme works.
	mustSucceed(t, "", "tenant", "create", "acme", "--data-dir", dir)
}

func TestDatabaseURLFailsWithOneLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"migrate", "--database", "postgres://x"},
		{"token", "create", "--tenant", "acme", "--email", "a@b.test", "--database", "postgres://x"},
		{"serve", "--addr", "127.0.0.1:0", "--database", "postgres://x"},
	} {
		mustFailOneLine(t, "", append(args, "--data-dir", dir)...)
	}
	r := vintryEnv(t, env("VINTRY_DATABASE_URL=postgres://x"), "", "migrate", "--data-dir", dir)
	checkOneLineFailure(t, r, []string{"migrate (VINTRY_DATABASE_URL set)"})
}

// TestDatabaseURLLeavesNoDataDir checks that a command given a PostgreSQL
// URL leaves the SQLite data dir alone: it neither creates ./vintry-data nor
// locks it (a lock there would stop a second node started from the same
// directory, while any number of nodes may share one PostgreSQL database).
func TestDatabaseURLLeavesNoDataDir(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"migrate", "--database", "postgres://x"},
		{"serve", "--addr", "127.0.0.1:0", "--database", "postgres://x"},
	} {
		t.Run(args[0], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
			defer cancel()
			cwd := t.TempDir()
			cmd := exec.CommandContext(ctx, binary, args...)
			cmd.Dir, cmd.Env = cwd, env()
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("vintry %s succeeded: %s", strings.Join(args, " "), out)
			}
			if _, err := os.Stat(filepath.Join(cwd, "vintry-data")); err == nil {
				t.Errorf("vintry %s created ./vintry-data although it was given a PostgreSQL URL", strings.Join(args, " "))
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "not", "yet", "there")
	for range 2 { // a second migrate has nothing to do and still succeeds
		mustSucceed(t, "", "migrate", "--data-dir", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "vintry.db")); err != nil {
		t.Errorf("migrate left no database: %v", err)
	}
	mustSucceed(t, "", "tenant", "create", "acme", "--data-dir", dir)
}

// TestFreshDataDirNeedsNoMigrate runs every database command first on a
// data dir of its own: each brings the schema up itself, so it fails (if it
// must) for the data's sake, never for a missing table.
func TestFreshDataDirNeedsNoMigrate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		stdin string
		args  []string
		ok    bool
	}{
		{"migrate", "", []string{"migrate"}, true},
		{"tenant create", "", []string{"tenant", "create", "acme"}, true},
		{"user create", "password1\n", []string{"user", "create", "--tenant", "acme", "--email", "a@b.test", "--password-stdin"}, false},
		{"token create", "", []string{"token", "create", "--tenant", "acme", "--email", "a@b.test"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, "--data-dir", t.TempDir())
			if tt.ok {
				mustSucceed(t, tt.stdin, args...)
				return
			}
			line := mustFailOneLine(t, tt.stdin, args...)
			if strings.Contains(line, "no such table") || !strings.Contains(line, "acme") {
				t.Errorf("stderr %q, want a message about tenant acme, not the schema", line)
			}
		})
	}
}

func TestUserCreateRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustSucceed(t, "", "tenant", "create", "acme", "--data-dir", dir)
	mustSucceed(t, "password1\n", "user", "create", "--tenant", "acme", "--email", "taken@b.test", "--password-stdin", "--data-dir", dir)
	user := func(email string) []string {
		return []string{"user", "create", "--tenant", "acme", "--email", email, "--password-stdin", "--data-dir", dir}
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"no password", "", user("a@b.test")},
		{"empty first line", "\npassword1\n", user("a@b.test")},
		{"short password", "short\n", user("a@b.test")},
		{"bad email", "password1\n", user("not an email")},
		{"existing email", "password2\n", user("taken@b.test")},
		{"unknown tenant", "password1\n", []string{"user", "create", "--tenant", "nope", "--email", "a@b.test", "--password-stdin", "--data-dir", dir}},
		{"without --password-stdin", "password1\n", []string{"user", "create", "--tenant", "acme", "--email", "a@b.test", "--data-dir", dir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustFailOneLine(t, tt.stdin, tt.args...)
		})
	}
	// The rejected a@b.test was never created.
	mustFailOneLine(t, "", "token", "create", "--tenant", "acme", "--email", "a@b.test", "--data-dir", dir)
}

// TestUserAndTokenCreate creates users with passwords given with and
// without line endings, issues tokens, and signs each user in over HTTP to
// show the line ending is not part of the password.
func TestUserAndTokenCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustSucceed(t, "", "tenant", "create", "acme", "--data-dir", dir)
	users := []struct {
		email, stdin, password string
		admin                  bool
	}{
		{"a@b.test", "s3cret-pass\r\n", "s3cret-pass", true},
		{"lf@b.test", "lf-password\n", "lf-password", false},
		{"bare@b.test", "no-newline-pw", "no-newline-pw", false},
		{"multi@b.test", "first-line-pw\r\nsecond line\r\n", "first-line-pw", true},
	}
	for _, u := range users {
		args := []string{"user", "create", "--tenant", "acme", "--email", u.email, "--password-stdin", "--data-dir", dir}
		if u.admin {
			args = append(args, "--admin")
		}
		r := mustSucceed(t, u.stdin, args...)
		if !strings.Contains(r.stdout, u.email) {
			t.Errorf("user create printed %q, want it to name %s", r.stdout, u.email)
		}
		role := "member"
		if u.admin {
			role = "admin"
		}
		if !strings.Contains(r.stdout, role) {
			t.Errorf("user create printed %q, want role %s", r.stdout, role)
		}
	}
	token := checkToken(t, mustSucceed(t, "", "token", "create", "--tenant", "acme", "--email", "a@b.test", "--data-dir", dir).stdout)
	other := checkToken(t, mustSucceed(t, "", "token", "create", "--data-dir", dir, "--email", "a@b.test", "--tenant", "acme").stdout)
	if token == other {
		t.Errorf("two token creates printed the same token %q", token)
	}
	mustFailOneLine(t, "", "token", "create", "--tenant", "acme", "--email", "nobody@b.test", "--data-dir", dir)

	srv := startServe(t, "--addr", "127.0.0.1:0", "--data-dir", dir)
	for _, u := range users {
		if code, _ := srv.signIn(t, "acme", u.email, u.password); code != http.StatusOK {
			t.Errorf("sign-in of %s with %q: status %d, want 200", u.email, u.password, code)
		}
		if code, _ := srv.signIn(t, "acme", u.email, u.password+"\r"); code != http.StatusUnauthorized {
			t.Errorf("sign-in of %s with %q: status %d, want 401", u.email, u.password+"\r", code)
		}
	}
	// The CLI token works on the API.
	var list listPage
	if code := srv.getJSON(t, "/acme/api/v1/inventory", token, &list); code != http.StatusOK || list.Total != 0 {
		t.Errorf("inventory with the CLI token: status %d, total %d; want 200 and 0", code, list.Total)
	}
	srv.stop(t)
}

// TestServeDemo runs the README flow against `serve --demo`: sign in with
// the printed details, import 1000 records, read them back across pages,
// shut down on SIGTERM, and start again on the same data dir.
func TestServeDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServe(t, "serve", "--demo", "--addr", "127.0.0.1:0", "--data-dir", dir)
	email, password := srv.demoSignIn(t)
	if email != demoEmail || password != demoPassword {
		t.Errorf("printed sign-in %q / %q, want %q / %q", email, password, demoEmail, demoPassword)
	}
	code, token := srv.signIn(t, "demo", email, password)
	if code != http.StatusOK || !tokenPattern.MatchString(token) {
		t.Fatalf("sign-in with the printed details: status %d, token %q", code, token)
	}

	// The admin CLI works beside the running server; a second server does not.
	cliToken := checkToken(t, mustSucceed(t, "", "token", "create", "--tenant", "demo", "--email", email, "--data-dir", dir).stdout)
	var empty listPage
	if code := srv.getJSON(t, "/demo/api/v1/inventory", cliToken, &empty); code != http.StatusOK || empty.Total != 0 {
		t.Errorf("inventory with a CLI token: status %d, total %d; want 200 and 0", code, empty.Total)
	}
	mustFailOneLine(t, "", "serve", "--demo", "--addr", "127.0.0.1:0", "--data-dir", dir)

	records := demoRecords(t, 1000)
	var imported struct {
		Message string `json:"message"`
		Content struct {
			JobLogID int64            `json:"job_log_id"`
			Status   vintry.JobStatus `json:"status"`
			Summary  vintry.Summary   `json:"summary"`
			Errors   []vintry.RowError
		} `json:"content"`
	}
	body := map[string]any{
		"source":    "api",
		"arguments": map[string]bool{"allow_record_creation": true, "allow_record_update": true, "should_continue_on_error": false},
		"payload":   records,
	}
	if code := srv.postJSON(t, "/demo/api/v1/inventory/import/process", token, body, &imported); code != http.StatusOK {
		t.Fatalf("import: status %d, body %+v", code, imported)
	}
	c := imported.Content
	if c.Status != vintry.StatusCompleted || c.Summary != (vintry.Summary{Total: 1000, Created: 1000}) || len(c.Errors) != 0 {
		t.Fatalf("import: status %s summary %+v errors %+v; want 1000 created", c.Status, c.Summary, c.Errors)
	}

	srv.checkFailedImport(t, token)
	got := srv.readInventory(t, token, 300)
	if len(got) != 1000 {
		t.Fatalf("read back %d records, want 1000", len(got))
	}
	for _, want := range records {
		r, ok := got[want["date_filled"].(string)]
		if !ok {
			t.Errorf("record of %s not read back", want["date_filled"])
			continue
		}
		if r.ItemName != want["item_name"] || r.BinName != want["bin_name"] || r.LotName != want["lot_name"] ||
			r.Quantity != want["canonical"] || (r.UOMName != want["uom"] && r.UOMAbbr != want["uom"]) || r.LastJobLogID != c.JobLogID {
			t.Errorf("read back %+v for sent %+v (job %d)", r, want, c.JobLogID)
		}
	}
	srv.stop(t)

	// Again on the same data dir: the demo exists and is not created twice.
	again := startServe(t, "serve", "--data-dir", dir, "--addr", "127.0.0.1:0", "--demo")
	if email2, password2 := again.demoSignIn(t); email2 != email || password2 != password {
		t.Errorf("second start printed %q / %q, want %q / %q", email2, password2, email, password)
	}
	if code, _ := again.signIn(t, "demo", email, password); code != http.StatusOK {
		t.Errorf("sign-in after restart: status %d", code)
	}
	var list listPage
	if code := again.getJSON(t, "/demo/api/v1/inventory?per_page=1", token, &list); code != http.StatusOK || list.Total != 1000 {
		t.Errorf("inventory after restart with the first token: status %d, total %d; want 200 and 1000", code, list.Total)
	}
	again.stop(t)
}

// checkFailedImport sends an all-or-nothing import whose rows name demo
// entries in the wrong letter case, and checks the 422, the hints (found
// through the database's folded names, non-ASCII included) and that nothing
// was written.
func (s *server) checkFailedImport(t *testing.T, token string) {
	t.Helper()
	rec := func(item, uom string) map[string]any {
		return map[string]any{"item_name": item, "bin_name": "SS-01", "lot_name": "FG-GEN-LOT",
			"date_filled": "2019-06-30", "quantity": "12", "uom": uom}
	}
	body := map[string]any{
		"source":    "api",
		"arguments": map[string]bool{"allow_record_creation": true, "allow_record_update": true, "should_continue_on_error": false},
		"payload":   []any{rec("rosé 2022", "gal"), rec("CAB 2019", "GAL"), rec("CAB 2019", "gal")},
	}
	var resp struct {
		Message string `json:"message"`
		Content struct {
			Status  vintry.JobStatus  `json:"status"`
			Summary vintry.Summary    `json:"summary"`
			Errors  []vintry.RowError `json:"errors"`
		} `json:"content"`
	}
	if code := s.postJSON(t, "/demo/api/v1/inventory/import/process", token, body, &resp); code != http.StatusUnprocessableEntity {
		t.Fatalf("failing import: status %d, want 422 (%+v)", code, resp)
	}
	want := []vintry.RowError{
		{Row: 1, Field: "item_name", Value: "rosé 2022", Message: "Item with name 'rosé 2022' does not exist", Hint: "did you mean 'Rosé 2022'?"},
		{Row: 2, Field: "uom", Value: "GAL", Message: "UOM with name or abbreviation 'GAL' does not exist", Hint: "did you mean 'gal'?"},
	}
	c := resp.Content
	if resp.Message != want[0].Message || c.Status != vintry.StatusFailed || c.Summary != (vintry.Summary{Total: 3, Failed: 2}) ||
		!reflect.DeepEqual(c.Errors, want) {
		t.Errorf("failing import answered %+v\nwant message %q, status failed, 3 rows 2 failed, errors %+v", resp, want[0].Message, want)
	}
	var list listPage
	if code := s.getJSON(t, "/demo/api/v1/inventory?date_filled_from=2019-06-30&date_filled_to=2019-06-30", token, &list); code != http.StatusOK || list.Total != 0 {
		t.Errorf("after the failed import: status %d, %d records on its date; want 200 and none", code, list.Total)
	}
}

// demoRecords builds n import records with distinct keys from the demo's
// master data: every item, bin, lot and UOM (by name and abbreviation), a
// different date_filled for each, quantities as JSON numbers and strings.
// "canonical" is the quantity the API must read back; it is an unknown
// field to the import, which ignores it.
func demoRecords(t *testing.T, n int) []map[string]any {
	t.Helper()
	names := map[vintry.Kind][]string{}
	var uoms []string
	for _, m := range demoMaster {
		for _, e := range m.entries {
			names[m.kind] = append(names[m.kind], e.Name)
			if m.kind == vintry.KindUOM {
				uoms = append(uoms, e.Name, e.Abbreviation)
			}
		}
	}
	items, bins, lots := names[vintry.KindItem], names[vintry.KindBin], names[vintry.KindLot]
	if len(items) == 0 || len(bins) == 0 || len(lots) == 0 || len(uoms) == 0 {
		t.Fatalf("demo master data is missing a kind: %v", names)
	}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]map[string]any, n)
	for i := range out {
		var qty any
		canonical := fmt.Sprintf("%d.%03d", i+1, (i*7)%1000)
		canonical = strings.TrimRight(strings.TrimRight(canonical, "0"), ".")
		switch i % 3 {
		case 0:
			qty = json.Number(fmt.Sprintf("%d.%03d", i+1, (i*7)%1000)) // a JSON number, trailing zeros kept
		case 1:
			qty = fmt.Sprintf("%d.%03d", i+1, (i*7)%1000) // a numeric string
		default:
			qty = json.Number(fmt.Sprintf("%d.%03d000", i+1, (i*7)%1000))
		}
		out[i] = map[string]any{
			"item_name":   items[i%len(items)],
			"bin_name":    bins[(i/len(items))%len(bins)],
			"lot_name":    lots[i%len(lots)],
			"date_filled": start.AddDate(0, 0, i).Format(time.DateOnly),
			"quantity":    qty,
			"uom":         uoms[i%len(uoms)],
			"canonical":   canonical,
		}
	}
	return out
}

// server is a running `vintry serve`.
type server struct {
	cmd    *exec.Cmd
	url    string
	stdout *lines
	stderr *lines
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's error, once done is closed
}

// startServe starts `vintry serve` with args ("serve" is added when
// missing) and waits for its "listening" log line.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	if len(args) == 0 || args[0] != "serve" {
		args = append([]string{"serve"}, args...)
	}
	s := &server{cmd: exec.Command(binary, args...), stdout: newLines(), stderr: newLines(), done: make(chan struct{})}
	s.cmd.Env = env()
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = s.cmd.Wait()
		s.stdout.close()
		s.stderr.close()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	line, err := s.stderr.wait(ctx, func(l string) bool { return logMessage(l) == "listening" })
	if err != nil {
		t.Fatalf("vintry %s: no \"listening\" log line: %v\nstderr:\n%s", strings.Join(args, " "), err, s.stderr.String())
	}
	var entry struct {
		Addr string `json:"addr"`
	}
	if err := json.Unmarshal([]byte(line), &entry); err != nil || entry.Addr == "" {
		t.Fatalf("listening line %q has no addr: %v", line, err)
	}
	s.url = "http://" + entry.Addr
	return s
}

// logMessage returns the msg of a JSON log line, "" when it is not one.
func logMessage(line string) string {
	var entry struct {
		Msg string `json:"msg"`
	}
	if json.Unmarshal([]byte(line), &entry) != nil {
		return ""
	}
	return entry.Msg
}

// stop sends SIGTERM and checks the server exits 0 in time, with every
// stderr line a JSON log line and no error logged.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	select {
	case <-s.done:
	case <-ctx.Done():
		t.Fatalf("vintry serve did not exit within a minute of SIGTERM\nstderr:\n%s", s.stderr.String())
	}
	if s.err != nil {
		t.Errorf("vintry serve after SIGTERM: %v\nstderr:\n%s", s.err, s.stderr.String())
	}
	for _, l := range s.stderr.all() {
		var entry struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if err := json.Unmarshal([]byte(l), &entry); err != nil || entry.Msg == "" {
			t.Errorf("stderr line is not a JSON log line: %q", l)
		} else if entry.Level == "ERROR" && !strings.HasPrefix(entry.Msg, "leadership.Elector: Error attempting to resign") {
			// River's leader gives up resigning after 1 s when the single
			// SQLite write connection is busy; the lease simply expires, so
			// that line is noise, not a failed shutdown.
			t.Errorf("error logged: %s", l)
		}
	}
}

// demoSignIn returns the email and password --demo printed.
func (s *server) demoSignIn(t *testing.T) (email, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	field := func(name string) string {
		t.Helper()
		line, err := s.stdout.wait(ctx, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), name+":") })
		if err != nil {
			t.Fatalf("--demo printed no %s: %v\nstdout:\n%s", name, err, s.stdout.String())
		}
		return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), name+":"))
	}
	if tenant := field("Tenant"); tenant != "demo" {
		t.Errorf("--demo printed tenant %q, want demo", tenant)
	}
	email, password = field("Email"), field("Password")
	if _, err := s.stdout.wait(ctx, func(l string) bool { return strings.Contains(l, "curl") && strings.Contains(l, s.url+"/demo/") }); err != nil {
		t.Errorf("--demo printed no curl line for %s: %v\nstdout:\n%s", s.url, err, s.stdout.String())
	}
	return email, password
}

// signIn creates a token with email and password as query parameters, as
// the README's curl line does, and returns the status and the token.
func (s *server) signIn(t *testing.T, tenant, email, password string) (int, string) {
	t.Helper()
	q := url.Values{"email": {email}, "password": {password}}
	var body struct {
		Token string `json:"token"`
	}
	code := s.do(t, http.MethodPost, "/"+tenant+"/api/v1/tokens/create?"+q.Encode(), "", nil, &body)
	return code, body.Token
}

func (s *server) getJSON(t *testing.T, path, token string, out any) int {
	t.Helper()
	return s.do(t, http.MethodGet, path, token, nil, out)
}

func (s *server) postJSON(t *testing.T, path, token string, in, out any) int {
	t.Helper()
	return s.do(t, http.MethodPost, path, token, in, out)
}

func (s *server) do(t *testing.T, method, path, token string, in, out any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, body %q", method, path, ct, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s %s: %v in %q", method, path, err, raw)
	}
	return resp.StatusCode
}

// inventoryRecord is a record as GET /inventory returns it.
type inventoryRecord struct {
	ID           int64  `json:"id"`
	ItemName     string `json:"item_name"`
	BinName      string `json:"bin_name"`
	LotName      string `json:"lot_name"`
	DateFilled   string `json:"date_filled"`
	Quantity     string `json:"quantity"`
	UOMName      string `json:"uom_name"`
	UOMAbbr      string `json:"uom_abbr"`
	LastJobLogID int64  `json:"last_job_log_id"`
}

// listPage is one page of a list endpoint.
type listPage struct {
	Data         []inventoryRecord `json:"data"`
	Total        int               `json:"total"`
	From         *int              `json:"from"`
	To           *int              `json:"to"`
	PerPage      int               `json:"per_page"`
	CurrentIndex *string           `json:"current_index"`
	NextIndex    *string           `json:"next_index"`
}

// readInventory reads the whole inventory perPage records at a time,
// following next_index, and returns the records by date_filled (which is
// distinct in these tests).
func (s *server) readInventory(t *testing.T, token string, perPage int) map[string]inventoryRecord {
	t.Helper()
	out := map[string]inventoryRecord{}
	ids := map[int64]bool{}
	index := ""
	for pages := 1; ; pages++ {
		q := url.Values{"per_page": {fmt.Sprint(perPage)}}
		if index != "" {
			q.Set("current_index", index)
		}
		var p listPage
		if code := s.getJSON(t, "/demo/api/v1/inventory?"+q.Encode(), token, &p); code != http.StatusOK {
			t.Fatalf("inventory page %d: status %d", pages, code)
		}
		if p.Total != 1000 || p.PerPage != perPage || len(p.Data) == 0 || len(p.Data) > perPage {
			t.Fatalf("inventory page %d: total %d, per_page %d, %d records", pages, p.Total, p.PerPage, len(p.Data))
		}
		if p.From == nil || p.To == nil || *p.From != len(ids)+1 || *p.To != len(ids)+len(p.Data) {
			t.Errorf("inventory page %d: from %v to %v after %d records", pages, p.From, p.To, len(ids))
		}
		for _, r := range p.Data {
			if ids[r.ID] {
				t.Errorf("record %d on two pages", r.ID)
			}
			ids[r.ID] = true
			out[r.DateFilled] = r
		}
		if p.NextIndex == nil {
			if want := (1000 + perPage - 1) / perPage; pages != want {
				t.Errorf("read %d pages, want %d", pages, want)
			}
			return out
		}
		if pages > 1000/perPage+1 {
			t.Fatalf("next_index never ends: page %d", pages)
		}
		index = *p.NextIndex
	}
}

// lines collects the lines a process writes and lets a test wait for one.
type lines struct {
	mu      sync.Mutex
	buf     []byte   // an unfinished line
	done    []string // finished lines
	closed  bool
	changed chan struct{} // closed and replaced on every change
}

func newLines() *lines { return &lines{changed: make(chan struct{})} }

// Write implements io.Writer.
func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.done = append(l.done, string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	l.notify()
	return len(p), nil
}

func (l *lines) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// close marks the end of output; an unfinished last line counts as a line.
func (l *lines) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.done = append(l.done, string(l.buf))
		l.buf = nil
	}
	l.closed = true
	l.notify()
}

// wait returns the first line that matches, waiting for it until ctx ends
// or the output does.
func (l *lines) wait(ctx context.Context, match func(string) bool) (string, error) {
	for seen := 0; ; {
		l.mu.Lock()
		for ; seen < len(l.done); seen++ {
			if match(l.done[seen]) {
				line := l.done[seen]
				l.mu.Unlock()
				return line, nil
			}
		}
		closed, changed := l.closed, l.changed
		l.mu.Unlock()
		if closed {
			return "", errors.New("the process exited")
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.done...)
}

func (l *lines) String() string { return strings.Join(l.all(), "\n") }
