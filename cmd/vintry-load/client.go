package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// client calls the API of one tenant with one token.
type client struct {
	base, token, tenant string
	http                *http.Client
}

// requestTimeout bounds every request: a hung server fails the run.
const requestTimeout = time.Minute

func newClient(base, token, tenant string, conns int) *client {
	tr := &http.Transport{Proxy: nil, MaxIdleConns: conns + 4, MaxIdleConnsPerHost: conns + 4, IdleConnTimeout: time.Minute}
	return &client{base: base, token: token, tenant: tenant, http: &http.Client{Transport: tr, Timeout: requestTimeout}}
}

// answer is a finished exchange.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request to a tenant path ("/api/v1/...") and reads the answer.
func (c *client) do(ctx context.Context, method, path, contentType string, body []byte, header map[string]string) (answer, error) {
	url := c.base + "/" + c.tenant + path
	if strings.HasPrefix(path, "/readyz") {
		url = c.base + path
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: b}, err
}

// content decodes the "content" of an answer that has the wanted status.
func (a answer) content(want int, into any) error {
	if a.status != want {
		return fmt.Errorf("status %d, want %d: %.300s", a.status, want, a.body)
	}
	var env struct {
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(a.body, &env); err != nil {
		return fmt.Errorf("answer is not JSON: %v: %.300s", err, a.body)
	}
	if into == nil {
		return nil
	}
	return json.Unmarshal(env.Content, into)
}

// ready waits until /readyz answers 200 (a minute at most).
func (c *client) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		a, err := c.do(ctx, "GET", "/readyz", "", nil, nil)
		if err == nil && a.status == http.StatusOK {
			return nil
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("/readyz: status %d, %v", a.status, err)
		}
	}
}

// The master data every client's records refer to.
const (
	numItems = 10
	numBins  = 5
	numLots  = 2
	location = "LOAD-CELLAR"
	area     = "LOAD-AREA"
	uomName  = "load-gallon"
	uomAbbr  = "lgal"
)

func itemName(n int) string { return fmt.Sprintf("LOAD-ITEM-%d", n) }
func binName(n int) string  { return fmt.Sprintf("LOAD-BIN-%d", n) }
func lotName(n int) string  { return fmt.Sprintf("LOAD-LOT-%d", n) }

// seedMaster upserts the master data.
func seedMaster(ctx context.Context, c *client) error {
	var items, bins, lots []map[string]string
	for n := range numItems {
		items = append(items, map[string]string{"name": itemName(n)})
	}
	for n := range numBins {
		bins = append(bins, map[string]string{"name": binName(n), "parent_name": area})
	}
	for n := range numLots {
		lots = append(lots, map[string]string{"name": lotName(n)})
	}
	for _, step := range []struct {
		kind    string
		entries []map[string]string
	}{
		{"locations", []map[string]string{{"name": location}}},
		{"location-areas", []map[string]string{{"name": area, "parent_name": location}}},
		{"bins", bins}, {"items", items}, {"lots", lots},
		{"uoms", []map[string]string{{"name": uomName, "abbreviation": uomAbbr}}},
	} {
		body, _ := json.Marshal(step.entries)
		a, err := c.do(ctx, "POST", "/api/v1/"+step.kind, "application/json", body, nil)
		if err != nil {
			return err
		}
		if a.status != http.StatusOK {
			return fmt.Errorf("upsert %s: status %d: %.300s", step.kind, a.status, a.body)
		}
	}
	return nil
}

// inventory reads the whole inventory, page by page, as key → quantity of
// the records of LOAD- items; listedTwice counts keys seen more than once.
func (c *client) inventory(ctx context.Context) (inv map[string]string, listedTwice int, err error) {
	inv = map[string]string{}
	index := ""
	for {
		path := "/api/v1/inventory?per_page=1000"
		if index != "" {
			path += "&current_index=" + index
		}
		a, err := c.do(ctx, "GET", path, "", nil, nil)
		if err != nil {
			return nil, 0, err
		}
		var page struct {
			Data []struct {
				Item     string `json:"item_name"`
				Bin      string `json:"bin_name"`
				Lot      string `json:"lot_name"`
				Date     string `json:"date_filled"`
				Quantity string `json:"quantity"`
			} `json:"data"`
			NextIndex *string `json:"next_index"`
		}
		if a.status != http.StatusOK {
			return nil, 0, fmt.Errorf("GET %s: status %d: %.300s", path, a.status, a.body)
		}
		if err := json.Unmarshal(a.body, &page); err != nil {
			return nil, 0, err
		}
		for _, r := range page.Data {
			if !strings.HasPrefix(r.Item, "LOAD-") {
				continue
			}
			k := key(r.Item, r.Bin, r.Lot, r.Date)
			if _, ok := inv[k]; ok {
				listedTwice++
			}
			inv[k] = r.Quantity
		}
		if page.NextIndex == nil {
			return inv, listedTwice, nil
		}
		index = *page.NextIndex
	}
}

// jobCount is the number of the tenant's import jobs.
func (c *client) jobCount(ctx context.Context) (int, error) {
	a, err := c.do(ctx, "GET", "/api/v1/imports?per_page=1", "", nil, nil)
	if err != nil {
		return 0, err
	}
	var page struct {
		Total *int `json:"total"`
	}
	if a.status != http.StatusOK {
		return 0, fmt.Errorf("status %d: %.300s", a.status, a.body)
	}
	if err := json.Unmarshal(a.body, &page); err != nil || page.Total == nil {
		return 0, fmt.Errorf("job list without total: %v: %.300s", err, a.body)
	}
	return *page.Total, nil
}

func key(item, bin, lot, date string) string { return item + "|" + bin + "|" + lot + "|" + date }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
