package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestMetricsAfterImport scrapes /metrics after a JSON import and checks the
// counters moved, and that no label names the tenant.
func TestMetricsAfterImport(t *testing.T) {
	s := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	c := newCrashClient(t, s)
	body := `{"source":"api","arguments":{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true},
	"payload":[{"item_name":"ZAMNVCAS19","bin_name":"SS-01","lot_name":"RM19CASRUT.ZAM","date_filled":"2023-08-01","quantity":5,"uom":"gal"},
	           {"item_name":"ZAMNVCAS20","bin_name":"SS-02","lot_name":"RM20CASRUT.ZAM","date_filled":"2023-08-01","quantity":"7.5","uom":"Gallon"},
	           {"item_name":"NOPE","bin_name":"SS-02","lot_name":"RM20CASRUT.ZAM","date_filled":"2023-08-01","quantity":1,"uom":"gal"}]}`
	c.call("POST", "/demo/api/v1/inventory/import/process", "application/json", []byte(body), http.StatusOK, nil)

	res, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	text := string(data)
	for _, want := range []string{
		`vintry_http_requests_total{route="POST /{tenant}/api/v1/inventory/import/process",status="2xx"} 1`,
		`vintry_http_requests_total{route="POST /{tenant}/api/v1/tokens/create",status="2xx"} 1`,
		`vintry_import_rows_total{result="created"} 2`,
		`vintry_import_rows_total{result="failed"} 1`,
		`vintry_import_jobs_finished_total{source="api",status="completed_with_errors"} 1`,
		`vintry_import_jobs{status="completed_with_errors"} 1`,
		`vintry_import_queue_depth 0`,
		`vintry_http_request_duration_seconds_count{route="POST /{tenant}/api/v1/inventory/import/process"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// No label carries a tenant slug, a token or an email.
	labels := regexp.MustCompile(`\{[^}]*\}`).FindAllString(text, -1)
	for _, l := range labels {
		if strings.Contains(l, "demo") || strings.Contains(l, "|") || strings.Contains(l, "@") {
			t.Errorf("label leaks a client value: %s", l)
		}
	}
	s.stop(t)
}
