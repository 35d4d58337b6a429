package serveproc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeVintry writes a shell script that stands in for the vintry binary:
// it writes script's lines to stderr, then idles until SIGTERM and exits 0.
func fakeVintry(t *testing.T, script string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vintry")
	body := "#!/bin/sh\ntrap 'exit 0' TERM\n" + script +
		"\nwhile :; do sleep 1 </dev/null >/dev/null 2>&1 & wait $!; done\n"
	if err := os.WriteFile(bin, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestStartStop(t *testing.T) {
	t.Parallel()
	bin := fakeVintry(t, `echo '{"level":"INFO","msg":"pprof listening","addr":"127.0.0.1:2"}' >&2
echo '{"level":"ERROR","msg":"boom"}' >&2
echo '{"level":"INFO","msg":"listening","addr":"127.0.0.1:1"}' >&2`)
	logPath := filepath.Join(t.TempDir(), "serve.log")
	s, err := Start(context.Background(), bin, logPath, "--pprof-addr", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != "http://127.0.0.1:1" || s.PprofURL != "http://127.0.0.1:2" {
		t.Errorf("URL %q, PprofURL %q", s.URL, s.PprofURL)
	}
	if s.PID() <= 0 {
		t.Errorf("PID %d", s.PID())
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if lines := ErrorLines(logPath); len(lines) != 1 || !strings.Contains(lines[0], "boom") {
		t.Errorf("ErrorLines = %q, want the one boom line", lines)
	}
}

func TestStartExitsEarly(t *testing.T) {
	t.Parallel()
	bin := fakeVintry(t, `echo 'config: no database' >&2; exit 3`)
	logPath := filepath.Join(t.TempDir(), "serve.log")
	_, err := Start(context.Background(), bin, logPath)
	if err == nil || !strings.Contains(err.Error(), "exited before listening") || !strings.Contains(err.Error(), "config: no database") {
		t.Fatalf("Start = %v, want an early exit with the log's tail", err)
	}
}
