// Command vintry-load is Vintry's soak test. It starts a real `vintry serve`
// on loopback (embedded SQLite by default, PostgreSQL with --database) or
// targets a running one (--url), seeds a tenant, and runs many concurrent
// clients for a set time, each mixing JSON imports (with Idempotency-Key,
// some sent twice on purpose), CSV uploads (waiting for their jobs), job
// status polls, inventory and job list reads, and batch deletes.
//
// Every client owns a disjoint set of record keys and writes them one
// request at a time with absolute quantities, so the final inventory is
// known whatever the interleaving. At the end the program reads the whole
// inventory and the job list and compares them with its model: records
// lost, extra or listed twice, quantities wrong, imports applied twice
// (more jobs than accepted imports), and every 5xx, transport error or
// unexpected answer. It prints the figures and exits 1 on any discrepancy.
// See docs/reliability.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Config is the command line.
type Config struct {
	Vintry   string        // vintry binary; "" builds ./cmd/vintry
	Database string        // postgres:// URL; "" uses embedded SQLite
	URL      string        // a running server instead of starting one
	Token    string        // with URL: an admin token of Tenant
	Tenant   string        // with URL: the tenant to load
	Clients  int           // concurrent clients
	Duration time.Duration // how long they run
	Keys     int           // record keys per client
	Seed     uint64        // random seed of the workload
	Keep     bool          // keep the work directory (and PostgreSQL schema)
	Quiet    bool          // no progress lines on stderr
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "vintry-load:", err)
		os.Exit(2)
	}
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vintry-load:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line into a Config.
func parseFlags(args []string, errOut io.Writer) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("vintry-load", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&cfg.Vintry, "vintry", "", "vintry binary to run (default: go build ./cmd/vintry into a temp dir)")
	fs.StringVar(&cfg.Database, "database", "", "PostgreSQL URL (postgres://...); the run gets a fresh schema in it. Default: embedded SQLite")
	fs.StringVar(&cfg.URL, "url", "", "load a running server at this base URL instead of starting one (needs --token and --tenant)")
	fs.StringVar(&cfg.Token, "token", "", "with --url: an admin API token of --tenant")
	fs.StringVar(&cfg.Tenant, "tenant", "", "with --url: the tenant to load; its inventory must hold no LOAD- items")
	fs.IntVar(&cfg.Clients, "clients", 50, "concurrent clients")
	fs.DurationVar(&cfg.Duration, "duration", 2*time.Minute, "how long the clients run")
	fs.IntVar(&cfg.Keys, "keys", 40, "record keys per client")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed of the workload")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the work directory and the PostgreSQL schema")
	fs.BoolVar(&cfg.Quiet, "quiet", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	switch {
	case fs.NArg() > 0:
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	case cfg.Clients < 1 || cfg.Keys < 1 || cfg.Duration <= 0:
		return cfg, errors.New("--clients, --keys and --duration must be positive")
	case cfg.URL != "" && (cfg.Token == "" || cfg.Tenant == ""):
		return cfg, errors.New("--url needs --token and --tenant")
	case cfg.URL != "" && cfg.Database != "":
		return cfg, errors.New("--url and --database exclude each other")
	}
	return cfg, nil
}

// progress prints timestamped progress lines, or nothing when out is nil.
type progress struct {
	out   io.Writer
	start time.Time
}

func (p *progress) printf(format string, args ...any) {
	if p.out != nil {
		fmt.Fprintf(p.out, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
	}
}
