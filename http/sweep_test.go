package http_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	vhttp "github.com/vintry/vintry/http"
	"github.com/vintry/vintry/metrics"
)

// sweepIDs are a tenant's resources, as paths and bodies name them.
type sweepIDs struct {
	Job    int64 // a CSV job with all four files (one row failed)
	Record int64
	Draft  int64 // a UI upload draft
	// Webhook is a registered webhook; SpareWebhook one the tenant the
	// sweep calls as may delete (the other tenant's is its Webhook).
	Webhook, SpareWebhook int64
	// Profile is a saved mapping profile; SpareProfile as SpareWebhook.
	Profile, SpareProfile string
	// Names of master data entries only this tenant has.
	Item, Bin, Lot, Location, Area, UOM string
	Date                                string // the record's date_filled
	// Deletable names, by kind, the entry a DELETE call names: a spare
	// entry for the tenant the sweep calls as, an entry in use for the
	// other.
	Deletable map[string]string
}

// sweepTenant is a tenant of the sweep, with its credentials and resources.
type sweepTenant struct {
	*tenant
	Session      string // the member's UI session
	AdminSession string // the admin's UI session, for admin-only pages
	IDs          sweepIDs
}

// sweepAccess is how a route authenticates its caller.
type sweepAccess int

const (
	// accessToken: a bearer token; none → 401, another tenant's → 403.
	accessToken sweepAccess = iota
	// accessPage: a UI session; none or another tenant's → 303 to sign-in.
	accessPage
	// accessFile: a token or a session (downloads).
	accessFile
	// accessOpen: no authentication; credentials, if any, are in the
	// request (sign-in, token creation, sign-out).
	accessOpen
)

// sweepCall is one request of a route, built for a tenant slug and the
// resources it names, with the statuses it must get.
type sweepCall struct {
	path        string
	contentType string
	body        string
	// own is the status for the caller's own slug and resources: it shows
	// the request is a working one, so refusals elsewhere are isolation.
	own int
	// foreign is the status for the caller's own slug naming the other
	// tenant's resources (404 for one resource; 200 or 422 for searches
	// and writes, whose answer then must hold nothing of the other
	// tenant); 0 when the call names no resource.
	foreign int
	// foreignBody is a fragment the foreign answer must contain.
	foreignBody string
	// onOther is the status of an accessOpen call on another tenant's (or
	// an unknown) slug with the caller's credentials.
	onOther int
}

// sweepRoute says how to call one route of the route table.
type sweepRoute struct {
	access sweepAccess
	// admin: only an admin may call the route (alpha's member token is then
	// not used for its own and foreign calls; pages use the admin's session).
	admin bool
	// consumes: a successful call ends the credential it was made with
	// (token revoke, sign-out), so the own call gets a fresh one.
	consumes bool
	calls    func(slug string, ids sweepIDs) []sweepCall
}

// untenanted are the routes without a {tenant}, with why the sweep has
// nothing to check beyond their answers holding no tenant's data.
var untenanted = map[string]string{
	"GET /healthz":      "process liveness",
	"GET /readyz":       "database reachability",
	"GET /openapi.yaml": "the API description",
	"GET /metrics":      "Prometheus counters, by status class and route pattern",
	"GET /static/ui/":   "the UI's static files",
}

const (
	jsonType = "application/json"
	formType = "application/x-www-form-urlencoded"
)

// sweepRoutes is the sweep's table: every route of the route table with
// {tenant} must have an entry (TestTenantIsolationSweep fails otherwise).
// A new route's entry says how it authenticates and builds its calls from
// a slug and a tenant's resources (add to sweepIDs and sweepTenant what it
// names); each call's own status shows the request works, and its foreign
// status what naming the other tenant's resources must get.
func sweepRoutes() map[string]sweepRoute {
	api := func(slug, rest string) string { return "/" + slug + "/api/v1/" + rest }
	routes := map[string]sweepRoute{
		"POST /{tenant}/api/v1/tokens/create": {access: accessOpen, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, "tokens/create"), contentType: jsonType,
				body: `{"email":"admin@alpha.test","password":"` + testPassword + `"}`, own: 200, onOther: 401}}
		}},
		"POST /{tenant}/api/v1/tokens/revoke": {access: accessToken, consumes: true, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, "tokens/revoke"), own: 200}}
		}},
		"POST /{tenant}/api/v1/inventory/import/process": {access: accessToken, calls: func(slug string, ids sweepIDs) []sweepCall {
			record := fmt.Sprintf(`{"item_name":%q,"bin_name":%q,"lot_name":%q,"date_filled":"2030-01-01","quantity":1,"uom":%q}`,
				ids.Item, ids.Bin, ids.Lot, ids.UOM)
			csvFile := fmt.Sprintf("item_name,bin_name,lot_name,date_filled,quantity,uom\n%s,%s,%s,2030-01-02,1,%s\n", ids.Item, ids.Bin, ids.Lot, ids.UOM)
			return []sweepCall{
				{path: api(slug, "inventory/import/process"), contentType: jsonType,
					body: `{"source":"api","arguments":` + argsAllOrNothing + `,"payload":[` + record + `]}`,
					own:  200, foreign: 422, foreignBody: "does not exist"},
				{path: api(slug, "inventory/import/process"), contentType: "multipart/form-data; boundary=sweep",
					body: "--sweep\r\nContent-Disposition: form-data; name=\"arguments\"\r\n\r\n" + argsDryRun +
						"\r\n--sweep\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sweep.csv\"\r\n\r\n" + csvFile + "\r\n--sweep--\r\n",
					own: 202, foreign: 202},
			}
		}},
		"GET /{tenant}/api/v1/inventory": {access: accessToken, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{
				{path: api(slug, "inventory"), own: 200},
				{path: api(slug, "inventory?item="+url.QueryEscape(ids.Item)), own: 200, foreign: 200, foreignBody: `"total":0`},
				{path: api(slug, "inventory?location="+url.QueryEscape(ids.Location)), own: 200, foreign: 200, foreignBody: `"total":0`},
				{path: api(slug, "inventory?date_filled_from="+ids.Date+"&date_filled_to="+ids.Date), own: 200, foreign: 200, foreignBody: `"total":0`},
			}
		}},
		"POST /{tenant}/api/v1/inventory/batch-delete": {access: accessToken, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{
				{path: api(slug, "inventory/batch-delete"), contentType: jsonType, own: 200, foreign: 200, foreignBody: `"deleted_count":0`,
					body: fmt.Sprintf(`{"items":[%q],"dry_run":true}`, ids.Item)},
				{path: api(slug, "inventory/batch-delete"), contentType: jsonType, own: 200, foreign: 200, foreignBody: `"deleted_count":0`,
					body: fmt.Sprintf(`{"rows":[{"item":%q,"bin":%q,"lot":%q,"date_filled":%q}],"dry_run":true}`, ids.Item, ids.Bin, ids.Lot, ids.Date)},
			}
		}},
		"GET /{tenant}/api/v1/inventory/history": {access: accessToken, calls: func(slug string, ids sweepIDs) []sweepCall {
			q := url.Values{"item": {ids.Item}, "bin": {ids.Bin}, "lot": {ids.Lot}, "date_filled": {ids.Date}}
			return []sweepCall{{path: api(slug, "inventory/history?"+q.Encode()), own: 200, foreign: 200, foreignBody: `"total":0`}}
		}},
		"GET /{tenant}/api/v1/inventory/{id}/history": {access: accessToken, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, fmt.Sprintf("inventory/%d/history", ids.Record)), own: 200, foreign: 404}}
		}},
		"GET /{tenant}/api/v1/imports": {access: accessToken, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, "imports"), own: 200}}
		}},
		"GET /{tenant}/api/v1/imports/status/{id}": {access: accessToken, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, fmt.Sprintf("imports/status/%d", ids.Job)), own: 200, foreign: 404,
				foreignBody: `{"message":"Job not found."}`}}
		}},
		"GET /{tenant}/download/{name}": {access: accessFile, calls: func(slug string, ids sweepIDs) []sweepCall {
			var out []sweepCall
			for _, kind := range []string{"untouched", "staging", "final", "errors"} {
				out = append(out, sweepCall{path: fmt.Sprintf("/%s/download/import-%d_%s.csv", slug, ids.Job, kind), own: 200, foreign: 404})
			}
			return out
		}},
		"POST /{tenant}/api/v1/locations/import": {access: accessToken, admin: true, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{
				{path: api(slug, "locations/import"), contentType: "text/csv", own: 200,
					body: "entity_type,name,parent_name\nlocation," + ids.Location + ",\n"},
				{path: api(slug, "locations/import"), contentType: "text/csv", own: 200, foreign: 422, foreignBody: "does not exist",
					body: "entity_type,name,parent_name\nlocation_area," + ids.Area + "," + ids.Location + "\n"},
			}
		}},

		// The web UI.
		"GET /{tenant}/login": {access: accessOpen, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: "/" + slug + "/login", own: 200, onOther: 200}}
		}},
		"POST /{tenant}/login": {access: accessOpen, calls: func(slug string, _ sweepIDs) []sweepCall {
			form := url.Values{"email": {"member@alpha.test"}, "password": {testPassword}}.Encode()
			return []sweepCall{{path: "/" + slug + "/login", contentType: formType, body: form, own: 303, onOther: 401}}
		}},
		"POST /{tenant}/logout": {access: accessOpen, consumes: true, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: "/" + slug + "/logout", contentType: formType, own: 303, onOther: 303}}
		}},
		"GET /{tenant}" + uiJobs: {access: accessPage, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: "/" + slug + uiJobs, own: 200}}
		}},
		"GET /{tenant}" + uiJobs + "/logs/{id}": {access: accessPage, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: uiJobPath(slug, ids.Job), own: 200, foreign: 404}}
		}},
		"GET /{tenant}/inventory": {access: accessPage, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{
				{path: "/" + slug + "/inventory", own: 200},
				{path: "/" + slug + "/inventory?item=" + url.QueryEscape(ids.Item), own: 200, foreign: 200},
			}
		}},
		"GET /{tenant}/imports/upload": {access: accessPage, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: "/" + slug + "/imports/upload", own: 200}}
		}},
		"POST /{tenant}/imports/upload": {access: accessPage, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: "/" + slug + "/imports/upload", contentType: "multipart/form-data; boundary=sweep", own: 303,
				body: "--sweep\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sweep.csv\"\r\n\r\n" +
					"item_name\r\n" + ids.Item + "\r\n--sweep--\r\n"}}
		}},
		"GET /{tenant}/imports/upload/{draft}": {access: accessPage, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: fmt.Sprintf("/%s/imports/upload/%d", slug, ids.Draft), own: 200, foreign: 404}}
		}},
		"POST /{tenant}/imports/upload/{draft}": {access: accessPage, calls: func(slug string, ids sweepIDs) []sweepCall {
			// No arguments: the own draft is found and its form shown
			// again with the error, so it stays for the other steps.
			return []sweepCall{{path: fmt.Sprintf("/%s/imports/upload/%d", slug, ids.Draft), contentType: formType, body: "x=1",
				own: 422, foreign: 404}}
		}},
		"POST /{tenant}/api/v1/imports/{id}/revert": {access: accessToken, admin: true, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, fmt.Sprintf("imports/%d/revert", ids.Job)), contentType: jsonType, body: "{}",
				own: 200, foreign: 404, foreignBody: `{"message":"Job not found."}`}}
		}},
		"POST /{tenant}/api/v1/imports/{id}/cancel": {access: accessToken, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, fmt.Sprintf("imports/%d/cancel", ids.Job)), contentType: jsonType, body: "{}",
				own: 409, foreign: 404, foreignBody: `{"message":"Job not found."}`}}
		}},
		"GET /{tenant}" + uiJobs + "/logs/{id}/revert": {access: accessPage, admin: true, calls: func(slug string, ids sweepIDs) []sweepCall {
			// Own: 409, the API route above has reverted the job already (found, not 404).
			return []sweepCall{{path: uiJobPath(slug, ids.Job) + "/revert", own: 409, foreign: 404}}
		}},
		"POST /{tenant}" + uiJobs + "/logs/{id}/revert": {access: accessPage, admin: true, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: uiJobPath(slug, ids.Job) + "/revert", contentType: formType, body: "mode=plain", own: 409, foreign: 404}}
		}},
		"POST /{tenant}" + uiJobs + "/logs/{id}/cancel": {access: accessPage, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: uiJobPath(slug, ids.Job) + "/cancel", contentType: formType, body: "x=1", own: 409, foreign: 404}}
		}},
		"POST /{tenant}/api/v1/webhooks": {access: accessToken, admin: true, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, "webhooks"), contentType: jsonType, body: `{"url":"https://hooks.sweep.example/new"}`, own: 201}}
		}},
		"GET /{tenant}/api/v1/webhooks": {access: accessToken, admin: true, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, "webhooks"), own: 200}}
		}},
		"DELETE /{tenant}/api/v1/webhooks/{id}": {access: accessToken, admin: true, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, fmt.Sprintf("webhooks/%d", ids.SpareWebhook)), own: 200, foreign: 404,
				foreignBody: `{"message":"Webhook not found."}`}}
		}},
		"GET /{tenant}/api/v1/webhooks/{id}/deliveries": {access: accessToken, admin: true, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, fmt.Sprintf("webhooks/%d/deliveries", ids.Webhook)), own: 200, foreign: 404,
				foreignBody: `{"message":"Webhook not found."}`}}
		}},
		"GET /{tenant}/api/v1/inventory/import/template": {access: accessFile, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, "inventory/import/template"), own: 200}}
		}},
		"GET /{tenant}/api/v1/imports/mappings": {access: accessToken, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, "imports/mappings"), own: 200}}
		}},
		"POST /{tenant}/api/v1/imports/mappings": {access: accessToken, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, "imports/mappings"), contentType: jsonType,
				body: `{"name":"Sweep new","field_mappings":{"Wine":"item_name"}}`, own: 201}}
		}},
		"DELETE /{tenant}/api/v1/imports/mappings/{name}": {access: accessToken, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, "imports/mappings/"+url.PathEscape(ids.SpareProfile)), own: 200, foreign: 404,
				foreignBody: "not found"}}
		}},
		// "/" is the catch-all; "/{tenant}/" is served by it as a UI page.
		"/": {access: accessPage, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: "/" + slug + "/", own: 303}}
		}},
	}
	masterNames := func(ids sweepIDs) map[string]string {
		return map[string]string{"locations": ids.Location, "location-areas": ids.Area, "bins": ids.Bin,
			"items": ids.Item, "lots": ids.Lot, "uoms": ids.UOM}
	}
	for _, k := range []string{"locations", "location-areas", "bins", "items", "lots", "uoms"} {
		routes["GET /{tenant}/api/v1/"+k] = sweepRoute{access: accessToken, calls: func(slug string, _ sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, k+"?per_page=1000"), own: 200}}
		}}
		routes["POST /{tenant}/api/v1/"+k] = sweepRoute{access: accessToken, admin: true, calls: func(slug string, ids sweepIDs) []sweepCall {
			// The own entry again (unchanged); for kinds with a parent, the
			// foreign call names the other tenant's parent, which must not
			// resolve.
			var body string
			foreign := 0
			switch k {
			case "location-areas":
				body, foreign = fmt.Sprintf(`[{"name":%q,"parent_name":%q}]`, ids.Area, ids.Location), 422
			case "bins":
				body, foreign = fmt.Sprintf(`[{"name":%q,"parent_name":%q}]`, ids.Bin, ids.Area), 422
			case "uoms":
				body = fmt.Sprintf(`[{"name":%q,"abbreviation":%q}]`, ids.UOM, strings.ToLower(ids.UOM))
			default:
				body = fmt.Sprintf(`[{"name":%q}]`, masterNames(ids)[k])
			}
			return []sweepCall{{path: api(slug, k), contentType: jsonType, body: body, own: 200, foreign: foreign, foreignBody: "does not exist"}}
		}}
		routes["DELETE /{tenant}/api/v1/"+k+"/{name}"] = sweepRoute{access: accessToken, admin: true, calls: func(slug string, ids sweepIDs) []sweepCall {
			return []sweepCall{{path: api(slug, k+"/"+url.PathEscape(ids.Deletable[k])), own: 200, foreign: 404}}
		}}
	}
	return routes
}

// TestTenantIsolationSweep walks every route of the route table and tries,
// on each, to reach tenant beta's data from tenant alpha: no credentials,
// alpha's tokens and session on beta's paths, alpha's credentials on an
// unknown tenant's paths, and alpha's own paths naming beta's resources.
// Every answer must refuse (401/403/404, or a redirect to sign-in for
// pages) or hold nothing of beta, and beta must be unchanged at the end.
// A route the sweep has no entry for fails the test.
func TestTenantIsolationSweep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.sweepTenant("alpha", sweepIDs{Item: "A-ITEM", Bin: "A-BIN", Lot: "A-LOT", Location: "A-LOC", Area: "A-AREA", UOM: "A-UOM",
		Date: "2030-06-15"}, "A-NOTE")
	b := e.sweepTenant("beta", sweepIDs{Item: "SECRET-ITEM-B", Bin: "SECRET-BIN-B", Lot: "SECRET-LOT-B", Location: "SECRET-LOC-B",
		Area: "SECRET-AREA-B", UOM: "SECRET-UOM-B", Date: "2031-07-13"}, "SECRET-NOTE-B")
	for _, k := range []string{"locations", "location-areas", "bins", "items", "lots", "uoms"} {
		a.IDs.Deletable[k] = "SPARE-" + strings.ToUpper(k)
	}
	b.IDs.SpareWebhook, b.IDs.SpareProfile = b.IDs.Webhook, b.IDs.Profile
	b.IDs.Deletable = map[string]string{"locations": b.IDs.Location, "location-areas": b.IDs.Area, "bins": b.IDs.Bin,
		"items": b.IDs.Item, "lots": b.IDs.Lot, "uoms": b.IDs.UOM}
	// What of beta must never show in an answer to alpha (unless alpha's
	// request itself holds it).
	secrets := map[string]bool{}
	for _, v := range []string{b.IDs.Item, b.IDs.Bin, b.IDs.Lot, b.IDs.Location, b.IDs.Area, b.IDs.UOM, "secret-uom-b",
		"SECRET-NOTE-B", "secret-note-b-draft.csv", "hooks-secret-note-b", "777.123456", b.IDs.Date, "@beta.test",
		b.AdminToken, b.MemberToken, b.Session, strings.SplitN(b.AdminToken, "|", 2)[1], strings.SplitN(b.MemberToken, "|", 2)[1]} {
		secrets[v] = true
	}
	before := e.inventoryAndMasterData(b.tenant)
	jobsBefore := e.jobCount(b.tenant)

	patterns := (&vhttp.Server{Auth: e.DB, MasterData: e.DB, Inventory: e.DB, Imports: e.DB, Jobs: e.DB, Drafts: e.DB, DB: e.DB,
		Config: e.Config, Metrics: metrics.New(e.DB, slog.New(slog.DiscardHandler))}).RoutePatterns()
	table := sweepRoutes()
	for _, p := range patterns {
		if _, ok := untenanted[p]; ok {
			continue
		}
		if _, ok := table[p]; !ok {
			t.Errorf("route %q is not in the isolation sweep: add it to sweepRoutes (or, without {tenant}, to untenanted)", p)
		}
	}
	for p := range table {
		if !slices.Contains(patterns, p) {
			t.Errorf("sweepRoutes has %q, which the route table does not", p)
		}
	}
	for p := range untenanted {
		if !slices.Contains(patterns, p) {
			t.Errorf("untenanted has %q, which the route table does not", p)
		}
	}

	for _, p := range patterns {
		route, ok := table[p]
		if !ok {
			continue
		}
		t.Run(p, func(t *testing.T) {
			method, _, ok := strings.Cut(p, " ")
			if !ok {
				method = "GET" // the catch-all
			}
			s := &sweeper{method: method, e: e.forT(t), a: a, b: b, secrets: secrets}
			s.run(route)
		})
	}
	t.Run("untenanted routes", func(t *testing.T) {
		s := &sweeper{method: "GET", e: e.forT(t), a: a, b: b, secrets: secrets}
		for _, path := range []string{"/healthz", "/readyz", "/openapi.yaml"} {
			s.check("GET "+path, sweepCall{path: path}, "", "", http.StatusOK)
		}
	})

	// Beta is exactly as before, and its credentials and draft still work.
	if after := e.inventoryAndMasterData(b.tenant); after != before {
		t.Errorf("beta's inventory or master data changed:\nbefore %s\nafter  %s", before, after)
	}
	if n := e.jobCount(b.tenant); n != jobsBefore {
		t.Errorf("beta has %d jobs, had %d", n, jobsBefore)
	}
	for _, tok := range []string{b.AdminToken, b.MemberToken} {
		if res := e.do("GET", "/beta/api/v1/imports", tok, nil); res.Status != http.StatusOK {
			t.Errorf("a beta token stopped working: %d %s", res.Status, res.Body)
		}
	}
	for _, sess := range []*sweepTenant{a, b} {
		res := e.do("GET", fmt.Sprintf("/%s/imports/upload/%d", sess.Slug, sess.IDs.Draft), "", nil, "Cookie: vintry_session="+sess.Session)
		if res.Status != http.StatusOK {
			t.Errorf("%s's session or draft stopped working: %d %.300s", sess.Slug, res.Status, res.Body)
		}
		res = e.do("GET", "/"+sess.Slug+uiJobs, "", nil, "Cookie: vintry_session="+sess.AdminSession)
		if res.Status != http.StatusOK {
			t.Errorf("%s's admin session stopped working: %d %.300s", sess.Slug, res.Status, res.Body)
		}
	}
	if res := e.do("GET", "/alpha/api/v1/imports", a.AdminToken, nil); res.Status != http.StatusOK {
		t.Errorf("alpha's admin token stopped working: %d", res.Status)
	}
}

// sweepTenant creates a tenant with the standard master data plus entries
// named by ids (and a spare entry of each kind), a record, a CSV job with a
// failed row (so it has all four files), a UI session and an upload draft;
// note is a value only its files hold.
func (e *env) sweepTenant(slug string, ids sweepIDs, note string) *sweepTenant {
	e.t.Helper()
	tn := e.newTenant(slug, true)
	quantity := "1"
	if slug == "beta" {
		quantity = "777.123456"
	}
	for _, step := range []struct{ kind, body string }{
		{"locations", fmt.Sprintf(`[{"name":%q,"description":"%s-DESC"},{"name":"SPARE-LOCATIONS"}]`, ids.Location, note)},
		{"location-areas", fmt.Sprintf(`[{"name":%q,"parent_name":%q,"description":"%s-DESC"},{"name":"SPARE-LOCATION-AREAS","parent_name":%[2]q}]`,
			ids.Area, ids.Location, note)},
		{"bins", fmt.Sprintf(`[{"name":%q,"parent_name":%q,"external_system_id":"%s-EXT"},{"name":"SPARE-BINS","parent_name":%[2]q}]`, ids.Bin, ids.Area, note)},
		{"items", fmt.Sprintf(`[{"name":%q,"description":"%s-DESC"},{"name":"SPARE-ITEMS"}]`, ids.Item, note)},
		{"lots", fmt.Sprintf(`[{"name":%q,"lot_status":"%s-STATUS"},{"name":"SPARE-LOTS"}]`, ids.Lot, note)},
		{"uoms", fmt.Sprintf(`[{"name":%q,"abbreviation":%q,"description":"%s-DESC"},{"name":"SPARE-UOMS","abbreviation":"spare"}]`,
			ids.UOM, strings.ToLower(ids.UOM), note)},
	} {
		if res := e.do("POST", "/"+slug+"/api/v1/"+step.kind, tn.AdminToken, step.body); res.Status != http.StatusOK {
			e.t.Fatalf("seed %s %s: %d %s", slug, step.kind, res.Status, res.Body)
		}
	}
	e.mustImport(tn, rec(ids.Item, ids.Bin, ids.Lot, ids.Date, quantity, ids.UOM))
	ids.Record = int64(e.inventory(tn, "item="+url.QueryEscape(ids.Item))[0]["id"].(float64))
	file := fmt.Sprintf("item_name,bin_name,lot_name,date_filled,quantity,uom,note\n%s,%s,%s,%s,%s,%s,%s\nNO-SUCH-%s,%s,%s,%s,1,%s,%s\n",
		ids.Item, ids.Bin, ids.Lot, ids.Date, quantity, ids.UOM, note, note, ids.Bin, ids.Lot, ids.Date, ids.UOM, note)
	job := e.importCSV(tn, []byte(file), argsContinue)
	if job.Status != "completed_with_errors" || len(job.Files["errors"]) != 1 {
		e.t.Fatalf("%s CSV job: %+v", slug, job)
	}
	ids.Job = job.JobLogID
	ids.Deletable = map[string]string{}
	ids.Profile, ids.SpareProfile = note+" profile", note+" spare profile"
	for _, name := range []string{ids.Profile, ids.SpareProfile} {
		body := fmt.Sprintf(`{"name":%q,"field_mappings":{"%s-Wine":"item_name"}}`, name, note)
		if res := e.do("POST", "/"+slug+"/api/v1/imports/mappings", tn.MemberToken, body); res.Status != http.StatusCreated {
			e.t.Fatalf("%s mapping profile: %d %s", slug, res.Status, res.Body)
		}
	}
	for i, id := range []*int64{&ids.Webhook, &ids.SpareWebhook} {
		*id = e.createHook(tn, fmt.Sprintf(`{"url":"https://hooks-%s.example/in/%d","description":"%s-HOOK"}`,
			strings.ToLower(note), i, note)).ID
	}
	out := &sweepTenant{tenant: tn, IDs: ids}
	var err error
	if out.Session, err = e.DB.CreateSession(context.Background(), slug, "member@"+slug+".test", testPassword, 12*time.Hour); err != nil {
		e.t.Fatal(err)
	}
	if out.AdminSession, err = e.DB.CreateSession(context.Background(), slug, "admin@"+slug+".test", testPassword, 12*time.Hour); err != nil {
		e.t.Fatal(err)
	}
	ct, body := multipartBody(e.t, formPart{Name: "file", FileName: strings.ToLower(note) + "-draft.csv",
		Content: []byte("item_name,quantity,note\n" + ids.Item + ",1," + note + "-DRAFT\n")})
	res, err := e.sendCase("POST", "/"+slug+"/imports/upload", "", body, []string{"Content-Type: " + ct, "Cookie: vintry_session=" + out.Session})
	if err != nil {
		e.t.Fatal(err)
	}
	loc := res.Header.Get("Location")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/"+slug+"/imports/upload/") {
		e.t.Fatalf("%s draft: %d %q %.300s", slug, res.Status, loc, res.Body)
	}
	if _, err := fmt.Sscanf(strings.TrimPrefix(loc, "/"+slug+"/imports/upload/"), "%d", &out.IDs.Draft); err != nil {
		e.t.Fatalf("draft location %q: %v", loc, err)
	}
	return out
}

// sweeper runs the sweep's calls of one route as alpha against beta.
type sweeper struct {
	method string // of the route
	e      *env
	a, b   *sweepTenant
	// secrets are what of beta must never show in an answer to alpha. A
	// secret alpha has sent in a request (beta's names, to try them on its
	// own paths) may come back from what alpha stored (its own jobs' row
	// errors): it stops being checked from then on. Values alpha never
	// sends (beta's quantity, notes, descriptions, tokens) are checked
	// throughout.
	secrets map[string]bool
}

const unknownSlug = "no-such-tenant"

// run makes every call of a route: own (must work), then without
// credentials, with alpha's on beta's and on an unknown tenant's paths,
// and on alpha's paths naming beta's resources.
func (s *sweeper) run(r sweepRoute) {
	t := s.e.t
	own := r.calls(s.a.Slug, s.a.IDs)
	if len(own) == 0 {
		t.Fatal("the route has no calls")
	}
	onBeta, onUnknown, foreign := r.calls(s.b.Slug, s.b.IDs), r.calls(unknownSlug, s.b.IDs), r.calls(s.a.Slug, s.b.IDs)
	for i, c := range own {
		creds := s.credentials(r)
		if r.consumes {
			creds = s.fresh(r.access)
		}
		res := s.check("own", c, creds[0], "", c.own)
		if !r.consumes && res.Status == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/alpha/login") {
			t.Errorf("own: alpha's session was refused: %s", res.Header.Get("Location"))
		}
		s.refusals(r.access, "beta's path", onBeta[i], s.b.Slug, c.onOther)
		s.refusals(r.access, "unknown tenant's path", onUnknown[i], unknownSlug, c.onOther)
		if f := foreign[i]; f.foreign != 0 {
			for _, cred := range s.credentials(r) {
				res := s.check("alpha's path, beta's ids", f, cred, "", f.foreign)
				if f.foreignBody != "" && !strings.Contains(string(res.Body), f.foreignBody) {
					t.Errorf("alpha's path, beta's ids: body lacks %q: %.500s", f.foreignBody, res.Body)
				}
			}
		}
	}
}

// refusals checks a call on another tenant's path (beta's, or one that
// does not exist) without credentials, with a token that does not exist,
// and with alpha's credentials.
func (s *sweeper) refusals(access sweepAccess, where string, c sweepCall, slug string, onOther int) {
	unauthenticated := `{"message":"Unauthenticated."}`
	forbidden := `{"message":"This action is unauthorized."}`
	login := "/" + slug + "/login"
	bogus := "Authorization: Bearer 1|" + strings.Repeat("x", 40)
	switch access {
	case accessToken:
		s.check(where+", no token", c, "", unauthenticated, http.StatusUnauthorized)
		s.check(where+", unknown token", c, bogus, unauthenticated, http.StatusUnauthorized)
		s.check(where+", alpha's admin token", c, "Authorization: Bearer "+s.a.AdminToken, forbidden, http.StatusForbidden)
		s.check(where+", alpha's member token", c, "Authorization: Bearer "+s.a.MemberToken, forbidden, http.StatusForbidden)
	case accessFile:
		s.check(where+", no credentials", c, "", unauthenticated, http.StatusUnauthorized)
		s.check(where+", alpha's member token", c, "Authorization: Bearer "+s.a.MemberToken, forbidden, http.StatusForbidden)
		s.check(where+", alpha's session", c, "Cookie: vintry_session="+s.a.Session, forbidden, http.StatusForbidden)
	case accessPage:
		for _, cred := range []string{"", "Cookie: vintry_session=" + s.a.Session, "Cookie: vintry_session=" + s.a.AdminSession,
			"Authorization: Bearer " + s.a.AdminToken} {
			res := s.check(where+", credentials "+strings.SplitN(cred, ":", 2)[0], c, cred, "", http.StatusSeeOther)
			if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, login+"?next=") {
				s.e.t.Errorf("%s: redirect to %q, want the sign-in page %s", where, loc, login)
			}
		}
	case accessOpen:
		s.check(where+", alpha's credentials", c, "Cookie: vintry_session="+s.a.Session, "", onOther)
	}
}

// credentials are alpha's credentials for a route, as headers.
func (s *sweeper) credentials(r sweepRoute) []string {
	switch r.access {
	case accessPage, accessOpen:
		if r.admin {
			return []string{"Cookie: vintry_session=" + s.a.AdminSession}
		}
		return []string{"Cookie: vintry_session=" + s.a.Session}
	case accessFile:
		return []string{"Authorization: Bearer " + s.a.MemberToken, "Cookie: vintry_session=" + s.a.Session}
	}
	if r.admin {
		return []string{"Authorization: Bearer " + s.a.AdminToken}
	}
	return []string{"Authorization: Bearer " + s.a.AdminToken, "Authorization: Bearer " + s.a.MemberToken}
}

// fresh is a new credential of alpha's admin, for a call that ends it.
func (s *sweeper) fresh(access sweepAccess) []string {
	ctx := context.Background()
	if access == accessToken {
		tok, err := s.e.DB.IssueToken(ctx, s.a.Slug, "admin@alpha.test", 0)
		if err != nil {
			s.e.t.Fatal(err)
		}
		return []string{"Authorization: Bearer " + tok}
	}
	sess, err := s.e.DB.CreateSession(ctx, s.a.Slug, "admin@alpha.test", testPassword, time.Hour)
	if err != nil {
		s.e.t.Fatal(err)
	}
	return []string{"Cookie: vintry_session=" + sess}
}

// check sends c with the credential header cred (or none) and checks the
// status, the exact body when exact is set, and that neither body nor
// headers hold any of beta's secrets the request did not itself hold.
func (s *sweeper) check(step string, c sweepCall, cred, exact string, want int) *response {
	t := s.e.t
	t.Helper()
	var headers []string
	if cred != "" {
		headers = append(headers, cred)
	}
	if c.contentType != "" {
		headers = append(headers, "Content-Type: "+c.contentType)
	}
	var body []byte
	if c.body != "" {
		body = []byte(c.body)
	}
	method := s.method
	res, err := s.e.sendCase(method, c.path, "", body, headers) // redirects are not followed
	if err != nil {
		t.Fatalf("%s: %s %s: %v", step, method, c.path, err)
	}
	if res.Status != want {
		t.Errorf("%s: %s %s: status %d, want %d: %.400s", step, method, c.path, res.Status, want, res.Body)
	}
	if exact != "" && strings.TrimSpace(string(res.Body)) != exact {
		t.Errorf("%s: %s %s: body %.400s, want %s", step, method, c.path, res.Body, exact)
	}
	var head strings.Builder
	for k, vs := range res.Header {
		fmt.Fprintf(&head, "%s: %s\n", k, strings.Join(vs, ", "))
	}
	for secret := range s.secrets {
		if strings.Contains(c.path, secret) || strings.Contains(c.body, secret) || strings.Contains(cred, secret) {
			delete(s.secrets, secret)
			continue
		}
		if strings.Contains(string(res.Body), secret) || strings.Contains(head.String(), secret) {
			t.Errorf("%s: %s %s: the answer shows beta's %q: %.600s", step, method, c.path, secret, res.Body)
		}
	}
	return res
}
