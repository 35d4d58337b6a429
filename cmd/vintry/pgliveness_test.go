package main

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// recoveryBound is how soon after a restart (or a node's death, with
// another node running) the job a killed node was running must finish: the
// run-lock sweep finds it within seconds, never River's rescue timeout.
const recoveryBound = 15 * time.Second

// waitJobWithin waits for a job to finish and fails if that took longer
// than bound from since; it returns the job and how long it took.
func (c *crashClient) waitJobWithin(id int64, since time.Time, bound time.Duration) (crashJob, time.Duration) {
	c.t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), since.Add(bound))
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		j := c.job(id)
		if terminal(j) {
			return j, time.Since(since)
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("job %d not finished %v after the restart (a stalled job waits for River's rescuer); last: %+v", id, bound, j)
		case <-tick.C:
		}
	}
}

// runningJob waits until one of ids is in "apply changes" and returns it.
func (c *crashClient) runningJob(ids []int64) int64 {
	c.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		for _, id := range ids {
			j := c.job(id)
			if j.Status == "processing" && j.Progress.CurrentStep != nil && *j.Progress.CurrentStep == "apply changes" {
				return id
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("no job reached apply changes")
	return 0
}

// TestPostgresKilledTwice queues 12 CSV jobs and kills the only node with
// SIGKILL twice while it applies one, restarting it each time. The job it
// was running finishes within recoveryBound of the restart (the default
// River rescue would take 31 minutes), and every job completes exactly
// once, in order: the inventory is what applying each file once gives.
func TestPostgresKilledTwice(t *testing.T) {
	t.Parallel()
	url := pgURL(t)
	files, want := crashFiles(12)
	q := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--database", url, "--workers", "0")
	c := newCrashClient(t, q)
	var ids []int64
	for i, f := range files {
		ids = append(ids, c.upload(fmt.Sprintf("file-%d.csv", i), f))
	}
	q.stop(t)

	flags := []string{"--addr", "127.0.0.1:0", "--database", url, "--workers", "2", "--fault-apply-delay", "700ms", "--rate-limit", "0"}
	s := startServe(t, flags...)
	for kill := 1; kill <= 2; kill++ {
		cs := &crashClient{t: t, url: s.url, token: c.token}
		// The second kill hits a later job than the first.
		held := cs.runningJob(ids[(kill-1)*4:])
		if err := s.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-s.done
		s = startServe(t, flags...)
		restarted := time.Now()
		cs = &crashClient{t: t, url: s.url, token: c.token}
		j, took := cs.waitJobWithin(held, restarted, recoveryBound)
		t.Logf("kill %d: job %d, interrupted in apply changes, finished %v after the restart", kill, held, took.Round(10*time.Millisecond))
		if j.Status != "completed" {
			t.Fatalf("job %d after kill %d: %+v", held, kill, j)
		}
	}
	cs := &crashClient{t: t, url: s.url, token: c.token}
	for i, id := range ids {
		j := cs.waitJob(id, "finished", terminal)
		created, updated := 150, 150
		if i == 0 {
			created, updated = 300, 0
		}
		if j.Status != "completed" || j.Summary["created"] != created || j.Summary["updated"] != updated {
			t.Errorf("job %d: %s %v, want completed with %d created, %d updated (applied once)", id, j.Status, j.Summary, created, updated)
		}
	}
	cs.checkInventory(want)
	s.stop(t)
}
