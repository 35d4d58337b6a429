package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
	"github.com/vintry/vintry/jobs"
	"github.com/vintry/vintry/metrics"
)

// ServeCmd runs the server.
type ServeCmd struct {
	DBFlags
	Addr            string        `default:"127.0.0.1:8080" help:"Address to listen on."`
	MaxRecords      int           `name:"max-records" default:"1000" help:"Records per import request."`
	MaxUploadBytes  int64         `name:"max-upload-bytes" default:"10485760" help:"Largest request body or CSV file, in bytes."`
	BaseURL         string        `name:"base-url" help:"Public scheme://host used in job_status_link and webhook payloads (default: http:// and the listen address)."`
	TokenTTL        time.Duration `name:"token-ttl" default:"2160h" help:"Lifetime of tokens created through the API (default 90 days); 0 never expires."`
	RateLimit       int           `name:"rate-limit" default:"120" help:"Requests a minute per API token; 0 turns the limit off."`
	LoginRateLimit  int           `name:"login-rate-limit" default:"10" help:"Sign-ins a minute per client IP, and free failed sign-ins per (email, client IP) before backoff; 0 turns the limits off."`
	Workers         int           `default:"2" help:"Import jobs run at once on this node."`
	RevertSyncLimit int           `name:"revert-sync-limit" default:"10000" help:"Most rows a job may have for a revert to be made within the request; a larger job's revert is queued (202). Negative: never queued."`
	TenantFileQuota int64         `name:"tenant-file-quota" default:"0" help:"Bytes of job files and upload drafts each tenant may store; an upload past it gets 507. 0: no quota."`
	BodyMemory      int64         `name:"body-memory" default:"268435456" help:"Bytes all request bodies being read may hold at once (at least four of the largest body); more wait 2 s, then get 503."`
	// JobFileRetention is how long a finished job's files are kept.
	JobFileRetention time.Duration `name:"job-file-retention" default:"2160h" help:"How long a finished job's files (upload and results) are kept (default 90 days); 0 keeps them forever. Jobs and history stay."`
	Demo             bool          `help:"Create the demo tenant with master data and a user (once), and print how to use it."`
	// WebhooksAllowPrivate lets webhooks reach loopback, private and link-local addresses.
	WebhooksAllowPrivate bool `name:"webhooks-allow-private" help:"Allow webhooks to loopback, private and link-local addresses (refused by default)."`
	// FaultApplyDelay holds each import's apply transaction open; crash tests use it.
	FaultApplyDelay time.Duration `name:"fault-apply-delay" hidden:""`
	// JobRescueAfter shortens how long a running job may go on before River
	// gives it to another worker (PostgreSQL); crash tests use it.
	JobRescueAfter time.Duration `name:"job-rescue-after" hidden:""`
	// ReadHeaderTimeout and ReadTimeout bound how long a client may take to
	// send its request headers and its whole request; tests shorten them.
	ReadHeaderTimeout time.Duration `name:"read-header-timeout" default:"10s" hidden:""`
	ReadTimeout       time.Duration `name:"read-timeout" default:"2m" hidden:""`
	// PprofAddr serves net/http/pprof on a loopback address (pprof.go); the benchmark uses it.
	PprofAddr string `name:"pprof-addr" hidden:""`
}

// Run implements the command.
func (c *ServeCmd) Run(ctx context.Context) error {
	m := &Main{Serve: *c, Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil)), Out: os.Stdout}
	defer servePprof(c.PprofAddr, m.Logger)()
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.Run(ctx)
}

// maxHeaderBytes bounds a request's header block (Go's default is 1 MB); a
// larger one is answered 431.
const maxHeaderBytes = 64 << 10

// Main owns a running server: its configuration, database and listener.
// Tests start it on 127.0.0.1:0.
type Main struct {
	Serve  ServeCmd
	Logger *slog.Logger
	Out    io.Writer // where --demo prints its instructions

	DB       Store
	listener net.Listener
	server   *http.Server
	queue    queue
	unlock   func()
	// stopJanitor stops the job file retention sweep (nil: none runs).
	stopJanitor func()
}

// Open opens the database, seeds the demo if asked, and starts listening.
func (m *Main) Open(ctx context.Context) error {
	if m.Serve.MaxRecords < 1 || m.Serve.MaxUploadBytes < 1 {
		return errors.New("--max-records and --max-upload-bytes must be positive")
	}
	if m.Serve.Workers < 0 {
		return errors.New("--workers must not be negative")
	}
	if m.Serve.Database == "" {
		// The embedded database serves one node: lock its directory.
		unlock, err := lockDataDir(m.Serve.DataDir)
		if err != nil {
			return err
		}
		m.unlock = unlock
	}
	db, err := m.Serve.open(ctx)
	if err != nil {
		if m.unlock != nil {
			m.unlock()
		}
		return err
	}
	m.DB = db
	stats := metrics.New(db, m.Logger)
	// Listen first: webhook deliveries link to this server's URL.
	if m.listener, err = net.Listen("tcp", m.Serve.Addr); err != nil {
		m.Close()
		return err
	}
	m.queue, err = startQueue(context.WithoutCancel(ctx), db, m.Serve.FaultApplyDelay, jobs.Config{
		Workers: m.Serve.Workers, MaxRecords: m.Serve.MaxRecords, Logger: m.Logger, Finished: stats.JobFinished,
		RescueAfter: m.Serve.JobRescueAfter, Webhooks: m.webhookConfig(),
	})
	if err != nil {
		m.Close()
		return fmt.Errorf("job queue: %w", err)
	}
	if m.Serve.JobFileRetention < 0 {
		m.Close()
		return errors.New("--job-file-retention must not be negative")
	}
	if m.Serve.JobFileRetention > 0 {
		m.stopJanitor = startJanitor(db, m.Serve.JobFileRetention, m.Logger)
	}
	api := &vhttp.Server{
		Auth: db, MasterData: db, Inventory: db, Imports: db, Jobs: db, Lifecycle: db, Drafts: db, Mappings: db, DB: db, Logger: m.Logger, Metrics: stats,
		Config: vhttp.Config{MaxRecords: m.Serve.MaxRecords, MaxUploadBytes: m.Serve.MaxUploadBytes,
			BaseURL: m.baseURL(), TokenTTL: m.Serve.TokenTTL, RateLimit: m.Serve.RateLimit, LoginRateLimit: m.Serve.LoginRateLimit,
			WebhooksAllowPrivate: m.Serve.WebhooksAllowPrivate, BodyMemory: m.Serve.BodyMemory, RevertSyncLimit: m.Serve.RevertSyncLimit, TenantFileQuota: m.Serve.TenantFileQuota},
		Webhooks: db, Usage: db,
	}
	m.server = &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: m.Serve.ReadHeaderTimeout,
		ReadTimeout:       m.Serve.ReadTimeout,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	if m.Serve.Demo {
		if err := seedDemo(ctx, db, m.Out, m.URL()); err != nil {
			m.Close()
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// webhookConfig is the delivery setup: deliveries carry a job as its status
// endpoint shows it, with links under --base-url (else this server's URL).
func (m *Main) webhookConfig() jobs.WebhookConfig {
	base := m.baseURL()
	return jobs.WebhookConfig{
		AllowPrivate: m.Serve.WebhooksAllowPrivate,
		Render: func(slug string, job *vintry.ImportJob) any {
			return vhttp.JobStatusContent(base, slug, job)
		},
	}
}

// baseURL is the public URL of links: --base-url, else this server's URL. It
// is fixed at start-up; a request's Host header never changes it.
func (m *Main) baseURL() string {
	return cmp.Or(strings.TrimSuffix(m.Serve.BaseURL, "/"), m.URL())
}

// URL is the base URL the server listens on.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// Run serves until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish, and closes the database.
func (m *Main) Run(ctx context.Context) error {
	m.Logger.Info("listening", "addr", m.listener.Addr().String(), "database", describe(m.DB))
	errc := make(chan error, 1)
	go func() { errc <- m.server.Serve(m.listener) }()
	select {
	case err := <-errc:
		return errors.Join(err, m.Close())
	case <-ctx.Done():
	}
	m.Logger.Info("shutting down")
	return m.Close()
}

// Close shuts down in order: stop accepting and finish requests in flight
// (30 s at most), then let running jobs finish (30 s at most; a job still
// running after that is cancelled, its transaction rolled back, and it is
// run again by the next start), then close the database.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := m.server.Shutdown(ctx)
		cancel()
		if !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	} else if m.listener != nil {
		m.listener.Close()
	}
	if m.stopJanitor != nil {
		m.stopJanitor()
	}
	if m.queue != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := m.queue.Stop(ctx); err != nil {
			m.Logger.Warn("jobs did not finish in time; cancelling them", "error", err)
			m.queue.StopAndCancel(context.Background())
		}
		cancel()
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	if m.unlock != nil {
		m.unlock()
	}
	return errors.Join(errs...)
}
