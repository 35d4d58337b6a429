// Package http is Vintry's JSON API over net/http: one route table, auth
// middleware that puts a vintry.Principal in the request context, and small
// handlers that decode a request, call one service method and write the
// response.
package http

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/metrics"
)

// Config holds the server settings that shape API behaviour.
type Config struct {
	MaxRecords     int           // records per import request (JSON payload entries or CSV data rows)
	MaxUploadBytes int64         // request body and CSV file limit
	BaseURL        string        // scheme://host for job_status_link (serve: --base-url, else its listen address); "" gives paths
	TokenTTL       time.Duration // lifetime of new tokens; 0 = no expiry
	RateLimit      int           // requests a minute per token; 0 = unlimited
	LoginRateLimit int           // sign-ins a minute per client IP, and free failures per (email, client IP); 0 = unlimited
	// WebhooksAllowPrivate lets webhooks be registered for loopback, private
	// and link-local addresses.
	WebhooksAllowPrivate bool
	// Resolver looks up webhook host names at registration (nil: the
	// system's resolver); unused with WebhooksAllowPrivate.
	Resolver Resolver
	// CheckSlots bounds the upload checks, and apart from them the mapping
	// pages, that run at once (0: two per CPU); more wait up to 2 s, then
	// get 503 with Retry-After.
	CheckSlots int
	// RevertSyncLimit is the most rows a job may have for its revert to be
	// made within the request (0: 10 000; negative: never queued); a larger job's
	// revert is queued, answered 202 with its pending job.
	RevertSyncLimit int
	// TenantFileQuota bounds the bytes of job files and upload drafts a
	// tenant stores (0: no quota): an upload that would pass it is refused
	// with 507. Needs Server.Usage.
	TenantFileQuota int64
	// BodyMemory bounds the bytes all request bodies being read hold at
	// once (0: 256 MiB; at least four of the largest body).
	BodyMemory int64
}

// defaultBodyMemory is the body budget when Config.BodyMemory is 0.
const defaultBodyMemory = 256 << 20

// DefaultConfig is the configuration the seed documents.
var DefaultConfig = Config{MaxRecords: 1000, MaxUploadBytes: 10 << 20, RateLimit: 120, LoginRateLimit: 10}

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server serves the API. Every service field must be set.
type Server struct {
	Auth       vintry.AuthService
	MasterData vintry.MasterDataService
	Inventory  interface {
		vintry.InventoryService
		vintry.InventoryWriter
	}
	Imports vintry.ImportService
	Jobs    vintry.JobQueue
	Drafts  vintry.DraftService
	DB      Pinger
	Logger  *slog.Logger
	Config  Config
	// Metrics, when set, records requests and imports and is served at /metrics.
	Metrics *metrics.Metrics
	// Lifecycle reverts and cancels jobs.
	Lifecycle vintry.JobLifecycle
	// Webhooks registers webhooks and lists their deliveries.
	Webhooks vintry.WebhookService
	// Mappings keeps the tenants' saved mapping profiles.
	Mappings vintry.MappingProfileService
	// Usage measures what a tenant stores, for Config.TenantFileQuota.
	Usage vintry.StorageUsage

	tokenLimits *limiters // per API token
	loginLimits *limiters // sign-in attempts per client IP
	// loginFailures are failed sign-ins per (email, client IP).
	loginFailures *failureLimits
	checks        *gate // whole-file upload checks at once
	mappings      *gate // mapping pages prepared at once
	bodies        *bodyBudget
}

// Handler returns the HTTP handler of the whole API.
func (s *Server) Handler() http.Handler {
	s.tokenLimits = newLimiters(s.Config.RateLimit)
	s.loginLimits = newLimiters(s.Config.LoginRateLimit)
	s.loginFailures = newFailureLimits(s.Config.LoginRateLimit)
	s.checks = newGate(s.Config.CheckSlots, msgChecksBusy)
	s.mappings = newGate(s.Config.CheckSlots, msgMappingsBusy)
	s.bodies = newBodyBudget(cmp.Or(s.Config.BodyMemory, defaultBodyMemory), s.Config.MaxUploadBytes+formOverhead)
	return s.withRequestID(s.withRecover(s.withBodyLimit(s.withBodyBudget(s.withAccessLog(s.routes())))))
}

// routes is the route table: every endpoint of the API, in one place.
func (s *Server) routes() *routeMux {
	mux := newRouteMux()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc("GET /openapi.yaml", s.handleOpenAPI)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics.Handler())
	}

	mux.HandleFunc("POST /{tenant}/api/v1/tokens/create", s.handleTokenCreate)
	mux.Handle("POST /{tenant}/api/v1/tokens/revoke", s.member(s.handleTokenRevoke))

	mux.Handle("POST /{tenant}/api/v1/inventory/import/process", s.member(s.handleImportProcess))
	mux.Handle("GET /{tenant}/api/v1/inventory", s.member(s.handleInventoryList))
	mux.Handle("POST /{tenant}/api/v1/inventory/batch-delete", s.member(s.handleBatchDelete))
	mux.Handle("GET /{tenant}/api/v1/inventory/history", s.member(s.handleKeyHistory))
	mux.Handle("GET /{tenant}/api/v1/inventory/{id}/history", s.member(s.handleRecordHistory))
	mux.Handle("GET /{tenant}/api/v1/imports", s.member(s.handleImportJobList))
	mux.Handle("GET /{tenant}/api/v1/imports/status/{id}", s.member(s.handleImportJobStatus))
	mux.Handle("POST /{tenant}/api/v1/imports/{id}/revert", s.admin(s.handleImportJobRevert))
	mux.Handle("POST /{tenant}/api/v1/imports/{id}/cancel", s.member(s.handleImportJobCancel))
	mux.Handle("GET /{tenant}/api/v1/inventory/import/template", s.memberOrSession(s.handleImportTemplate))
	mux.Handle("GET /{tenant}/api/v1/imports/mappings", s.member(s.handleMappingProfileList))
	mux.Handle("POST /{tenant}/api/v1/imports/mappings", s.member(s.handleMappingProfileSave))
	mux.Handle("DELETE /{tenant}/api/v1/imports/mappings/{name}", s.member(s.handleMappingProfileDelete))
	mux.Handle("GET /{tenant}/download/{name}", s.memberOrSession(s.handleDownload))

	for _, k := range vintry.Kinds {
		mux.Handle("GET /{tenant}/api/v1/"+string(k), s.member(s.handleMasterList(k)))
		mux.Handle("POST /{tenant}/api/v1/"+string(k), s.admin(s.handleMasterUpsert(k)))
		mux.Handle("DELETE /{tenant}/api/v1/"+string(k)+"/{name}", s.admin(s.handleMasterDelete(k)))
	}
	mux.Handle("POST /{tenant}/api/v1/locations/import", s.admin(s.handleLocationFeedImport))

	mux.Handle("POST /{tenant}/api/v1/webhooks", s.admin(s.handleWebhookCreate))
	mux.Handle("GET /{tenant}/api/v1/webhooks", s.admin(s.handleWebhookList))
	mux.Handle("DELETE /{tenant}/api/v1/webhooks/{id}", s.admin(s.handleWebhookDelete))
	mux.Handle("GET /{tenant}/api/v1/webhooks/{id}/deliveries", s.admin(s.handleWebhookDeliveries))

	s.uiRoutes(mux)
	mux.HandleFunc("/", s.handleNoRoute(mux))
	return mux
}

// handleNoRoute answers requests no route matched — 404, or 405 when the path
// exists for other methods — with a JSON error instead of ServeMux's text.
func (s *Server) handleNoRoute(mux *routeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if slug, ok := tenantRoot(r); ok {
			// "/{tenant}/" opens the UI. It is not a route: as one, it would
			// make ServeMux redirect every "/anything" to "/anything/".
			r.SetPathValue("tenant", slug)
			s.page(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/"+slug+jobsPath, http.StatusSeeOther)
			}).ServeHTTP(w, r)
			return
		}
		code, msg := vintry.ENOTFOUND, "Not found."
		probe := r.Clone(r.Context())
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" && m != r.Method {
				w.Header().Add("Allow", m)
				code, msg = "method_not_allowed", "Method not allowed."
			}
		}
		if code == vintry.ENOTFOUND {
			writeError(w, r, vintry.Errorf(code, "%s", msg))
			return
		}
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Message: msg})
	}
}

// tenantRoot reports whether r is a GET of "/{slug}/".
func tenantRoot(r *http.Request) (string, bool) {
	slug, ok := strings.CutPrefix(r.URL.Path, "/")
	slug, ok2 := strings.CutSuffix(slug, "/")
	if r.Method != http.MethodGet || !ok || !ok2 || vintry.ValidateSlug(slug) != nil {
		return "", false
	}
	return slug, true
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		logger(r.Context()).Error("database not ready", "error", err)
		writeError(w, r, vintry.Errorf(vintry.EUNAVAILABLE, "The database is not reachable."))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
