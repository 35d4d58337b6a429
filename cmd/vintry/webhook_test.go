package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vintry/vintry"
)

// TestServeWebhooks: serve wires --webhooks-allow-private into both the
// registration check and the deliveries, and a delivery's job links point
// at the server's own address when --base-url is not set.
func TestServeWebhooks(t *testing.T) {
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), body}
	}))
	defer rcv.Close()

	refused := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	c := newCrashClient(t, refused)
	c.call("POST", "/demo/api/v1/webhooks", "application/json", []byte(`{"url":"`+rcv.URL+`"}`), http.StatusUnprocessableEntity, nil)
	refused.stop(t)

	s := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--webhooks-allow-private")
	c = newCrashClient(t, s)
	var hook struct {
		Content struct {
			Secret string `json:"secret"`
		} `json:"content"`
	}
	c.call("POST", "/demo/api/v1/webhooks", "application/json", []byte(`{"url":"`+rcv.URL+`"}`), http.StatusCreated, &hook)
	body := `{"source":"api","arguments":{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true},
	"payload":[{"item_name":"ZAMNVCAS19","bin_name":"SS-01","lot_name":"RM19CASRUT.ZAM","date_filled":"2023-08-01","quantity":5,"uom":"gal"}]}`
	c.call("POST", "/demo/api/v1/inventory/import/process", "application/json", []byte(body), http.StatusOK, nil)

	select {
	case d := <-got:
		if err := vintry.VerifyWebhookSignature(hook.Content.Secret, d.header.Get("Vintry-Signature"), d.body, time.Now(), time.Minute); err != nil {
			t.Fatal(err)
		}
		var event struct {
			Event string `json:"event"`
			Data  struct {
				JobStatusLink string `json:"job_status_link"`
			} `json:"data"`
		}
		if err := json.Unmarshal(d.body, &event); err != nil {
			t.Fatal(err)
		}
		if event.Event != "import.completed" || !strings.HasPrefix(event.Data.JobStatusLink, s.url+"/demo/") {
			t.Errorf("delivery %s, want import.completed with links under %s", d.body, s.url)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery in 30s")
	}
	s.stop(t)
}
