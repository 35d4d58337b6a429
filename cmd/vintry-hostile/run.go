package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vintry/vintry/internal/serveproc"
)

// The two tenants and their users.
const (
	hostileTenant = "hostile"
	victimTenant  = "victim"
	password      = "hostile-password-not-secret"
)

func email(tenant string) string { return "admin@" + tenant + ".example" }

var (
	attackerIP = net.IPv4(127, 0, 0, 2)
	victimIP   = net.IPv4(127, 0, 0, 1)
)

// env is what the phases work with.
type env struct {
	cfg          Config
	attacker     *client // API calls from 127.0.0.2
	ui           *client // the attacker's signed-in web UI session
	victim       *client
	hostileToken string
	victimToken  string
	mappingPage  string // the path of a 1000-column draft's mapping page
}

// run starts the server, sets the tenants up and runs the phases.
func run(ctx context.Context, cfg Config, stdout, stderr io.Writer) (err error) {
	log := func(format string, args ...any) {
		if !cfg.Quiet {
			fmt.Fprintf(stderr, "vintry-hostile: "+format+"\n", args...)
		}
	}
	if !isLoopback2() {
		return errors.New("127.0.0.2 is not usable as a source address; the attacker needs its own client address")
	}
	work, err := os.MkdirTemp("", "vintry-hostile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := cfg.Vintry
	if bin == "" {
		log("building vintry")
		if bin, err = serveproc.Build(ctx, work); err != nil {
			return err
		}
	}
	dbFlags := []string{"--data-dir", filepath.Join(work, "data")}
	if cfg.Database != "" {
		schema, err := serveproc.NewPGSchema(ctx, cfg.Database, "vhostile_", false)
		if err != nil {
			return err
		}
		defer func() {
			dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err = errors.Join(err, schema.Drop(dctx))
		}()
		u, err := schema.URL()
		if err != nil {
			return err
		}
		dbFlags = []string{"--database", u}
	}
	e := &env{cfg: cfg}
	for _, t := range []struct {
		slug  string
		token *string
	}{{hostileTenant, &e.hostileToken}, {victimTenant, &e.victimToken}} {
		if *t.token, err = serveproc.CreateTenant(ctx, bin, dbFlags, t.slug, "", email(t.slug), password); err != nil {
			return err
		}
	}
	logPath := filepath.Join(work, "serve.log")
	// No per-token rate limit: the bounds themselves are under test, not
	// the limit that would slow an attacker down first.
	srv, err := serveproc.Start(ctx, bin, logPath, append([]string{"--addr", "127.0.0.1:0", "--rate-limit", "0"}, dbFlags...)...)
	if err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, srv.Stop())
		var known int
		var lines []string
		for _, l := range serveproc.ErrorLines(logPath) {
			if strings.Contains(l, "leadership.Elector") {
				// River's leader election on SQLite's one write
				// connection times out while long writes hold it; the
				// lease is taken again (docs/reliability.md, known limits).
				known++
				continue
			}
			lines = append(lines, l)
		}
		if known > 0 {
			fmt.Fprintf(stdout, "\nnote: %d River leadership ERROR lines (SQLite's single writer busy; see docs/reliability.md)\n", known)
		}
		if len(lines) > 0 {
			err = errors.Join(err, fmt.Errorf("the server logged %d ERROR lines, the first: %s", len(lines), lines[0]))
		}
	}()
	log("server %s (pid %d)", srv.URL, srv.PID())
	e.attacker = newClient(srv.URL, attackerIP, max(cfg.Parallel, cfg.SlowConns))
	e.ui = newClient(srv.URL, attackerIP, cfg.Parallel).withJar()
	e.victim = newClient(srv.URL, victimIP, 4)
	if err := e.ui.signIn(ctx, hostileTenant, email(hostileTenant), password); err != nil {
		return err
	}
	var results []phaseResult
	for _, p := range phases {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, p.name) {
			continue
		}
		if p.setup != nil {
			log("%s: setting up", p.name)
			if err := p.setup(ctx, e); err != nil {
				return fmt.Errorf("%s setup: %w", p.name, err)
			}
		}
		log("%s: %s", p.name, p.what)
		r := runPhase(ctx, e, srv.PID(), p)
		results = append(results, r)
		log("%s: peak RSS %d MiB, %d attacks, victim worst %v", p.name, r.peakRSS>>20, r.attacks, r.victimWorst.Round(time.Millisecond))
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	writeReport(stdout, cfg, results)
	var failed []string
	for _, r := range results {
		if probs := r.problems(cfg); len(probs) > 0 {
			failed = append(failed, r.name+": "+strings.Join(probs, "; "))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d phases failed:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	return nil
}
