package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

// crashClient talks to a running server as the demo user.
type crashClient struct {
	t     *testing.T
	url   string
	token string
	slug  string // tenant; "" is the demo
}

func newCrashClient(t *testing.T, s *server) *crashClient {
	t.Helper()
	email, password := s.demoSignIn(t)
	c := &crashClient{t: t, url: s.url}
	var tok struct {
		Token string `json:"token"`
	}
	c.call("POST", "/demo/api/v1/tokens/create?email="+email+"&password="+password, "", nil, http.StatusOK, &tok)
	c.token = tok.Token
	return c
}

func (c *crashClient) call(method, path, contentType string, body []byte, want int, out any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// upload queues a CSV import and returns its job id.
func (c *crashClient) upload(name, csv string) int64 {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("arguments", `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false,"headers_match_exactly":true}`)
	f, _ := w.CreateFormFile("file", name)
	f.Write([]byte(csv))
	w.Close()
	var out struct {
		Content struct {
			JobLogID int64 `json:"job_log_id"`
		} `json:"content"`
	}
	c.call("POST", "/"+c.tenant()+"/api/v1/inventory/import/process", w.FormDataContentType(), buf.Bytes(), http.StatusAccepted, &out)
	return out.Content.JobLogID
}

type crashJob struct {
	Status   string `json:"status"`
	Progress struct {
		CurrentStep *string `json:"current_step"`
	} `json:"progress"`
	Summary map[string]int      `json:"summary"`
	Log     []string            `json:"log"`
	Files   map[string][]string `json:"files"`
}

func (c *crashClient) job(id int64) crashJob {
	c.t.Helper()
	var out struct {
		Content crashJob `json:"content"`
	}
	c.call("GET", fmt.Sprintf("/%s/api/v1/imports/status/%d", c.tenant(), id), "", nil, http.StatusOK, &out)
	return out.Content
}

// waitJob polls a job until cond holds, failing after a deadline long
// enough for River's rescuer, which runs on the leader every 30 s.
func (c *crashClient) waitJob(id int64, what string, cond func(crashJob) bool) crashJob {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		j := c.job(id)
		if cond(j) {
			return j
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("job %d never became %s; last: %+v", id, what, j)
		case <-tick.C:
		}
	}
}

func terminal(j crashJob) bool {
	return j.Status == "completed" || j.Status == "completed_with_errors" || j.Status == "failed"
}

// quantities returns the inventory as key → quantity.
func (c *crashClient) quantities() map[string]string {
	c.t.Helper()
	out := map[string]string{}
	index := ""
	for {
		path := "/" + c.tenant() + "/api/v1/inventory?per_page=500"
		if index != "" {
			path += "&current_index=" + index
		}
		var raw struct {
			Data      []map[string]any `json:"data"`
			NextIndex *string          `json:"next_index"`
		}
		c.call("GET", path, "", nil, http.StatusOK, &raw)
		for _, r := range raw.Data {
			key := fmt.Sprint(r["item_name"], "|", r["bin_name"], "|", r["lot_name"], "|", r["date_filled"])
			if _, dup := out[key]; dup {
				c.t.Fatalf("record %s listed twice", key)
			}
			out[key] = fmt.Sprint(r["quantity"])
		}
		if raw.NextIndex == nil {
			return out
		}
		index = *raw.NextIndex
	}
}

// crashFiles returns n CSV files over the demo's master data. Every file
// writes 300 keys, half of them shared with the other files with a
// file-specific quantity, so the end state depends on applying each file
// exactly once, in order. want is that end state.
func crashFiles(n int) (files []string, want map[string]string) {
	want = map[string]string{}
	for f := 0; f < n; f++ {
		var b strings.Builder
		b.WriteString("item_name,bin_name,lot_name,date_filled,quantity,uom\n")
		for i := 0; i < 300; i++ {
			day := i
			if i >= 150 {
				day = 1000*(f+1) + i // keys of this file only
			}
			date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day).Format(time.DateOnly)
			qty := fmt.Sprintf("%d.%d", 100*(f+1)+i, f%9+1) // no trailing zero: stored as sent
			fmt.Fprintf(&b, "ZAMNVCAS19,SS-01,RM19CASRUT.ZAM,%s,%s,gal\n", date, qty)
			want["ZAMNVCAS19|SS-01|RM19CASRUT.ZAM|"+date] = qty
		}
		files = append(files, b.String())
	}
	return files, want
}

// queueWithoutWorkers queues files on a server that runs no jobs, then
// stops it: the next server finds them all waiting. (With one SQLite writer,
// uploads made while a job holds a long apply transaction would queue behind
// it, so the tests queue first.)
func queueWithoutWorkers(t *testing.T, dir string, files []string) (ids []int64, token string) {
	t.Helper()
	s := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--data-dir", dir, "--workers", "0")
	c := newCrashClient(t, s)
	for i, f := range files {
		ids = append(ids, c.upload(fmt.Sprintf("file-%d.csv", i), f))
	}
	for _, id := range ids {
		if j := c.job(id); j.Status != "pending" {
			t.Fatalf("job %d with no workers: %s, want pending", id, j.Status)
		}
	}
	s.stop(t)
	return ids, c.token
}

// checkInventory compares the inventory with want, record by record.
func (c *crashClient) checkInventory(want map[string]string) {
	c.t.Helper()
	got := c.quantities()
	if len(got) != len(want) {
		c.t.Errorf("inventory has %d records, want %d", len(got), len(want))
	}
	for k, q := range want {
		if got[k] != q {
			c.t.Errorf("%s = %q, want %q", k, got[k], q)
		}
	}
}

// TestKillDuringApply kills the server with SIGKILL while a job holds its
// apply transaction, restarts it, and checks that every job finishes and the
// inventory is exactly what applying each file once, in order, gives.
func TestKillDuringApply(t *testing.T) {
	dir := t.TempDir()
	files, want := crashFiles(3)
	ids, token := queueWithoutWorkers(t, dir, files)

	s := startServe(t, "--addr", "127.0.0.1:0", "--data-dir", dir, "--workers", "2", "--fault-apply-delay", "10m")
	c := &crashClient{t: t, url: s.url, token: token}
	c.waitJob(ids[0], "in apply changes", func(j crashJob) bool {
		return j.Progress.CurrentStep != nil && *j.Progress.CurrentStep == "apply changes"
	})
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done

	s2 := startServe(t, "--addr", "127.0.0.1:0", "--data-dir", dir, "--workers", "2")
	c2 := &crashClient{t: t, url: s2.url, token: token}
	for _, id := range ids {
		j := c2.waitJob(id, "finished", terminal)
		if j.Status != "completed" || j.Summary["failed"] != 0 || j.Summary["total"] != 300 {
			t.Errorf("job %d after restart: %+v", id, j)
		}
	}
	c2.checkInventory(want)
	s2.stop(t)
}

// TestSIGTERMFinishesRunningJob sends SIGTERM while a job is applying: the
// server lets it finish before it exits, and the job still queued runs after
// the restart. The apply is held for 500 ms: River gives its leadership
// resignation 1 s at shutdown, and on SQLite that waits for the one write
// connection (see docs/reliability.md).
func TestSIGTERMFinishesRunningJob(t *testing.T) {
	dir := t.TempDir()
	files, want := crashFiles(2)
	ids, token := queueWithoutWorkers(t, dir, files)

	s := startServe(t, "--addr", "127.0.0.1:0", "--data-dir", dir, "--workers", "1", "--fault-apply-delay", "500ms")
	c := &crashClient{t: t, url: s.url, token: token}
	c.waitJob(ids[0], "in apply changes", func(j crashJob) bool {
		return j.Progress.CurrentStep != nil && *j.Progress.CurrentStep == "apply changes"
	})
	s.stop(t)

	s2 := startServe(t, "--addr", "127.0.0.1:0", "--data-dir", dir)
	c2 := &crashClient{t: t, url: s2.url, token: token}
	if j := c2.job(ids[0]); j.Status != "completed" {
		t.Errorf("job applying at SIGTERM: %s, want completed before exit", j.Status)
	}
	if j := c2.waitJob(ids[1], "finished", terminal); j.Status != "completed" {
		t.Errorf("queued job after restart: %+v", j)
	}
	c2.checkInventory(want)
	s2.stop(t)
}
