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
	// ChunkRows is how many rows of a file an import decides and writes at
	// a time (0: importer.ChunkRows).
	ChunkRows int
	Logger    *slog.Logger
	Finished  func(job *vintry.ImportJob)
	// BeforeApply is a test hook (see ImportWorker.BeforeApply).
	BeforeApply func(ctx context.Context, jobID int64)
	// RescueAfter is how long a job may run before River gives it to another
	// worker, taking its first worker for dead (0: DefaultRescueAfter). An
	// attempt is cancelled shortly before that (see ImportWorker.JobTimeout).
	RescueAfter time.Duration
	// Node names this process in job logs (default: host name and pid).
	Node string
	// Webhooks sets up webhook deliveries.
	Webhooks WebhookConfig
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

// addWebhookWorker registers the delivery worker on store.
func (c Config) addWebhookWorker(workers *river.Workers, store WebhookStore) {
	wc := c.Webhooks.withDefaults()
	river.AddWorker(workers, &WebhookWorker{Store: store, Config: wc, Client: newWebhookClient(wc)})
}

// webhookJobs returns the queue jobs of deliveries.
func (c Config) webhookJobs(ids []int64) []river.InsertManyParams {
	opts := c.Webhooks.withDefaults().insertOpts()
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: WebhookArgs{DeliveryID: id}, InsertOpts: opts}
	}
	return params
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
		rc.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: c.Workers},
			webhookQueue:       {MaxWorkers: c.Webhooks.withDefaults().Workers},
		}
	}
	return rc
}

// logger returns the configured logger or slog's default.
func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
