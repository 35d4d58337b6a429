package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vintry/vintry/internal/serveproc"
)

const (
	tenantSlug = "load"
	userEmail  = "load@vintry.example"
)

// run starts (or targets) the server, seeds it, runs the clients, checks
// the final state and prints the report. A discrepancy is an error.
func run(ctx context.Context, cfg Config, stdout, stderr io.Writer) (err error) {
	log := &progress{start: time.Now()}
	if !cfg.Quiet {
		log.out = stderr
	}
	base, token, tenant := cfg.URL, cfg.Token, cfg.Tenant
	var logPath string
	if base == "" {
		work, err := os.MkdirTemp("", "vintry-load-")
		if err != nil {
			return err
		}
		defer func() {
			if cfg.Keep {
				log.printf("kept the work directory %s", work)
			} else {
				os.RemoveAll(work)
			}
		}()
		bin := cfg.Vintry
		if bin == "" {
			log.printf("building vintry")
			if bin, err = serveproc.Build(ctx, work); err != nil {
				return err
			}
		}
		dbFlags := []string{"--data-dir", filepath.Join(work, "data")}
		if cfg.Database != "" {
			schema, err := serveproc.NewPGSchema(ctx, cfg.Database, "vload_", cfg.Keep)
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
			log.printf("PostgreSQL schema %s", schema.Name)
		}
		if token, err = createTenant(ctx, bin, dbFlags); err != nil {
			return err
		}
		tenant = tenantSlug
		logPath = filepath.Join(work, "serve.log")
		srv, err := serveproc.Start(ctx, bin, logPath, append([]string{"--addr", "127.0.0.1:0", "--rate-limit", "0"}, dbFlags...)...)
		if err != nil {
			return err
		}
		defer func() {
			err = errors.Join(err, srv.Stop())
			if lines := serveproc.ErrorLines(logPath); len(lines) > 0 {
				err = errors.Join(err, fmt.Errorf("the server logged %d ERROR lines, the first: %s", len(lines), lines[0]))
			}
		}()
		base = srv.URL
		log.printf("server %s (pid %d), log %s", base, srv.PID(), logPath)
	}
	api := newClient(base, token, tenant, cfg.Clients)
	if err := api.ready(ctx); err != nil {
		return err
	}
	log.printf("seeding master data")
	if err := seedMaster(ctx, api); err != nil {
		return err
	}

	jobsBefore, err := api.jobCount(ctx)
	if err != nil {
		return fmt.Errorf("job list: %w", err)
	}
	stats := newStats()
	clients := make([]*loadClient, cfg.Clients)
	log.printf("running %d clients for %s", cfg.Clients, cfg.Duration)
	start := time.Now()
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = newLoadClient(i, cfg, api, stats)
		wg.Go(func() { clients[i].run(runCtx) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	log.printf("checking the final state")
	model := map[string]string{}
	expectedJobs := 0
	for _, c := range clients {
		for k, q := range c.model {
			model[k] = q
		}
		expectedJobs += c.jobs
	}
	inv, listedTwice, err := api.inventory(ctx)
	if err != nil {
		return fmt.Errorf("final inventory: %w", err)
	}
	jobs, err := api.jobCount(ctx)
	if err != nil {
		return fmt.Errorf("final job list: %w", err)
	}
	res := compare(model, inv)
	res.ListedTwice = listedTwice
	res.ExpectedJobs, res.Jobs = expectedJobs, jobs-jobsBefore
	rep := report{Config: cfg, Elapsed: elapsed, Stats: stats, Result: res}
	rep.write(stdout)
	if problems := rep.problems(); len(problems) > 0 {
		return fmt.Errorf("%d problems: %v", len(problems), problems)
	}
	return nil
}
