package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"
	"github.com/vintry/vintry"
)

// Config sets up a node's job queue.
type Config struct {
	Workers    int // concurrent import jobs on this node; 0 inserts jobs but runs none
	MaxRecords int
	Logger     *slog.Logger
	Finished   func(job *vintry.ImportJob)
	// BeforeApply is a test hook (see ImportWorker.BeforeApply).
	BeforeApply func(ctx context.Context, jobID int64)
	// RescueAfter is how long a job may run before River gives it to another
	// worker, taking its first worker for dead (0: DefaultRescueAfter). An
	// attempt is cancelled shortly before that (see ImportWorker.JobTimeout).
	RescueAfter time.Duration
	// Node names this process in job logs (default: host name and pid).
	Node string
}

// node returns the configured node name or host/pid.
func (c Config) node() string {
	if c.Node != "" {
		return c.Node
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// rescueAfter returns the configured rescue delay or the default.
func (c Config) rescueAfter() time.Duration {
	if c.RescueAfter > 0 {
		return c.RescueAfter
	}
	return DefaultRescueAfter
}

// riverConfig returns the River client configuration of a node, for either
// engine.
func (c Config) riverConfig(workers *river.Workers) *river.Config {
	rc := &river.Config{
		Logger:               c.Logger,
		Workers:              workers,
		FetchCooldown:        5 * time.Millisecond,  // short jobs: pick up new work at once
		FetchPollInterval:    50 * time.Millisecond, // InsertTx does not wake the fetcher: poll often
		JobTimeout:           jobTimeout(c.rescueAfter()),
		RescueStuckJobsAfter: c.rescueAfter(),
		MaxAttempts:          10,
	}
	if c.Workers > 0 {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: c.Workers}}
	}
	return rc
}
