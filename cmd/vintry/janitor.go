package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/vintry/vintry"
)

// janitorInterval is how often the job file retention sweep runs (it also
// runs at start-up).
const janitorInterval = time.Hour

// startJanitor deletes, at start-up and every janitorInterval, the files
// of jobs that finished more than retention ago. Every node may run it: on
// PostgreSQL the nodes skip each other's batches. The returned func stops
// it and waits for a sweep under way to end (its current batch rolls back).
func startJanitor(db vintry.JobFileJanitor, retention time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(janitorInterval)
		defer t.Stop()
		for {
			n, err := db.DeleteExpiredJobFiles(ctx, time.Now().Add(-retention))
			if err != nil && ctx.Err() == nil {
				log.Warn("job file retention", "error", err)
			}
			if n > 0 {
				log.Info("deleted the files of jobs past their retention", "jobs", n, "retention", retention.String())
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
