// Command vintry-bench measures Vintry's import paths end to end against the
// physical limit of its database. It starts a real `vintry serve` on
// loopback (embedded SQLite by default, PostgreSQL with --database), seeds a
// tenant through the admin CLI and the API, and measures in one run:
//
//	physical  the same rows upserted straight through the driver, one transaction
//	json      JSON imports of 1000 new records and of 1000 updates (median, p99)
//	csv       a 1000-row CSV job from upload until its status is completed
//	sustain   concurrent clients posting 1000-record JSON imports for a while
//	large     one large CSV file with the limits raised: rows/s, server peak RSS
//	revert    the revert of that large import, on a restarted server: time, peak RSS
//
// It prints one table (each figure, its ratio to the physical limit, its
// target) and writes it as JSON with --json for comparison between runs.
// See docs/performance.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// phases are the measurements, in the order they run.
var phases = []string{"physical", "json", "csv", "sustain", "large", "revert"}

// Config is the command line.
type Config struct {
	Vintry    string        // vintry binary; "" builds ./cmd/vintry
	Database  string        // postgres:// URL; "" uses embedded SQLite
	Runs      int           // measured runs per latency figure
	Warmup    int           // unmeasured runs before them
	Sustain   time.Duration // length of the sustained-throughput phase
	Clients   int           // concurrent clients in it
	LargeRows int           // rows of the large CSV file
	Only      []string      // phases to run
	JSONOut   string        // where to write the JSON report; "" = nowhere
	Poll      time.Duration // job status poll interval for the 1000-row CSV job
	Profile   string        // directory for pprof profiles; "" = none
	ProfSecs  int           // CPU profile length per phase
	Keep      bool          // keep the work directory (and PostgreSQL schemas)
	Quiet     bool          // no progress lines on stderr
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "vintry-bench:", err)
		os.Exit(2)
	}
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vintry-bench:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line into a Config.
func parseFlags(args []string, errOut io.Writer) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("vintry-bench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&cfg.Vintry, "vintry", "", "vintry binary to run (default: go build ./cmd/vintry into a temp dir)")
	fs.StringVar(&cfg.Database, "database", "", "PostgreSQL URL (postgres://...); each run gets fresh schemas in it. Default: embedded SQLite")
	fs.IntVar(&cfg.Runs, "runs", 30, "measured runs per latency figure")
	fs.IntVar(&cfg.Warmup, "warmup", 3, "unmeasured runs before them")
	fs.DurationVar(&cfg.Sustain, "sustain", 30*time.Second, "length of the sustained-throughput phase")
	fs.IntVar(&cfg.Clients, "clients", 4, "concurrent clients in the sustained phase")
	fs.IntVar(&cfg.LargeRows, "large-rows", 1_000_000, "rows of the large CSV file")
	only := fs.String("only", strings.Join(phases, ","), "comma-separated phases to run: "+strings.Join(phases, ","))
	fs.StringVar(&cfg.JSONOut, "json", "", "write the report as JSON to this file")
	fs.DurationVar(&cfg.Poll, "poll", 2*time.Millisecond, "job status poll interval of the 1000-row CSV job")
	fs.StringVar(&cfg.Profile, "profile", "", "collect pprof CPU and allocation profiles of the server per phase into this directory (needs serve --pprof-addr)")
	fs.IntVar(&cfg.ProfSecs, "profile-seconds", 20, "CPU profile length per phase, in seconds")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the work directory (data, logs, large file) and PostgreSQL schemas")
	fs.BoolVar(&cfg.Quiet, "quiet", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, p := range strings.Split(*only, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !slices.Contains(phases, p) {
			return cfg, fmt.Errorf("--only: unknown phase %q (want some of %s)", p, strings.Join(phases, ","))
		}
		cfg.Only = append(cfg.Only, p)
	}
	switch {
	case cfg.Runs < 1 || cfg.Warmup < 0 || cfg.Clients < 1 || cfg.LargeRows < 1:
		return cfg, errors.New("--runs, --clients and --large-rows must be positive, --warmup not negative")
	case cfg.Sustain <= 0 || cfg.Poll <= 0 || cfg.ProfSecs < 1:
		return cfg, errors.New("--sustain, --poll and --profile-seconds must be positive")
	case cfg.Database != "" && !strings.HasPrefix(cfg.Database, "postgres://") && !strings.HasPrefix(cfg.Database, "postgresql://"):
		return cfg, errors.New("--database must be a postgres:// URL")
	}
	return cfg, nil
}

// selected reports whether phase p runs.
func (c Config) selected(p string) bool { return slices.Contains(c.Only, p) }

// engine names the database engine under test.
func (c Config) engine() string {
	if c.Database != "" {
		return "postgres"
	}
	return "sqlite"
}

// progress prints a progress line on stderr unless --quiet.
type progress struct {
	out   io.Writer
	start time.Time
}

func (p *progress) printf(format string, args ...any) {
	if p.out != nil {
		fmt.Fprintf(p.out, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
	}
}
