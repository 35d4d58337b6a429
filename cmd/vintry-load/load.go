package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The kinds of request a client makes, as reported.
const (
	kindJSON    = "json import"
	kindReplay  = "json replay"
	kindCSV     = "csv upload"
	kindPoll    = "status poll"
	kindRead    = "inventory read"
	kindJobList = "job list read"
	kindDelete  = "batch delete"
)

var kinds = []string{kindJSON, kindReplay, kindCSV, kindPoll, kindRead, kindJobList, kindDelete}

// firstDay is the date_filled of key 0; every key of every client has its
// own day, so no two clients ever write the same record.
var firstDay = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// loadClient is one simulated client: it owns keys [first, first+n) and is
// the only writer of them, one request at a time, so its model of their
// quantities is exact.
type loadClient struct {
	id    int
	cfg   Config
	api   *client
	stats *stats
	rng   *rand.Rand
	seq   int
	model map[string]string // key → quantity, as the inventory must show it
	jobs  int               // import jobs this client caused (replays excluded)
	ids   []int64           // its job ids, for status polls
}

func newLoadClient(id int, cfg Config, api *client, st *stats) *loadClient {
	return &loadClient{id: id, cfg: cfg, api: api, stats: st, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(id))),
		model: map[string]string{}}
}

// record is one import record.
type record struct {
	Item     string `json:"item_name"`
	Bin      string `json:"bin_name"`
	Lot      string `json:"lot_name"`
	Date     string `json:"date_filled"`
	Quantity string `json:"quantity"`
	UOM      string `json:"uom"`
}

func (r record) key() string { return key(r.Item, r.Bin, r.Lot, r.Date) }

// recordAt is slot k of this client with a fresh random quantity in
// canonical form (as the API returns it).
func (c *loadClient) recordAt(k int) record {
	q := fmt.Sprint(1 + c.rng.IntN(100000))
	switch c.rng.IntN(3) {
	case 1:
		q += ".25"
	case 2:
		q += ".000001"
	}
	uom := uomName
	if c.rng.IntN(2) == 0 {
		uom = uomAbbr
	}
	day := firstDay.AddDate(0, 0, c.id*c.cfg.Keys+k).Format(time.DateOnly)
	return record{Item: itemName(k % numItems), Bin: binName(k % numBins), Lot: lotName(k % numLots), Date: day, Quantity: q, UOM: uom}
}

// pick returns n distinct random slots of this client.
func (c *loadClient) pick(n int) []int {
	return c.rng.Perm(c.cfg.Keys)[:min(n, c.cfg.Keys)]
}

// run makes requests until ctx is done. Each step is finished before the
// next begins, so the client's writes apply in its order.
func (c *loadClient) run(ctx context.Context) {
	for ctx.Err() == nil {
		switch n := c.rng.IntN(100); {
		case n < 35:
			c.jsonImport(ctx)
		case n < 50:
			c.csvImport(ctx)
		case n < 65:
			c.poll(ctx)
		case n < 80:
			c.read(ctx, kindRead, fmt.Sprintf("/api/v1/inventory?per_page=%d", 1+c.rng.IntN(200)))
		case n < 90:
			c.read(ctx, kindJobList, "/api/v1/imports?per_page=20")
		default:
			c.batchDelete(ctx)
		}
	}
}

// call sends a request and records it under kind. A transport error after
// ctx ended (the run's time is up) is not counted, and reported as ok=false.
func (c *loadClient) call(ctx context.Context, kind, method, path, contentType string, body []byte, header map[string]string) (answer, bool) {
	start := time.Now()
	// The run's end must not cut a request short: it would leave the model
	// unsure whether a write happened.
	a, err := c.api.do(context.WithoutCancel(ctx), method, path, contentType, body, header)
	c.stats.add(kind, time.Since(start), a.status, err)
	return a, err == nil
}

// unexpected records an answer the model did not predict.
func (c *loadClient) unexpected(kind, format string, args ...any) {
	c.stats.unexpected(kind, fmt.Sprintf("client %d: ", c.id)+fmt.Sprintf(format, args...))
}

type importJob struct {
	ID      int64  `json:"job_log_id"`
	Status  string `json:"status"`
	Summary struct {
		Total, Created, Updated, Unchanged, Failed int
	} `json:"summary"`
}

// jsonImport sets 1–5 of the client's keys; one time in ten it adds a row
// naming an unknown UOM (should_continue_on_error: that row fails, the rest
// apply); one time in four it sends the same request again with the same
// Idempotency-Key, which must replay the first answer and change nothing.
func (c *loadClient) jsonImport(ctx context.Context) {
	var payload []record
	for _, k := range c.pick(1 + c.rng.IntN(5)) {
		payload = append(payload, c.recordAt(k))
	}
	bad := c.rng.IntN(10) == 0
	valid := len(payload)
	if bad {
		r := c.recordAt(c.rng.IntN(c.cfg.Keys))
		r.UOM = "no-such-unit"
		payload = append(payload, r)
	}
	body, _ := json.Marshal(map[string]any{"source": "api", "payload": payload,
		"arguments": map[string]bool{"allow_record_creation": true, "allow_record_update": true, "should_continue_on_error": true}})
	c.seq++
	hdr := map[string]string{"Idempotency-Key": fmt.Sprintf("load-%d-%d-%d", c.cfg.Seed, c.id, c.seq)}
	a, ok := c.call(ctx, kindJSON, "POST", "/api/v1/inventory/import/process", "application/json", body, hdr)
	if !ok {
		return
	}
	var j importJob
	if err := a.content(http.StatusOK, &j); err != nil {
		c.unexpected(kindJSON, "%v", err)
		return
	}
	c.jobs++
	c.ids = append(c.ids, j.ID)
	s := j.Summary
	wantStatus := "completed"
	if bad {
		wantStatus = "completed_with_errors"
	}
	if j.Status != wantStatus || s.Total != len(payload) || s.Failed != len(payload)-valid || s.Created+s.Updated+s.Unchanged != valid {
		c.unexpected(kindJSON, "job %d: status %s, summary %+v for %d valid rows of %d", j.ID, j.Status, s, valid, len(payload))
	}
	for _, r := range payload[:valid] {
		c.model[r.key()] = r.Quantity
	}
	if c.rng.IntN(4) != 0 {
		return
	}
	a, ok = c.call(ctx, kindReplay, "POST", "/api/v1/inventory/import/process", "application/json", body, hdr)
	if !ok {
		return
	}
	var again importJob
	if err := a.content(http.StatusOK, &again); err != nil {
		c.unexpected(kindReplay, "%v", err)
		return
	}
	if again.ID != j.ID || a.header.Get("Idempotent-Replayed") != "true" {
		c.unexpected(kindReplay, "replay of job %d answered job %d, Idempotent-Replayed %q", j.ID, again.ID, a.header.Get("Idempotent-Replayed"))
	}
}

// csvImport uploads 1–20 of the client's keys and waits for the job.
func (c *loadClient) csvImport(ctx context.Context) {
	var b strings.Builder
	b.WriteString("item_name,bin_name,lot_name,date_filled,quantity,uom\n")
	var rows []record
	for _, k := range c.pick(1 + c.rng.IntN(20)) {
		r := c.recordAt(k)
		rows = append(rows, r)
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s\n", r.Item, r.Bin, r.Lot, r.Date, r.Quantity, r.UOM)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("arguments", `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false,"headers_match_exactly":true}`)
	f, _ := mw.CreateFormFile("file", "load.csv")
	f.Write([]byte(b.String()))
	mw.Close()
	a, ok := c.call(ctx, kindCSV, "POST", "/api/v1/inventory/import/process", mw.FormDataContentType(), form.Bytes(), nil)
	if !ok {
		return
	}
	var j importJob
	if err := a.content(http.StatusAccepted, &j); err != nil {
		c.unexpected(kindCSV, "%v", err)
		return
	}
	c.jobs++
	c.ids = append(c.ids, j.ID)
	// From here the job will run whatever happens: wait for it.
	deadline := time.Now().Add(5 * time.Minute)
	for !terminal(j.Status) {
		if time.Now().After(deadline) {
			c.unexpected(kindCSV, "job %d still %s after 5 minutes", j.ID, j.Status)
			return
		}
		time.Sleep(100 * time.Millisecond)
		a, ok := c.call(ctx, kindPoll, "GET", "/api/v1/imports/status/"+itoa(j.ID), "", nil, nil)
		if !ok {
			continue
		}
		if err := a.content(http.StatusOK, &j); err != nil {
			c.unexpected(kindPoll, "%v", err)
			return
		}
	}
	if j.Status != "completed" || j.Summary.Total != len(rows) || j.Summary.Failed != 0 {
		c.unexpected(kindCSV, "job %d: %s, summary %+v for %d rows", j.ID, j.Status, j.Summary, len(rows))
		return
	}
	for _, r := range rows {
		c.model[r.key()] = r.Quantity
	}
}

func terminal(status string) bool {
	return status == "completed" || status == "completed_with_errors" || status == "failed"
}

// poll reads the status of one of the client's finished jobs.
func (c *loadClient) poll(ctx context.Context) {
	if len(c.ids) == 0 {
		c.read(ctx, kindRead, "/api/v1/inventory?per_page=10")
		return
	}
	id := c.ids[c.rng.IntN(len(c.ids))]
	a, ok := c.call(ctx, kindPoll, "GET", "/api/v1/imports/status/"+itoa(id), "", nil, nil)
	if !ok {
		return
	}
	var j importJob
	if err := a.content(http.StatusOK, &j); err != nil {
		c.unexpected(kindPoll, "%v", err)
	} else if j.ID != id || !terminal(j.Status) {
		c.unexpected(kindPoll, "job %d: got job %d %s, want it finished", id, j.ID, j.Status)
	}
}

// read GETs a list page and expects 200.
func (c *loadClient) read(ctx context.Context, kind, path string) {
	a, ok := c.call(ctx, kind, "GET", path, "", nil, nil)
	if ok && a.status != http.StatusOK {
		c.unexpected(kind, "GET %s: status %d: %.200s", path, a.status, a.body)
	}
}

// batchDelete deletes one of the client's records by its full key (or a key
// it never wrote or already deleted, which must delete nothing).
func (c *loadClient) batchDelete(ctx context.Context) {
	r := c.recordAt(c.rng.IntN(c.cfg.Keys))
	_, exists := c.model[r.key()]
	body, _ := json.Marshal(map[string]any{"rows": []map[string]string{
		{"item": r.Item, "bin": r.Bin, "lot": r.Lot, "date_filled": r.Date}}})
	a, ok := c.call(ctx, kindDelete, "POST", "/api/v1/inventory/batch-delete", "application/json", body, nil)
	if !ok {
		return
	}
	var out struct {
		Deleted int `json:"deleted_count"`
	}
	if err := a.content(http.StatusOK, &out); err != nil {
		c.unexpected(kindDelete, "%v", err)
		return
	}
	want := 0
	if exists {
		want = 1
	}
	if out.Deleted != want {
		c.unexpected(kindDelete, "deleted %d records of key %s, want %d", out.Deleted, r.key(), want)
	}
	delete(c.model, r.key())
}

// stats collects every request's outcome, safe for concurrent use.
type stats struct {
	mu         sync.Mutex
	latency    map[string][]time.Duration
	status5xx  map[string]int
	transport  map[string]int
	unexpect   map[string]int
	firstError []string // the first few problems, for the report
}

func newStats() *stats {
	return &stats{latency: map[string][]time.Duration{}, status5xx: map[string]int{}, transport: map[string]int{}, unexpect: map[string]int{}}
}

func (s *stats) add(kind string, d time.Duration, status int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[kind] = append(s.latency[kind], d)
	switch {
	case err != nil:
		s.transport[kind]++
		s.note(fmt.Sprintf("%s: %v", kind, err))
	case status >= 500:
		s.status5xx[kind]++
		s.note(fmt.Sprintf("%s: status %d", kind, status))
	}
}

func (s *stats) unexpected(kind, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unexpect[kind]++
	s.note(kind + ": " + msg)
}

func (s *stats) note(msg string) {
	if len(s.firstError) < 10 {
		s.firstError = append(s.firstError, msg)
	}
}

// result is the final state compared with the model.
type result struct {
	Expected, Found    int // records
	Lost, Extra, Wrong int
	ListedTwice        int
	ExpectedJobs, Jobs int
	Examples           []string
}

// compare checks the inventory (key → quantity) against the model.
func compare(model, inv map[string]string) result {
	r := result{Expected: len(model), Found: len(inv)}
	for k, q := range model {
		got, ok := inv[k]
		switch {
		case !ok:
			r.Lost++
			r.example("lost %s (quantity %s)", k, q)
		case got != q:
			r.Wrong++
			r.example("%s has quantity %s, want %s", k, got, q)
		}
	}
	for k, q := range inv {
		if _, ok := model[k]; !ok {
			r.Extra++
			r.example("extra %s (quantity %s)", k, q)
		}
	}
	return r
}

func (r *result) example(format string, args ...any) {
	if len(r.Examples) < 10 {
		r.Examples = append(r.Examples, fmt.Sprintf(format, args...))
	}
}
