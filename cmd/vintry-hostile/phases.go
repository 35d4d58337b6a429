package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// phase is one attack.
type phase struct {
	name, what string
	// setup prepares the phase once, before it runs (nil: nothing to do).
	setup func(ctx context.Context, e *env) error
	// attack runs one attack and returns the answer's status (0: none,
	// the connection was held to the end).
	attack func(ctx context.Context, e *env) (int, error)
	// expect are the statuses an attack may get.
	expect []int
	// workers is how many attack at once (default: --parallel).
	workers func(cfg Config) int
	// holds marks an attack that lasts until the phase ends (its context
	// is the phase's); any other attack under way at the end finishes.
	holds bool
}

var phases = []phase{
	{name: "wide-header", what: "8 MB uploads whose header has 4 million empty columns",
		attack: func(ctx context.Context, e *env) (int, error) {
			ct, body := form([][2]string{{"arguments", argsJSON}}, "wide.csv", wideHeader)
			a, err := e.attacker.do(ctx, "POST", "/"+hostileTenant+"/api/v1/inventory/import/process", e.hostileToken, ct, body, 0)
			return a.status, err
		},
		expect: []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable}},
	{name: "wide-header-ui", what: "the same through the web UI's upload form",
		attack: func(ctx context.Context, e *env) (int, error) {
			ct, body := form(nil, "wide.csv", wideHeader)
			a, err := e.ui.do(ctx, "POST", "/"+hostileTenant+"/imports/upload", "", ct, body, 0)
			return a.status, err
		},
		expect: []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable}},
	{name: "mapping-page", what: "GETs of the mapping page of a 1000-column draft",
		setup: func(ctx context.Context, e *env) error {
			header := strings.TrimSuffix(strings.Repeat("column-with-a-long-name-xxxxxxxxxxxxxxxx,", 1000), ",")
			row := strings.TrimSuffix(strings.Repeat(strings.Repeat("v", 200)+",", 1000), ",")
			ct, body := form(nil, "columns.csv", csvWithHeader(header, row, row, row, row, row, row))
			a, err := e.ui.do(ctx, "POST", "/"+hostileTenant+"/imports/upload", "", ct, body, 0)
			if err != nil {
				return err
			}
			if a.status != http.StatusSeeOther {
				return fmt.Errorf("UI upload of a 1000-column file: %d", a.status)
			}
			e.mappingPage = a.header.Get("Location")
			return nil
		},
		attack: func(ctx context.Context, e *env) (int, error) {
			a, err := e.ui.do(ctx, "GET", e.mappingPage, "", "", nil, 0)
			return a.status, err
		},
		expect: []int{http.StatusOK, http.StatusServiceUnavailable}},
	{name: "slow-upload", what: "uploads that declare 10 MB, trickle 100 KB, then stall",
		attack: slowUpload, expect: []int{0, http.StatusRequestTimeout, http.StatusBadRequest},
		workers: func(cfg Config) int { return cfg.SlowConns }, holds: true},
	{name: "jobs-list", what: "jobs list pages (API, 1000 a page, and UI) over many jobs of 1000 row errors",
		setup: manyErrorJobs,
		attack: func(ctx context.Context, e *env) (int, error) {
			a, err := e.attacker.do(ctx, "GET", "/"+hostileTenant+"/api/v1/imports?per_page=1000", e.hostileToken, "", nil, 0)
			if err != nil || a.status != http.StatusOK {
				return a.status, err
			}
			a, err = e.ui.do(ctx, "GET", "/"+hostileTenant+"/settings/application-maintenance/job-management/imports", "", "", nil, 0)
			return a.status, err
		},
		expect: []int{http.StatusOK}},
	{name: "wrong-password", what: "sign-ins as the victim with a wrong password, from another client",
		attack: func(ctx context.Context, e *env) (int, error) {
			a, err := e.attacker.do(ctx, "POST", tokenPath(victimTenant, email(victimTenant), "not the password"), "", "", nil, 0)
			return a.status, err
		},
		expect: []int{http.StatusUnauthorized, http.StatusTooManyRequests}},
	{name: "big-upload", what: "10 MB uploads of 1000 valid rows (dry runs), checked and run as jobs",
		attack: func(ctx context.Context, e *env) (int, error) {
			ct, body := form([][2]string{{"arguments", dryRunArgs}}, "big.csv", bigFile)
			a, err := e.attacker.do(ctx, "POST", "/"+hostileTenant+"/api/v1/inventory/import/process", e.hostileToken, ct, body, 0)
			return a.status, err
		},
		expect: []int{http.StatusAccepted, http.StatusServiceUnavailable}},
}

const (
	argsJSON   = `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true}`
	dryRunArgs = `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true,"dry_run":true}`
)

var (
	// wideHeader is 8 MB: a header of 4 million empty columns.
	wideHeader = []byte("item_name" + strings.Repeat(",,", 2_000_000) + "\n1\n")
	// bigFile is just under 10 MB: 1000 rows with a 10 KB note each.
	bigFile = func() []byte {
		var b strings.Builder
		b.WriteString("item_name,bin_name,lot_name,date_filled,quantity,uom,note\n")
		note := strings.Repeat("n", 10_000)
		for i := 0; i < 1000; i++ {
			fmt.Fprintf(&b, "ITEM-%d,BIN,LOT,2024-01-01,%d,gal,%s\n", i, i+1, note)
		}
		return []byte(b.String())
	}()
)

// manyErrorJobs makes --error-jobs finished jobs of 1000 row errors each (names
// that do not exist, 400 bytes long).
func manyErrorJobs(ctx context.Context, e *env) error {
	var b strings.Builder
	b.WriteString(`{"source":"api","arguments":` + argsJSON + `,"payload":[`)
	long := strings.Repeat("x", 400)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"item_name":"NO-SUCH-%d-%s","bin_name":"NO-BIN","lot_name":"NO-LOT","date_filled":"2024-01-01","quantity":"1","uom":"gal"}`, i, long)
	}
	b.WriteString(`]}`)
	body := []byte(b.String())
	for i := 0; i < e.cfg.ErrorJobs; i++ {
		a, err := e.attacker.do(ctx, "POST", "/"+hostileTenant+"/api/v1/inventory/import/process", e.hostileToken, "application/json", body, 0)
		if err != nil {
			return err
		}
		if a.status != http.StatusOK && a.status != http.StatusUnprocessableEntity {
			return fmt.Errorf("import %d: %d", i, a.status)
		}
	}
	return nil
}

// slowUpload opens a connection, declares a 10 MB upload, sends 100 KB of
// it 10 KB at a time, then holds the connection until the phase ends. A
// server that sizes its buffer by the declared length holds 10 MB for it.
func slowUpload(ctx context.Context, e *env) (int, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: attackerIP}}
	conn, err := d.DialContext(ctx, "tcp", strings.TrimPrefix(e.attacker.base, "http://"))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	boundary := "hostileboundary"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
		"item_name,bin_name,lot_name,date_filled,quantity,uom\n"
	fmt.Fprintf(conn, "POST /%s/api/v1/inventory/import/process HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n%s",
		hostileTenant, e.hostileToken, boundary, 10_000_000, head)
	chunk := []byte(strings.Repeat("ITEM,BIN,LOT,2024-01-01,1,gal\n", 10_000/30))
	for i := 0; i < 10; i++ {
		if _, err := conn.Write(chunk); err != nil {
			return 0, nil // the server closed it: nothing held
		}
		select {
		case <-ctx.Done():
			return 0, nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Held until the phase ends, or until the server answers (a read
	// timeout, say).
	answered := make(chan int, 1)
	go func() {
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- -1
			return
		}
		res.Body.Close()
		answered <- res.StatusCode
	}()
	select {
	case <-ctx.Done():
		return 0, nil
	case s := <-answered:
		if s < 0 {
			return 0, nil
		}
		return s, nil
	}
}

func phaseByName(name string) *phase {
	for i := range phases {
		if phases[i].name == name {
			return &phases[i]
		}
	}
	return nil
}

func phaseNames() []string {
	var names []string
	for _, p := range phases {
		names = append(names, p.name)
	}
	return names
}
