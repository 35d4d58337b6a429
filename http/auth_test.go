package http_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
)

// endpoint is one API route called with a body that would succeed for an
// admin of the tenant, so only authentication and authorization can stop it.
type endpoint struct {
	method, path string
	body         string
	contentType  string
	adminOnly    bool
}

// endpoints lists every authenticated API route of tenant slug.
func endpoints(slug string) []endpoint {
	p := "/" + slug + "/api/v1/"
	list := []endpoint{
		{method: "POST", path: p + "inventory/import/process", contentType: "application/json",
			body: `{"source":"api","arguments":{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false},
				"payload":[{"item_name":"124","bin_name":"SS-01","lot_name":"FG-GEN-LOT","date_filled":"2024-01-01","quantity":1,"uom":"gal"}]}`},
		{method: "POST", path: p + "inventory/import/process", contentType: "multipart/form-data; boundary=b",
			body: "--b\r\nContent-Disposition: form-data; name=\"arguments\"\r\n\r\n" + validArgs +
				"\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n\r\n" +
				"item_name,bin_name,lot_name,date_filled,quantity,uom\n124,SS-01,FG-GEN-LOT,2024-01-02,1,gal\n\r\n--b--\r\n"},
		{method: "GET", path: p + "inventory"},
		{method: "POST", path: p + "inventory/batch-delete", contentType: "application/json", body: `{"items":["NO-SUCH-ITEM"]}`},
		{method: "GET", path: p + "inventory/1/history"},
		{method: "GET", path: p + "inventory/history?item=124&bin=SS-01&lot=FG-GEN-LOT&date_filled=2024-01-01"},
		{method: "GET", path: p + "imports"},
		{method: "GET", path: p + "imports/status/1"},
		{method: "GET", path: "/" + slug + "/download/import-1_untouched.csv"},
		{method: "POST", path: p + "locations/import", contentType: "text/csv", adminOnly: true,
			body: "entity_type,name,parent_name\nlocation,NEW-LOC,\n"},
	}
	for _, k := range []string{"locations", "location-areas", "bins", "items", "lots", "uoms"} {
		list = append(list,
			endpoint{method: "GET", path: p + k},
			endpoint{method: "POST", path: p + k, contentType: "application/json", adminOnly: true, body: newEntryBody(k)},
			endpoint{method: "DELETE", path: p + k + "/UNUSED-" + k, adminOnly: true})
	}
	// Revoke last: for the caller's own tenant it would end the token.
	return append(list, endpoint{method: "POST", path: p + "tokens/revoke"})
}

// newEntryBody is an upsert body that creates one entry of kind k.
func newEntryBody(k string) string {
	switch k {
	case "location-areas":
		return `[{"name":"NEW-AREA","parent_name":"ZAM-WINERY"}]`
	case "bins":
		return `[{"name":"NEW-BIN","parent_name":"North"}]`
	case "uoms":
		return `[{"name":"NEW-UOM","abbreviation":"nu"}]`
	}
	return `[{"name":"NEW-ENTRY"}]`
}

func (e *env) call(ep endpoint, token string, headers ...string) *response {
	e.t.Helper()
	var body any
	if ep.body != "" {
		body = ep.body
		headers = append(headers, "Content-Type: "+ep.contentType)
	}
	return e.do(ep.method, ep.path, token, body, headers...)
}

var tokenPattern = regexp.MustCompile(`^[0-9]+\|[A-Za-z0-9]{40}$`)

func TestTokenCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newTenant("acme", false)
	email, form := "member@acme.test", url.Values{"email": {"member@acme.test"}, "password": {testPassword}}.Encode()
	tests := []struct {
		name    string
		query   string
		body    any
		headers []string
	}{
		{"query parameters", "?" + form, nil, nil},
		{"form body", "", form, []string{"Content-Type: application/x-www-form-urlencoded"}},
		{"form body with charset", "", form, []string{"Content-Type: application/x-www-form-urlencoded; charset=utf-8"}},
		{"JSON body", "", map[string]string{"email": email, "password": testPassword}, nil},
		{"X-Requested-With ignored", "?" + form, nil, []string{"X-Requested-With: XMLHttpRequest"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.forT(t)
			res := e.do("POST", "/acme/api/v1/tokens/create"+tt.query, "", tt.body, tt.headers...)
			if res.Status != http.StatusOK {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			var got struct{ Token string }
			res.Decode(t, &got)
			if len(res.JSON(t)) != 1 || !tokenPattern.MatchString(got.Token) || seen[got.Token] {
				t.Fatalf("token %q is not a new <id>|<40 chars> token", got.Token)
			}
			seen[got.Token] = true
			if res := e.do("GET", "/acme/api/v1/inventory", got.Token, nil); res.Status != http.StatusOK {
				t.Fatalf("new token rejected: %d %s", res.Status, res.Body)
			}
		})
	}
}

func TestTokenCreateInvalidCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newTenant("acme", false)
	e.newTenant("other", false)
	tests := []struct{ name, slug, email, password string }{
		{"wrong password", "acme", "admin@acme.test", "wrong password!"},
		{"password case differs", "acme", "admin@acme.test", strings.ToUpper(testPassword)},
		{"unknown email", "acme", "nobody@acme.test", testPassword},
		{"email case differs", "acme", "ADMIN@acme.test", testPassword},
		{"unknown tenant", "nope", "admin@acme.test", testPassword},
		{"user of another tenant", "acme", "admin@other.test", testPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"email": {tt.email}, "password": {tt.password}}.Encode()
			res := e.forT(t).do("POST", "/"+tt.slug+"/api/v1/tokens/create?"+q, "", nil)
			wantExactBody(t, res, http.StatusUnauthorized, map[string]any{"message": "Invalid credentials."})
		})
	}
}

func TestTokenCreateMissingFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newTenant("acme", false)
	tests := []struct {
		name    string
		query   string
		body    any
		headers []string
		fields  []string
	}{
		{"nothing", "", nil, nil, []string{"email", "password"}},
		{"no password", "?email=admin@acme.test", nil, nil, []string{"password"}},
		{"no email", "?password=x", nil, nil, []string{"email"}},
		{"empty values", "?email=&password=", nil, nil, []string{"email", "password"}},
		{"JSON without password", "", `{"email":"admin@acme.test"}`, nil, []string{"password"}},
		{"JSON email not a string", "", `{"email":42,"password":"x"}`, nil, []string{"email"}},
		{"form without email", "", "password=x", []string{"Content-Type: application/x-www-form-urlencoded"}, []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.forT(t).do("POST", "/acme/api/v1/tokens/create"+tt.query, "", tt.body, tt.headers...)
			body := wantError(t, res, http.StatusUnprocessableEntity, "")
			for _, f := range tt.fields {
				if len(body.Errors[f]) == 0 {
					t.Errorf("no error for %s: %s", f, res.Body)
				}
			}
		})
	}
	t.Run("malformed JSON", func(t *testing.T) {
		wantError(t, e.forT(t).do("POST", "/acme/api/v1/tokens/create", "", `{"email":`), http.StatusBadRequest, "")
	})
}

func TestUnauthenticated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	revoked := e.createToken("acme", "admin@acme.test")
	if res := e.do("POST", "/acme/api/v1/tokens/revoke", revoked, nil); res.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	id, _, _ := strings.Cut(tn.AdminToken, "|")
	auth := []struct{ name, header string }{
		{"no header", ""},
		{"empty bearer", "Bearer "},
		{"other scheme", "Basic " + tn.AdminToken},
		{"token without scheme", tn.AdminToken},
		{"no separator", "Bearer " + strings.Repeat("a", 42)},
		{"short secret", "Bearer " + id + "|abc"},
		{"id not a number", "Bearer x|" + strings.Repeat("a", 40)},
		{"unknown id", "Bearer 999999|" + strings.Repeat("a", 40)},
		{"wrong secret", "Bearer " + id + "|" + strings.Repeat("a", 40)},
		{"revoked", "Bearer " + revoked},
	}
	for _, a := range auth {
		for _, ep := range endpoints("acme") {
			t.Run(a.name+"/"+ep.method+" "+ep.path, func(t *testing.T) {
				headers := []string{"X-Requested-With: XMLHttpRequest"}
				if a.header != "" {
					headers = append(headers, "Authorization: "+a.header)
				}
				res := e.forT(t).call(ep, "", headers...)
				wantExactBody(t, res, http.StatusUnauthorized, map[string]any{"message": "Unauthenticated."})
			})
		}
	}
	// Nothing any of those requests tried happened.
	if n := len(e.inventory(tn, "")); n != 0 {
		t.Errorf("inventory has %d records", n)
	}
	if n := len(e.names(tn, "items")); n != 6 {
		t.Errorf("items = %d, want the 6 seeded", n)
	}
}

// createToken signs in through the API and returns the new token.
func (e *env) createToken(slug, email string) string {
	e.t.Helper()
	q := url.Values{"email": {email}, "password": {testPassword}}.Encode()
	res := e.do("POST", "/"+slug+"/api/v1/tokens/create?"+q, "", nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("token create: %d %s", res.Status, res.Body)
	}
	var got struct{ Token string }
	res.Decode(e.t, &got)
	return got.Token
}

func TestTokenRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", false)
	token := e.createToken("acme", "member@acme.test")
	other := e.createToken("acme", "member@acme.test")
	if res := e.do("GET", "/acme/api/v1/imports", token, nil); res.Status != http.StatusOK {
		t.Fatalf("before revoke: %d %s", res.Status, res.Body)
	}
	if res := e.do("POST", "/acme/api/v1/tokens/revoke", token, nil); res.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	unauth := map[string]any{"message": "Unauthenticated."}
	wantExactBody(t, e.do("GET", "/acme/api/v1/imports", token, nil), http.StatusUnauthorized, unauth)
	wantExactBody(t, e.do("POST", "/acme/api/v1/tokens/revoke", token, nil), http.StatusUnauthorized, unauth)
	// Only the calling token is revoked: the same user's other tokens and
	// the tenant's other users keep working.
	for _, tok := range []string{other, tn.MemberToken, tn.AdminToken} {
		if res := e.do("GET", "/acme/api/v1/imports", tok, nil); res.Status != http.StatusOK {
			t.Errorf("other token: %d %s", res.Status, res.Body)
		}
	}
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ttl  time.Duration
		want int
	}{
		{time.Nanosecond, http.StatusUnauthorized}, // expired by the time it is used
		{time.Hour, http.StatusOK},
		{0, http.StatusOK}, // no expiry
	}
	for _, tt := range tests {
		t.Run(tt.ttl.String(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *vhttp.Config) { c.TokenTTL = tt.ttl })
			e.newTenant("acme", false)
			token := e.createToken("acme", "member@acme.test")
			if res := e.do("GET", "/acme/api/v1/inventory", token, nil); res.Status != tt.want {
				t.Fatalf("status = %d, want %d: %s", res.Status, tt.want, res.Body)
			}
		})
	}
}

// A token lives exactly its TTL on the database clock.
func TestTokenExpiryClock(t *testing.T) {
	t.Parallel()
	var c clock
	e := newEnv(t, c.install, func(cfg *vhttp.Config) { cfg.TokenTTL = time.Hour })
	e.newTenant("acme", false)
	token := e.createToken("acme", "member@acme.test")
	c.advance(59 * time.Minute)
	if res := e.do("GET", "/acme/api/v1/inventory", token, nil); res.Status != http.StatusOK {
		t.Fatalf("after 59 minutes: %d %s", res.Status, res.Body)
	}
	c.advance(2 * time.Minute)
	res := e.do("GET", "/acme/api/v1/inventory", token, nil)
	wantExactBody(t, res, http.StatusUnauthorized, map[string]any{"message": "Unauthenticated."})
}

func TestForeignTenantToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("alpha", true)
	b := e.newTenant("beta", true)
	forbidden := map[string]any{"message": "This action is unauthorized."}
	// "gamma" does not exist: it must answer exactly as an existing tenant
	// does, so no one can probe which tenants exist.
	for _, slug := range []string{"beta", "gamma"} {
		for _, ep := range endpoints(slug) {
			t.Run(slug+"/"+ep.method+" "+ep.path, func(t *testing.T) {
				e := e.forT(t)
				wantExactBody(t, e.call(ep, a.AdminToken), http.StatusForbidden, forbidden)
				wantExactBody(t, e.call(ep, ""), http.StatusUnauthorized, map[string]any{"message": "Unauthenticated."})
			})
		}
	}
	// Nothing happened in beta, and alpha's token was not revoked by the
	// revoke call on beta's path.
	if n := len(e.inventory(b, "")); n != 0 {
		t.Errorf("beta inventory has %d records", n)
	}
	if n := e.jobCount(b); n != 0 {
		t.Errorf("beta has %d jobs", n)
	}
	for _, k := range []string{"locations", "items", "lots", "uoms"} {
		if got := e.names(b, k); strings.Contains(strings.Join(got, ","), "NEW-") {
			t.Errorf("beta %s = %v", k, got)
		}
	}
	if res := e.do("GET", "/alpha/api/v1/inventory", a.AdminToken, nil); res.Status != http.StatusOK {
		t.Errorf("alpha token after foreign revoke: %d %s", res.Status, res.Body)
	}
}

func TestMemberCannotWriteMasterData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	for _, k := range []string{"locations", "location-areas", "bins", "items", "lots", "uoms"} {
		e.do("POST", "/acme/api/v1/"+k, tn.AdminToken, fmt.Sprintf(`[{"name":"UNUSED-%s"%s}]`, k, extraFields(k)))
	}
	before := map[string][]string{}
	for _, k := range []string{"locations", "location-areas", "bins", "items", "lots", "uoms"} {
		before[k] = e.names(tn, k)
	}
	// A member of its own, since the list ends with a revoke.
	_, member := e.newUser(tn, "second@acme.test", vintry.RoleMember)
	for _, ep := range endpoints("acme") {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			res := e.forT(t).call(ep, member)
			if ep.adminOnly {
				wantExactBody(t, res, http.StatusForbidden, map[string]any{"message": "This action is unauthorized."})
			} else if res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden {
				t.Errorf("member refused: %d %s", res.Status, res.Body)
			}
		})
	}
	for k, want := range before {
		if got := e.names(tn, k); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s changed by a member: %v, want %v", k, got, want)
		}
	}
}

// extraFields are the required fields beyond name, as JSON object members.
func extraFields(k string) string {
	switch k {
	case "location-areas":
		return `,"parent_name":"ZAM-WHS"`
	case "bins":
		return `,"parent_name":"Storage"`
	case "uoms":
		return `,"abbreviation":"unused"`
	}
	return ""
}

// Requests that match no route still get JSON errors (§4).
func TestNoRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", false)
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/acme/api/v1/nothing", http.StatusNotFound},
		{"GET", "/", http.StatusNotFound},
		{"DELETE", "/acme/api/v1/items/", http.StatusNotFound},
		{"PUT", "/acme/api/v1/items", http.StatusMethodNotAllowed},
		{"GET", "/acme/api/v1/tokens/create", http.StatusMethodNotAllowed},
		{"DELETE", "/acme/api/v1/inventory", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := e.forT(t).do(tt.method, tt.path, tn.AdminToken, nil)
			wantError(t, res, tt.status, "")
			if tt.status == http.StatusMethodNotAllowed && res.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}
