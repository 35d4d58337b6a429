package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	vhttp "github.com/vintry/vintry/http"
	"github.com/vintry/vintry/sqlite"
)

// ServeCmd runs the server.
type ServeCmd struct {
	DBFlags
	Addr           string        `default:"127.0.0.1:8080" help:"Address to listen on."`
	MaxRecords     int           `name:"max-records" default:"1000" help:"Records per import request."`
	MaxUploadBytes int64         `name:"max-upload-bytes" default:"10485760" help:"Largest request body or CSV file, in bytes."`
	BaseURL        string        `name:"base-url" help:"scheme://host used in job_status_link (default: from each request)."`
	TokenTTL       time.Duration `name:"token-ttl" help:"Lifetime of tokens created through the API; 0 never expires."`
	Demo           bool          `help:"Create the demo tenant with master data and a user (once), and print how to use it."`
}

// Run implements the command.
func (c *ServeCmd) Run(ctx context.Context) error {
	m := &Main{Serve: *c, Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil)), Out: os.Stdout}
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.Run(ctx)
}

// Main owns a running server: its configuration, database and listener.
// Tests start it on 127.0.0.1:0.
type Main struct {
	Serve  ServeCmd
	Logger *slog.Logger
	Out    io.Writer // where --demo prints its instructions

	DB       *sqlite.DB
	listener net.Listener
	server   *http.Server
}

// Open opens the database, seeds the demo if asked, and starts listening.
func (m *Main) Open(ctx context.Context) error {
	if m.Serve.MaxRecords < 1 || m.Serve.MaxUploadBytes < 1 {
		return errors.New("--max-records and --max-upload-bytes must be positive")
	}
	db, err := m.Serve.open(ctx)
	if err != nil {
		return err
	}
	m.DB = db
	if m.listener, err = net.Listen("tcp", m.Serve.Addr); err != nil {
		db.Close()
		return err
	}
	api := &vhttp.Server{
		Auth: db, MasterData: db, Inventory: db, Imports: db, DB: db, Logger: m.Logger,
		Config: vhttp.Config{MaxRecords: m.Serve.MaxRecords, MaxUploadBytes: m.Serve.MaxUploadBytes,
			BaseURL: m.Serve.BaseURL, TokenTTL: m.Serve.TokenTTL},
	}
	m.server = &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
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

// URL is the base URL the server listens on.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// Run serves until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish, and closes the database.
func (m *Main) Run(ctx context.Context) error {
	m.Logger.Info("listening", "addr", m.listener.Addr().String(), "database", m.DB.Path)
	errc := make(chan error, 1)
	go func() { errc <- m.server.Serve(m.listener) }()
	select {
	case err := <-errc:
		m.DB.Close()
		return err
	case <-ctx.Done():
	}
	m.Logger.Info("shutting down")
	return m.Close()
}

// Close shuts the server down, waiting up to 30 s for requests in flight.
func (m *Main) Close() error {
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if m.server != nil {
		err = m.server.Shutdown(shutdownCtx)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	} else if m.listener != nil {
		m.listener.Close()
	}
	return errors.Join(err, m.DB.Close())
}
