package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// profiled runs a phase's measured part; with --profile it also collects the
// server's profiles into the profile directory, named after the phase:
//
//	PHASE-cpu.pb.gz            CPU, --profile-seconds from the phase's start
//	PHASE-allocs-base.pb.gz    allocations before the phase (for -diff_base)
//	PHASE-allocs.pb.gz         allocations after it
//	PHASE-heap.pb.gz           live heap after it
//
// Read one with: go tool pprof -top -diff_base PHASE-allocs-base.pb.gz PHASE-allocs.pb.gz
func (b *bench) profiled(ctx context.Context, phase string, measure func() error) error {
	if b.cfg.Profile == "" {
		return measure()
	}
	if b.srv.PprofURL == "" {
		return errors.New("--profile needs a server started with --pprof-addr")
	}
	if err := os.MkdirAll(b.cfg.Profile, 0o755); err != nil {
		return err
	}
	out := func(kind string) string { return filepath.Join(b.cfg.Profile, phase+"-"+kind+".pb.gz") }
	if err := b.fetchProfile(ctx, "allocs", out("allocs-base")); err != nil {
		return err
	}
	cpu := make(chan error, 1)
	go func() {
		cpu <- b.fetchProfile(ctx, "profile?seconds="+strconv.Itoa(b.cfg.ProfSecs), out("cpu"))
	}()
	err := measure()
	err = errors.Join(err, b.fetchProfile(ctx, "allocs", out("allocs")), b.fetchProfile(ctx, "heap", out("heap")))
	b.log.printf("%s: waiting for the CPU profile (%d s from the phase's start)", phase, b.cfg.ProfSecs)
	return errors.Join(err, <-cpu)
}

// fetchProfile saves one /debug/pprof/ endpoint of the server into path.
func (b *bench) fetchProfile(ctx context.Context, endpoint, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(b.cfg.ProfSecs)*time.Second+time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.PprofURL+"/debug/pprof/"+endpoint, nil)
	if err != nil {
		return err
	}
	resp, err := b.api.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("pprof %s: status %d: %s", endpoint, resp.StatusCode, msg)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}
