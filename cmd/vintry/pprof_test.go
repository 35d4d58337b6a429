package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestListenLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		ln, err := listenLoopback(addr)
		if err != nil {
			if addr == "[::1]:0" && strings.Contains(err.Error(), "assign") {
				continue // no IPv6 on this machine
			}
			t.Errorf("listenLoopback(%q): %v", addr, err)
			continue
		}
		ln.Close()
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "example.com:6060", "127.0.0.1"} {
		if ln, err := listenLoopback(addr); err == nil {
			ln.Close()
			t.Errorf("listenLoopback(%q) listened, want it refused", addr)
		}
	}
}

// TestServePprof checks that the profiles are served on the logged address
// and that an empty address serves nothing.
func TestServePprof(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	servePprof("", logger)()
	if logs.Len() != 0 {
		t.Errorf("servePprof(\"\") logged %q, want nothing", logs.String())
	}
	stop := servePprof("127.0.0.1:0", logger)
	defer stop()
	var line struct {
		Msg  string `json:"msg"`
		Addr string `json:"addr"`
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line.Msg != "pprof listening" || line.Addr == "" {
		t.Fatalf("log %q, want one \"pprof listening\" line with the address", logs.String())
	}
	resp, err := http.Get("http://" + line.Addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("heap profile: status %d, want 200", resp.StatusCode)
	}
}
