package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startTimeout bounds how long a server may take to log that it listens.
const startTimeout = 2 * time.Minute

// buildVintry builds the vintry command into dir and returns its path. The
// package path works from anywhere inside the module.
func buildVintry(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "vintry")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/vintry/vintry/cmd/vintry")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/vintry: %v\n%s", err, out.String())
	}
	return bin, nil
}

// childEnv is the environment of every vintry process: ours, without a
// database URL that would override the flags the benchmark passes.
func childEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VINTRY_DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	return out
}

// vintryCLI runs one admin command to completion and returns its stdout.
func vintryCLI(ctx context.Context, bin, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = childEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("vintry %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// server is a running `vintry serve`. Its log lines go to a file, so a long
// run keeps no log in memory.
type server struct {
	cmd      *exec.Cmd
	url      string // http://127.0.0.1:PORT
	pprofURL string // http://127.0.0.1:PORT of --pprof-addr, "" without it
	logPath  string
	done     chan struct{} // closed when the process has exited
	waitErr  error         // the exit status, once done is closed
}

// logLine is the part of a JSON log line the benchmark reads.
type logLine struct {
	Msg  string `json:"msg"`
	Addr string `json:"addr"`
}

// startServer starts `vintry serve` with args, appending its log to logPath,
// and waits for the "listening" line (and "pprof listening" when args ask
// for --pprof-addr).
func startServer(ctx context.Context, bin, logPath string, args ...string) (*server, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	s := &server{logPath: logPath, done: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	s.cmd.Env = childEnv()
	s.cmd.Stdout = io.Discard
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	wantPprof := false
	for _, a := range args {
		wantPprof = wantPprof || strings.HasPrefix(a, "--pprof-addr")
	}
	found := make(chan logLine, 4)
	copied := make(chan struct{})
	go copyLog(stderr, logFile, found, copied)
	go func() {
		<-copied // Wait closes the pipe: read it to the end first
		s.waitErr = s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	if err := s.awaitListening(ctx, found, wantPprof); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// copyLog copies the server's stderr into the log file line by line and
// reports the lines that announce an address.
func copyLog(r io.Reader, w io.Writer, found chan<- logLine, copied chan<- struct{}) {
	defer close(copied)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		w.Write(append(line, '\n')) // a lost log line does not change a figure
		var l logLine
		if bytes.Contains(line, []byte(`listening"`)) && json.Unmarshal(line, &l) == nil && l.Addr != "" {
			select {
			case found <- l:
			default:
			}
		}
	}
}

func (s *server) awaitListening(ctx context.Context, found <-chan logLine, wantPprof bool) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for s.url == "" || (wantPprof && s.pprofURL == "") {
		select {
		case l := <-found:
			switch l.Msg {
			case "listening":
				s.url = "http://" + l.Addr
			case "pprof listening":
				s.pprofURL = "http://" + l.Addr
			}
		case <-s.done:
			return fmt.Errorf("vintry serve exited before listening (%v); its log is %s:\n%s", s.waitErr, s.logPath, tail(s.logPath, 20))
		case <-ctx.Done():
			return fmt.Errorf("vintry serve did not log that it listens (pprof too: %v) within %s; log: %s", wantPprof, startTimeout, s.logPath)
		}
	}
	return nil
}

// pid is the server's process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM and waits for a clean exit (a minute at most, then it
// kills the process).
func (s *server) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.kill()
		return errors.New("vintry serve did not exit within a minute of SIGTERM; killed it")
	}
	if s.waitErr != nil {
		return fmt.Errorf("vintry serve exited with %v; log: %s", s.waitErr, s.logPath)
	}
	return nil
}

// kill ends the process at once and waits for it (used on failures only).
func (s *server) kill() {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Kill()
		<-s.done
	}
}

// procStatusKB returns a field of /proc/PID/status in kB (VmRSS, VmHWM).
func procStatusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

// procCPU returns the CPU time (user + system) the process has used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after it do not.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
