package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vintry/vintry/internal/serveproc"
)

// bench is one benchmark run: its work directory, database, server and report.
type bench struct {
	cfg   Config
	log   *progress
	work  string // temp dir: data, server log, scratch copy, large file
	bin   string // the vintry binary
	store store
	srv   *serveproc.Server
	api   *client
	keys  keyspace // fresh record keys of the live database
	jobID int64    // the probe import's job; physical rows are stamped with it
	// largeJobID is the large phase's job, which the revert phase reverts.
	largeJobID int64
	report     *Report
}

// password is the benchmark user's password (a throwaway tenant on loopback).
const password = "bench-password-not-secret"

// idleSettle is how long the server may settle after start-up before its
// idle RSS is read.
const idleSettle = time.Second

// run executes the selected phases and writes the table to stdout (and the
// JSON report, when asked).
func run(ctx context.Context, cfg Config, stdout, stderr io.Writer) (err error) {
	b := &bench{cfg: cfg, log: &progress{start: time.Now()}, report: newReport(cfg)}
	if !cfg.Quiet {
		b.log.out = stderr
	}
	if b.work, err = os.MkdirTemp("", "vintry-bench-"); err != nil {
		return err
	}
	defer func() {
		if cfg.Keep {
			b.log.printf("kept the work directory %s", b.work)
		} else {
			os.RemoveAll(b.work)
		}
	}()
	defer func() { err = errors.Join(err, b.close()) }()
	if err := b.open(ctx); err != nil {
		return err
	}
	for _, p := range phases {
		if !cfg.selected(p) {
			continue
		}
		b.log.printf("phase %s", p)
		if err := b.runPhase(ctx, p); err != nil {
			return fmt.Errorf("phase %s: %w (server log: %s)", p, err, b.logPath())
		}
	}
	b.report.finish()
	if err := b.report.writeTable(stdout); err != nil {
		return err
	}
	if cfg.JSONOut != "" {
		return b.report.writeJSON(cfg.JSONOut)
	}
	return nil
}

func (b *bench) runPhase(ctx context.Context, p string) error {
	switch p {
	case "physical":
		return b.physicalPhase(ctx)
	case "json":
		return b.jsonPhase(ctx)
	case "csv":
		return b.csvPhase(ctx)
	case "sustain":
		return b.sustainPhase(ctx)
	case "large":
		return b.largePhase(ctx)
	case "revert":
		return b.revertPhase(ctx)
	}
	return fmt.Errorf("unknown phase %q", p)
}

func (b *bench) logPath() string { return filepath.Join(b.work, "serve.log") }

// open builds (or takes) the binary, prepares the database, creates the
// tenant, user and token with the admin CLI, starts the server, reads its
// idle RSS, and seeds the master data through the API.
func (b *bench) open(ctx context.Context) error {
	b.bin = b.cfg.Vintry
	if b.bin == "" {
		b.log.printf("building vintry")
		var err error
		if b.bin, err = serveproc.Build(ctx, b.work); err != nil {
			return err
		}
	}
	if b.cfg.Database == "" {
		b.store = &sqliteStore{dir: filepath.Join(b.work, "data"), scratch: filepath.Join(b.work, "physical.db")}
	} else {
		s, err := newPGStore(ctx, b.cfg.Database, b.cfg.Keep)
		if err != nil {
			return err
		}
		b.store = s
		b.log.printf("PostgreSQL schemas %s and %s", s.schema, s.scratch)
	}
	token, err := b.createTenant(ctx)
	if err != nil {
		return err
	}
	if err := b.startServer(ctx); err != nil {
		return err
	}
	b.api = newClient(b.srv.URL, token)
	if err := b.api.ready(ctx); err != nil {
		return err
	}
	time.Sleep(idleSettle)
	rss, err := procStatusKB(b.srv.PID(), "VmRSS")
	if err != nil {
		return err
	}
	b.report.add("idle_rss_mb", float64(rss)/1024, 0)
	b.log.printf("server %s (pid %d) idle RSS %.1f MB; seeding master data", b.srv.URL, b.srv.PID(), float64(rss)/1024)
	return b.seed(ctx)
}

// createTenant runs the admin CLI: tenant, admin user, token.
func (b *bench) createTenant(ctx context.Context) (string, error) {
	return serveproc.CreateTenant(ctx, b.bin, b.store.flags(), tenantSlug, "Benchmark", userEmail, password)
}

// startServer starts vintry serve on loopback with the rate limit off (the
// benchmark is one token sending far more than 120 requests a minute) and
// any extra flags.
func (b *bench) startServer(ctx context.Context, extra ...string) error {
	args := append([]string{"--addr", "127.0.0.1:0", "--rate-limit", "0"}, b.store.flags()...)
	if b.cfg.Profile != "" {
		args = append(args, "--pprof-addr", "127.0.0.1:0")
	}
	srv, err := serveproc.Start(ctx, b.bin, b.logPath(), append(args, extra...)...)
	if err != nil {
		return err
	}
	b.srv = srv
	return nil
}

// restartServer stops the server and starts it again on the same database
// with extra flags.
func (b *bench) restartServer(ctx context.Context, extra ...string) error {
	if err := b.srv.Stop(); err != nil {
		return err
	}
	b.srv = nil
	if err := b.startServer(ctx, extra...); err != nil {
		return err
	}
	b.api = newClient(b.srv.URL, b.api.token)
	return b.api.ready(ctx)
}

// seed upserts the master data and runs one probe import of a single record
// outside the key space, whose job stamps the physical limit's rows.
func (b *bench) seed(ctx context.Context) error {
	for _, m := range masterData() {
		if err := b.api.upsertMaster(ctx, m); err != nil {
			return err
		}
	}
	probe := recordAt(0, 0)
	probe.Date = "1999-12-31" // before firstDay: no measured import touches it
	j, err := b.api.importJSON(ctx, jsonBodyOf([]record{probe}))
	if err != nil {
		return fmt.Errorf("probe import: %w", err)
	}
	if j.Status != "completed" || j.Summary.Created != 1 {
		return fmt.Errorf("probe import: %s", j.problem())
	}
	b.jobID = j.ID
	return nil
}

// close stops the server and removes the database's run state.
func (b *bench) close() error {
	var errs []error
	if b.srv != nil {
		errs = append(errs, b.srv.Stop())
	}
	if b.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		errs = append(errs, b.store.close(ctx))
	}
	return errors.Join(errs...)
}
