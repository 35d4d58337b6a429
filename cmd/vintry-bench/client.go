package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"time"
)

// client calls the API of the benchmark tenant with one token.
type client struct {
	base    string // http://127.0.0.1:PORT
	token   string
	http    *http.Client
	timeout time.Duration // bounds each request, answer included
}

// requestTimeout bounds a request of 1000 records: far above any sane
// answer time, so a hung server fails the run instead of stalling it.
const requestTimeout = 2 * time.Minute

func newClient(base, token string) *client {
	tr := &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     time.Minute,
	}
	return &client{base: base, token: token, http: &http.Client{Transport: tr}, timeout: requestTimeout}
}

// withTimeout returns a copy of c whose requests may take up to d.
func (c *client) withTimeout(d time.Duration) *client {
	cp := *c
	cp.timeout = d
	return &cp
}

// summary is an import's row counts.
type summary struct {
	Total     int `json:"total"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
}

// job is the part of an import answer or job status the benchmark checks.
type job struct {
	ID      int64   `json:"job_log_id"`
	Status  string  `json:"status"`
	Summary summary `json:"summary"`
	Errors  []struct {
		Row     int    `json:"row"`
		Message string `json:"message"`
	} `json:"errors"`
}

// terminal reports whether a job status is final.
func (j *job) terminal() bool {
	return j.Status == "completed" || j.Status == "completed_with_errors" || j.Status == "failed"
}

// problem describes what went wrong with an import, for error messages.
func (j *job) problem() string {
	msg := fmt.Sprintf("job %d %s, summary %+v", j.ID, j.Status, j.Summary)
	if len(j.Errors) > 0 {
		msg += fmt.Sprintf(", first error row %d: %s", j.Errors[0].Row, j.Errors[0].Message)
	}
	return msg
}

// do sends one request and reads the whole answer.
func (c *client) do(ctx context.Context, method, path, contentType string, body io.Reader, size int64) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// decodeContent decodes the "content" of an answer with the wanted status.
func decodeContent(code, want int, b []byte, into any) error {
	if code != want {
		return fmt.Errorf("status %d, want %d: %.300s", code, want, b)
	}
	var env struct {
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("answer is not JSON: %v: %.300s", err, b)
	}
	return json.Unmarshal(env.Content, into)
}

// importJSON posts a JSON import and returns its job as answered.
func (c *client) importJSON(ctx context.Context, body []byte) (*job, error) {
	code, b, err := c.do(ctx, http.MethodPost, "/"+tenantSlug+"/api/v1/inventory/import/process",
		"application/json", bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, err
	}
	j := &job{}
	if err := decodeContent(code, http.StatusOK, b, j); err != nil {
		return nil, fmt.Errorf("JSON import: %w", err)
	}
	return j, nil
}

// upsertMaster posts one master data batch.
func (c *client) upsertMaster(ctx context.Context, m masterBatch) error {
	body, err := json.Marshal(m.entries)
	if err != nil {
		return err
	}
	code, b, err := c.do(ctx, http.MethodPost, "/"+tenantSlug+"/api/v1/"+m.kind, "application/json",
		bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("upsert %s: status %d: %.300s", m.kind, code, b)
	}
	return nil
}

// uploadCSV uploads a CSV file of size bytes (streamed from file, never
// buffered whole) as an import with exact headers, and returns the queued
// job's id.
func (c *client) uploadCSV(ctx context.Context, file io.Reader, size int64) (int64, error) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	args, _ := json.Marshal(map[string]any{
		"allow_record_creation": importArgs["allow_record_creation"], "allow_record_update": importArgs["allow_record_update"],
		"should_continue_on_error": importArgs["should_continue_on_error"], "headers_match_exactly": true,
	})
	if err := mw.WriteField("arguments", string(args)); err != nil {
		return 0, err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="bench.csv"`)
	h.Set("Content-Type", "text/csv")
	if _, err := mw.CreatePart(h); err != nil {
		return 0, err
	}
	prefix := bytes.Clone(head.Bytes())
	head.Reset()
	if err := mw.Close(); err != nil { // writes the closing boundary into head
		return 0, err
	}
	body := io.MultiReader(bytes.NewReader(prefix), file, bytes.NewReader(head.Bytes()))
	code, b, err := c.do(ctx, http.MethodPost, "/"+tenantSlug+"/api/v1/inventory/import/process",
		mw.FormDataContentType(), body, int64(len(prefix))+size+int64(head.Len()))
	if err != nil {
		return 0, err
	}
	var j job
	if err := decodeContent(code, http.StatusAccepted, b, &j); err != nil {
		return 0, fmt.Errorf("CSV upload: %w", err)
	}
	return j.ID, nil
}

// jobStatus reads an import job's status.
func (c *client) jobStatus(ctx context.Context, id int64) (*job, error) {
	code, b, err := c.do(ctx, http.MethodGet, "/"+tenantSlug+"/api/v1/imports/status/"+strconv.FormatInt(id, 10), "", nil, 0)
	if err != nil {
		return nil, err
	}
	j := &job{}
	if err := decodeContent(code, http.StatusOK, b, j); err != nil {
		return nil, fmt.Errorf("job status: %w", err)
	}
	return j, nil
}

// awaitJob polls a job's status every interval until it is final, for at
// most limit. It also returns when the job was first seen processing (the
// zero time if never: it went from pending to final between two polls).
func (c *client) awaitJob(ctx context.Context, id int64, interval, limit time.Duration) (*job, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var processing time.Time
	for {
		j, err := c.jobStatus(ctx, id)
		if err != nil {
			return nil, processing, err
		}
		if j.Status == "processing" && processing.IsZero() {
			processing = time.Now()
		}
		if j.terminal() {
			return j, processing, nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, processing, fmt.Errorf("job %d still %s after %s", id, j.Status, limit)
		}
	}
}

// ready waits until /readyz answers 200 (a minute at most).
func (c *client) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		code, _, err := c.do(ctx, http.MethodGet, "/readyz", "", nil, 0)
		if err == nil && code == http.StatusOK {
			return nil
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("/readyz: status %d, %v", code, err)
		}
	}
}
