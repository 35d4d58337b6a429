// Command vintry-hostile attacks a real `vintry serve` the way a member of
// one tenant could, to show that no input exhausts the server. It builds
// and starts the server on loopback (embedded SQLite, or PostgreSQL with
// --database), creates a hostile tenant and a victim tenant, and runs one
// phase per attack, each with --parallel concurrent attackers for --phase:
//
//   - wide-header:     8 MB CSV uploads whose header has 4 million empty columns
//   - wide-header-ui:  the same through the web UI's upload form
//   - mapping-page:    GETs of the mapping page of a 1000-column draft
//   - slow-upload:     --slow-conns uploads that declare 10 MB and trickle
//     100 KB, then stall
//   - jobs-list:       GETs of the jobs list (1000 a page) and the UI jobs
//     page, over --error-jobs (150) jobs of 1000 row errors each
//   - wrong-password:  sign-ins with the victim's email and a wrong password,
//     from another client address (127.0.0.2)
//   - big-upload:      10 MB uploads of 1000 valid rows (dry runs), each checked
//     and run as a job
//
// Meanwhile it samples the server's resident memory (VmRSS from /proc) and,
// as the victim, reads its inventory every 200 ms and signs in every 10 s
// from 127.0.0.1. A phase fails when the peak RSS passes --max-rss, when
// the victim gets anything but a 200 or waits longer than --victim-max,
// or when an attack gets an answer outside its expected statuses (a 500,
// say). It prints the figures and exits 1 on any failure. See
// docs/reliability.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Config is the command line.
type Config struct {
	Vintry    string        // vintry binary; "" builds ./cmd/vintry
	Database  string        // postgres:// URL; "" uses embedded SQLite
	Parallel  int           // attackers at once per phase
	Phase     time.Duration // how long each phase runs
	SlowConns int           // connections of the slow-upload phase
	ErrorJobs int           // jobs of 1000 row errors the jobs-list phase lists
	MaxRSS    int64         // bytes the server may reach
	VictimMax time.Duration // the longest a victim request may take
	Only      []string      // phases to run; nil runs all
	Quiet     bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "vintry-hostile:", err)
		os.Exit(2)
	}
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vintry-hostile:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, errOut io.Writer) (Config, error) {
	var cfg Config
	var only string
	var maxRSSMB int64
	fs := flag.NewFlagSet("vintry-hostile", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&cfg.Vintry, "vintry", "", "vintry binary to run (default: go build ./cmd/vintry into a temp dir)")
	fs.StringVar(&cfg.Database, "database", "", "PostgreSQL URL; the run gets a fresh schema in it. Default: embedded SQLite")
	fs.IntVar(&cfg.Parallel, "parallel", 50, "attackers at once in each phase")
	fs.DurationVar(&cfg.Phase, "phase", 20*time.Second, "how long each phase runs")
	fs.IntVar(&cfg.SlowConns, "slow-conns", 300, "connections of the slow-upload phase")
	fs.IntVar(&cfg.ErrorJobs, "error-jobs", 150, "jobs of 1000 row errors each that the jobs-list phase lists")
	fs.Int64Var(&maxRSSMB, "max-rss", 1024, "the most resident memory the server may reach, in MiB")
	fs.DurationVar(&cfg.VictimMax, "victim-max", 5*time.Second, "the longest a victim's request may take")
	fs.StringVar(&only, "only", "", "comma-separated phases to run (default: all)")
	fs.BoolVar(&cfg.Quiet, "quiet", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.Parallel < 1 || cfg.Phase <= 0 || cfg.SlowConns < 1 || cfg.ErrorJobs < 1 || maxRSSMB < 1 {
		return cfg, errors.New("--parallel, --phase, --slow-conns, --error-jobs and --max-rss must be positive")
	}
	cfg.MaxRSS = maxRSSMB << 20
	if only != "" {
		for _, name := range strings.Split(only, ",") {
			if phaseByName(strings.TrimSpace(name)) == nil {
				return cfg, fmt.Errorf("unknown phase %q (phases: %s)", name, strings.Join(phaseNames(), ", "))
			}
			cfg.Only = append(cfg.Only, strings.TrimSpace(name))
		}
	}
	return cfg, nil
}
