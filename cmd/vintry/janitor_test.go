package main

import (
	"context"
	"net/http"
	"testing"
)

// TestServeJobFileRetention: a server started with a short
// --job-file-retention deletes, at start-up, the files of jobs that
// finished before it; their status lists no files and says when.
func TestServeJobFileRetention(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files, _ := crashFiles(1)
	s := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--data-dir", dir)
	c := newCrashClient(t, s)
	id := c.upload("stock.csv", files[0])
	done := c.waitJob(id, "finished", terminal)
	if len(done.Files["input"]) != 1 {
		t.Fatalf("job files: %v", done.Files)
	}
	s.stop(t)

	s = startServe(t, "--addr", "127.0.0.1:0", "--data-dir", dir, "--job-file-retention", "1ms")
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	if _, err := s.stderr.wait(ctx, func(l string) bool { return logMessage(l) == "deleted the files of jobs past their retention" }); err != nil {
		t.Fatalf("no retention log line: %v\n%s", err, s.stderr.String())
	}
	c = &crashClient{t: t, url: s.url, token: c.token}
	if j := c.job(id); len(j.Files["input"]) != 0 || len(j.Files["output"]) != 0 {
		t.Errorf("files after retention: %v", j.Files)
	}
	c.call("GET", done.Files["input"][0], "", nil, http.StatusNotFound, nil)
	s.stop(t)
}
