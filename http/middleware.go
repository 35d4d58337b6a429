package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/vintry/vintry"
)

type loggerKey struct{}

// logger returns the request's logger (with its request id), or the default.
func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives every request an id (the client's X-Request-Id when it
// is sane), echoes it in the response and puts a logger carrying it in ctx.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = context.WithValue(ctx, loggerKey{}, s.Logger.With("request_id", id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withAccessLog logs one line per request.
func (s *Server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		d := time.Since(start)
		s.Metrics.ObserveRequest(r.Pattern, sw.status, d)
		logger(r.Context()).Info("request", "method", r.Method, "path", r.URL.Path, "route", r.Pattern,
			"status", sw.status, "duration_ms", float64(d.Microseconds())/1000)
	})
}

// withRecover turns a panic into a logged 500, so no input crashes the server.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger(r.Context()).Error("panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// member authenticates the bearer token for the tenant in the path and puts
// the principal in the request context.
func (s *Server) member(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			token = ""
		}
		p, err := s.Auth.Authenticate(r.Context(), r.PathValue("tenant"), strings.TrimSpace(token))
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.serveAs(w, r, p, h)
	})
}

// serveAs serves an authenticated request: it takes one request from the
// token's (or session's) rate limit, then calls h with the principal in the
// context and a logger naming the tenant and user.
func (s *Server) serveAs(w http.ResponseWriter, r *http.Request, p vintry.Principal, h http.HandlerFunc) {
	if !checkLimits(w, r, s.tokenLimits, "token:"+strconv.FormatInt(p.TokenID, 10)) {
		return
	}
	ctx := vintry.NewContextWithPrincipal(r.Context(), p)
	ctx = context.WithValue(ctx, loggerKey{}, logger(ctx).With("tenant", p.TenantSlug, "user_id", p.UserID))
	h(w, r.WithContext(ctx))
}

// admin is member plus the admin role.
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	return s.member(func(w http.ResponseWriter, r *http.Request) {
		if p, _ := vintry.PrincipalFromContext(r.Context()); !p.IsAdmin() {
			writeError(w, r, vintry.Errorf(vintry.EFORBIDDEN, vintry.MsgUnauthorized))
			return
		}
		h(w, r)
	})
}

// memberOrSession authenticates by bearer token when the request has an
// Authorization header, else by UI session cookie (file links on pages).
func (s *Server) memberOrSession(h http.HandlerFunc) http.Handler {
	bearer := s.member(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			bearer.ServeHTTP(w, r)
			return
		}
		p, err := s.sessionPrincipal(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.serveAs(w, r, p, h)
	})
}
