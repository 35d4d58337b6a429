package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// buildVintry builds the vintry command into dir and returns its path.
func buildVintry(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "vintry")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/vintry/vintry/cmd/vintry")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/vintry: %v\n%s", err, out.String())
	}
	return bin, nil
}

// childEnv is the environment of every vintry process: ours, without a
// database URL that would override the flags this program passes.
func childEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VINTRY_DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	return out
}

// vintryCLI runs one admin command to completion and returns its stdout.
func vintryCLI(ctx context.Context, bin, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = childEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("vintry %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// createTenant makes the load tenant, an admin user and a token with the
// admin CLI on the database given by dbFlags, and returns the token.
func createTenant(ctx context.Context, bin string, dbFlags []string) (string, error) {
	if _, err := vintryCLI(ctx, bin, "", append([]string{"tenant", "create", tenantSlug, "--name", "Load"}, dbFlags...)...); err != nil {
		return "", err
	}
	if _, err := vintryCLI(ctx, bin, "load-password-not-secret\n", append([]string{"user", "create", "--tenant", tenantSlug,
		"--email", userEmail, "--password-stdin", "--admin"}, dbFlags...)...); err != nil {
		return "", err
	}
	out, err := vintryCLI(ctx, bin, "", append([]string{"token", "create", "--tenant", tenantSlug, "--email", userEmail}, dbFlags...)...)
	if err != nil {
		return "", err
	}
	token := strings.TrimSpace(out)
	if token == "" || strings.ContainsAny(token, " \n") {
		return "", fmt.Errorf("token create printed %q, want a token", out)
	}
	return token, nil
}

// server is a running `vintry serve` whose log goes to a file.
type server struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	done    chan struct{}
	waitErr error
}

// startServer starts `vintry serve` with args, appending its log to logPath,
// and waits (two minutes at most) for its "listening" line.
func startServer(ctx context.Context, bin, logPath string, args ...string) (*server, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	s := &server{logPath: logPath, done: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	s.cmd.Env = childEnv()
	s.cmd.Stdout = io.Discard
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	addr := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			line := sc.Bytes()
			logFile.Write(append(line, '\n'))
			var l struct{ Msg, Addr string }
			if bytes.Contains(line, []byte(`"listening"`)) && json.Unmarshal(line, &l) == nil && l.Addr != "" {
				select {
				case addr <- l.Addr:
				default:
				}
			}
		}
	}()
	go func() {
		<-copied
		s.waitErr = s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("vintry serve exited before listening (%v); log: %s", s.waitErr, logPath)
	case <-time.After(2 * time.Minute):
	case <-ctx.Done():
	}
	s.kill()
	return nil, fmt.Errorf("vintry serve did not log that it listens; log: %s", logPath)
}

// stop sends SIGTERM and waits a minute at most for a clean exit.
func (s *server) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.kill()
		return errors.New("vintry serve did not exit within a minute of SIGTERM; killed it")
	}
	if s.waitErr != nil {
		return fmt.Errorf("vintry serve exited with %v; log: %s", s.waitErr, s.logPath)
	}
	return nil
}

func (s *server) kill() {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Kill()
		<-s.done
	}
}

// errorLines returns the log lines the server wrote at level ERROR.
func errorLines(logPath string) []string {
	b, _ := os.ReadFile(logPath)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		var l struct{ Level string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Level == "ERROR" {
			out = append(out, line)
		}
	}
	return out
}

// pgSchema is a fresh schema in a PostgreSQL database, for one run.
type pgSchema struct {
	base, name string
	keep       bool
}

// newPGSchema creates a schema with a short random name.
func newPGSchema(ctx context.Context, base string, keep bool) (*pgSchema, error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("--database: %w", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 4)
	rand.Read(b)
	s := &pgSchema{base: base, name: "vload_" + hex.EncodeToString(b), keep: keep}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{s.name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create schema %s: %w", s.name, err)
	}
	return s, nil
}

// url is the database URL with search_path set to the schema.
func (s *pgSchema) url() (string, error) {
	u, err := url.Parse(s.base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", s.name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// drop removes the schema unless it is to be kept.
func (s *pgSchema) drop(ctx context.Context) error {
	if s.keep {
		return nil
	}
	conn, err := pgx.Connect(ctx, s.base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{s.name}.Sanitize()+` CASCADE`)
	return err
}
