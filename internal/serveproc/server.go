package serveproc

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
	"strings"
	"syscall"
	"time"
)

// startTimeout bounds how long a server may take to log that it listens.
const startTimeout = 2 * time.Minute

// Server is a running `vintry serve`. Its log lines go to a file, so a long
// run keeps no log in memory.
type Server struct {
	URL      string // http://127.0.0.1:PORT
	PprofURL string // http://127.0.0.1:PORT of --pprof-addr, "" without it

	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error         // the exit status, once done is closed
}

// logLine is the part of a JSON log line Start reads.
type logLine struct {
	Msg  string `json:"msg"`
	Addr string `json:"addr"`
}

// Start starts `bin serve` with args, appending its log to logPath, and
// waits (two minutes at most) for the "listening" line (and "pprof
// listening" when args ask for --pprof-addr). On failure the process is
// killed.
func Start(ctx context.Context, bin, logPath string, args ...string) (*Server, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	s := &Server{logPath: logPath, done: make(chan struct{})}
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

func (s *Server) awaitListening(ctx context.Context, found <-chan logLine, wantPprof bool) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for s.URL == "" || (wantPprof && s.PprofURL == "") {
		select {
		case l := <-found:
			switch l.Msg {
			case "listening":
				s.URL = "http://" + l.Addr
			case "pprof listening":
				s.PprofURL = "http://" + l.Addr
			}
		case <-s.done:
			return fmt.Errorf("vintry serve exited before listening (%v); its log is %s:\n%s", s.waitErr, s.logPath, tail(s.logPath, 20))
		case <-ctx.Done():
			return fmt.Errorf("vintry serve did not log that it listens (pprof too: %v) within %s; log: %s", wantPprof, startTimeout, s.logPath)
		}
	}
	return nil
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop sends SIGTERM and waits for a clean exit (a minute at most, then it
// kills the process). An exit status other than 0 is an error.
func (s *Server) Stop() error {
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
func (s *Server) kill() {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Kill()
		<-s.done
	}
}
