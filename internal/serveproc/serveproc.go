// Package serveproc runs a real `vintry serve` child process for the
// benchmark and load programs (cmd/vintry-bench, cmd/vintry-load): it builds
// the vintry binary, starts the server on loopback with its log in a file,
// waits until it listens, stops it, runs the admin CLI beside it, and gives
// each run a fresh PostgreSQL schema.
package serveproc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Build builds the vintry command into dir and returns its path. The
// package path works from anywhere inside the module.
func Build(ctx context.Context, dir string) (string, error) {
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
// database URL that would override the flags the caller passes.
func childEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VINTRY_DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	return out
}

// CLI runs one admin command of bin (a minute at most) to completion and
// returns its stdout. A failure carries the command's stderr.
func CLI(ctx context.Context, bin, stdin string, args ...string) (string, error) {
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

// CreateTenant makes a tenant (its name, if not "", given by --name), an
// admin user with password and an API token with the admin CLI of bin on
// the database given by dbFlags, and returns the token.
func CreateTenant(ctx context.Context, bin string, dbFlags []string, slug, name, email, password string) (string, error) {
	create := []string{"tenant", "create", slug}
	if name != "" {
		create = append(create, "--name", name)
	}
	if _, err := CLI(ctx, bin, "", append(create, dbFlags...)...); err != nil {
		return "", err
	}
	if _, err := CLI(ctx, bin, password+"\n", append([]string{"user", "create", "--tenant", slug,
		"--email", email, "--password-stdin", "--admin"}, dbFlags...)...); err != nil {
		return "", err
	}
	out, err := CLI(ctx, bin, "", append([]string{"token", "create", "--tenant", slug, "--email", email}, dbFlags...)...)
	if err != nil {
		return "", err
	}
	token := strings.TrimSpace(out)
	if token == "" || strings.ContainsAny(token, " \n") {
		return "", fmt.Errorf("token create printed %q, want a token", out)
	}
	return token, nil
}
