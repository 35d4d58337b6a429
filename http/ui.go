package http

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/vintry/vintry"
)

//go:embed ui
var uiFiles embed.FS

// sessionCookie names the UI session cookie; its path is the tenant's.
const sessionCookie = "vintry_session"

// sessionTTL is how long a UI session lasts.
const sessionTTL = 12 * time.Hour

// jobsPath is where the UI lists a tenant's import jobs; a job's log page
// (the job_status_link) is jobsPath/logs/{id}.
const jobsPath = "/settings/application-maintenance/job-management/imports"

// pages are the parsed templates, one set per page (each with the layout).
var pages = parsePages()

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{"quantity": vintry.FormatQuantity, "time": formatTime, "add": func(a, b int) int { return a + b }}
	out := map[string]*template.Template{}
	names, err := fs.Glob(uiFiles, "ui/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		out[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(uiFiles, "ui/layout.html", n))
	}
	return out
}

// uiRoutes adds the web UI to mux. Forms that change something are guarded
// against cross-site requests by http.CrossOriginProtection.
func (s *Server) uiRoutes(mux *routeMux) {
	csrf := http.NewCrossOriginProtection()
	static, _ := fs.Sub(uiFiles, "ui/static")
	mux.Handle("GET /static/ui/", http.StripPrefix("/static/ui/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{tenant}/login", s.handleLoginPage)
	mux.Handle("POST /{tenant}/login", csrf.Handler(http.HandlerFunc(s.handleLogin)))
	mux.Handle("POST /{tenant}/logout", csrf.Handler(http.HandlerFunc(s.handleLogout)))
	mux.Handle("GET /{tenant}"+jobsPath, s.page(s.handleJobsPage))
	mux.Handle("GET /{tenant}"+jobsPath+"/logs/{id}", s.page(s.handleJobPage))
	mux.Handle("GET /{tenant}"+jobsPath+"/logs/{id}/revert", s.page(s.handleRevertPage))
	mux.Handle("POST /{tenant}"+jobsPath+"/logs/{id}/revert", csrf.Handler(s.page(s.handleRevertForm)))
	mux.Handle("POST /{tenant}"+jobsPath+"/logs/{id}/cancel", csrf.Handler(s.page(s.handleCancelForm)))
	mux.Handle("GET /{tenant}/inventory", s.page(s.handleInventoryPage))
	mux.Handle("GET /{tenant}/imports/upload", s.page(s.handleUploadPage))
	mux.Handle("POST /{tenant}/imports/upload", csrf.Handler(s.page(s.handleUploadFile)))
	mux.Handle("GET /{tenant}/imports/upload/{draft}", s.page(s.handleMappingPage))
	mux.Handle("POST /{tenant}/imports/upload/{draft}", csrf.Handler(s.page(s.handleQueueDraft)))
}

// page authenticates a UI request by its session cookie; without a valid
// session it redirects to the tenant's sign-in page, which comes back here.
func (s *Server) page(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.sessionPrincipal(r)
		if err != nil {
			login := "/" + url.PathEscape(r.PathValue("tenant")) + "/login?next=" + url.QueryEscape(r.URL.RequestURI())
			http.Redirect(w, r, login, http.StatusSeeOther)
			return
		}
		s.serveAs(w, r, p, h)
	})
}

func (s *Server) sessionPrincipal(r *http.Request) (vintry.Principal, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return vintry.Principal{}, vintry.Errorf(vintry.EUNAUTHORIZED, vintry.MsgUnauthenticated)
	}
	return s.Auth.AuthenticateSession(r.Context(), r.PathValue("tenant"), c.Value)
}

// view is what every page template gets.
type view struct {
	Tenant   string
	Title    string
	SignedIn bool
	Error    string
	Data     any
}

// render writes a page with data; a template failure is an internal error.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	renderView(w, r, status, name, view{Tenant: r.PathValue("tenant"), Title: title, Data: data})
}

func renderView(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	if p, ok := vintry.PrincipalFromContext(r.Context()); ok {
		v.SignedIn = p.TenantID != 0
	}
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows an application error as a page with its status.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(w, r, err) {
		return
	}
	status, ok := statusOf[vintry.ErrorCode(err)]
	msg := vintry.ErrorMessage(err)
	if !ok || status == http.StatusInternalServerError {
		logger(r.Context()).Error("internal error", "error", err.Error())
		status, msg = http.StatusInternalServerError, "Something went wrong. Request id: "+requestID(r.Context())
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterBusy)
	}
	s.render(w, r, status, "error.html", http.StatusText(status), msg)
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login.html", "Sign in", loginView{Next: safeNext(r, r.URL.Query().Get("next"))})
}

type loginView struct {
	Next, Email string
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	lv := loginView{Next: safeNext(r, r.PostFormValue("next")), Email: email}
	var session string
	tried, err := s.signIn(w, r, email, func() (err error) {
		session, err = s.Auth.CreateSession(r.Context(), r.PathValue("tenant"), email, password, sessionTTL)
		return err
	})
	if !tried {
		return
	}
	if err != nil {
		s.renderLogin(w, r, lv, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: session, Path: "/" + r.PathValue("tenant"), MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r),
	})
	http.Redirect(w, r, lv.Next, http.StatusSeeOther)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, lv loginView, err error) {
	if vintry.ErrorCode(err) != vintry.EUNAUTHORIZED {
		s.renderError(w, r, err)
		return
	}
	v := view{Tenant: r.PathValue("tenant"), Title: "Sign in", Error: vintry.MsgInvalidCredentials, Data: lv}
	renderView(w, r, http.StatusUnauthorized, "login.html", v)
}

// secure reports whether the session cookie must be Secure: behind TLS, or
// when the configured base URL is https.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.Config.BaseURL, "https://")
}

// safeNext keeps a post-login redirect on this tenant's own pages, so the
// sign-in form cannot send anyone elsewhere.
func safeNext(r *http.Request, next string) string {
	home := "/" + r.PathValue("tenant") + jobsPath
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || strings.HasPrefix(next, "//") ||
		!strings.HasPrefix(u.Path, "/"+r.PathValue("tenant")+"/") || strings.Contains(next, "\\") {
		return home
	}
	// Browsers resolve dot segments, plain or percent-encoded (u.Path has
	// them decoded), so "/t/../other/" would climb out of the tenant.
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return home
		}
	}
	return u.RequestURI()
}

// handleLogout ends the session, if there is one, and shows the sign-in
// page. It needs no session: signing out twice is no error.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if p, err := s.sessionPrincipal(r); err == nil {
		if err := s.Auth.RevokeToken(vintry.NewContextWithPrincipal(r.Context(), p)); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/" + r.PathValue("tenant"), MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	http.Redirect(w, r, "/"+r.PathValue("tenant")+"/login", http.StatusSeeOther)
}
