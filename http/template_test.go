package http_test

import (
	"net/http"
	"reflect"
	"testing"
)

func templatePath(tn *tenant) string { return "/" + tn.Slug + "/api/v1/inventory/import/template" }

// template downloads the tenant's import template as its member and checks
// the headers of the answer.
func (e *env) template(tn *tenant) string {
	e.t.Helper()
	res := e.do("GET", templatePath(tn), tn.MemberToken, nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("template: %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		e.t.Errorf("Content-Type = %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="inventory-import-template.csv"` {
		e.t.Errorf("Content-Disposition = %q", cd)
	}
	return string(res.Body)
}

func TestImportTemplate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("the tenant's names; imports as it is", func(t *testing.T) {
		e := e.forT(t)
		tn := e.newTenant("seeded", true)
		got := e.template(tn)
		want := csvHeader +
			"ZAMNVCAS19,SS-01,RM19CASRUT.ZAM,2024-01-15,120,Gallon\n" +
			"ZAMNVCAS20,SS-02,RM19CASSH.ZAM,2024-02-01,59.25,9LE\n"
		if got != want {
			t.Fatalf("template:\n%s\nwant:\n%s", got, want)
		}
		job := e.importCSV(tn, []byte(got), argsAllOrNothing)
		if job.Status != "completed" || job.Summary != (summary{Total: 2, Created: 2}) {
			t.Fatalf("template import: %+v", job)
		}
		wantStock := map[string]string{
			invKey("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2024-01-15"): "120 gal",
			invKey("ZAMNVCAS20", "SS-02", "RM19CASSH.ZAM", "2024-02-01"):  "59.25 9LE",
		}
		if stock := e.stock(tn); !reflect.DeepEqual(stock, wantStock) {
			t.Errorf("stock = %v, want %v", stock, wantStock)
		}
	})

	t.Run("names a spreadsheet would run are skipped; quoting", func(t *testing.T) {
		e := e.forT(t)
		tn := e.newTenant("odd", false)
		for _, step := range []struct{ kind, body string }{
			{"locations", `[{"name":"L"}]`},
			{"location-areas", `[{"name":"A","parent_name":"L"}]`},
			{"bins", `[{"name":"=cmd|' /C calc'!A0","parent_name":"A"},{"name":"+Tank 1","parent_name":"A"},{"name":"Tank, \"North\"","parent_name":"A"}]`},
			{"items", `[{"name":"@SUM(1)"},{"name":"Cab; 2019"},{"name":"-12"}]`},
			{"lots", `[{"name":"Lot\"7\""}]`},
			{"uoms", `[{"name":"Gallon","abbreviation":"=gal"},{"name":"Case","abbreviation":"cs"}]`},
		} {
			if res := e.do("POST", "/odd/api/v1/"+step.kind, tn.AdminToken, step.body); res.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", step.kind, res.Status, res.Body)
			}
		}
		got := e.template(tn)
		want := csvHeader +
			"Cab; 2019,\"Tank, \"\"North\"\"\",\"Lot\"\"7\"\"\",2024-01-15,120,Case\n" +
			"-12,\"Tank, \"\"North\"\"\",\"Lot\"\"7\"\"\",2024-02-01,59.25,cs\n"
		if got != want {
			t.Fatalf("template:\n%s\nwant:\n%s", got, want)
		}
		if job := e.importCSV(tn, []byte(got), argsAllOrNothing); job.Status != "completed" || job.Summary.Created != 2 {
			t.Fatalf("template import: %+v", job)
		}
	})

	t.Run("no master data: placeholders", func(t *testing.T) {
		e := e.forT(t)
		tn := e.newTenant("empty", false)
		want := csvHeader +
			"EXAMPLE ITEM,EXAMPLE BIN,EXAMPLE LOT,2024-01-15,120,EXAMPLE UOM\n" +
			"EXAMPLE ITEM,EXAMPLE BIN,EXAMPLE LOT,2024-02-01,59.25,EXAMPLE UOM\n"
		if got := e.template(tn); got != want {
			t.Fatalf("template:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("access", func(t *testing.T) {
		e := e.forT(t)
		a := e.newTenant("a", false)
		b := e.newTenant("b", false)
		wantError(t, e.do("GET", templatePath(a), "", nil), http.StatusUnauthorized, "Unauthenticated.")
		wantError(t, e.do("GET", templatePath(a), b.MemberToken, nil), http.StatusForbidden, "This action is unauthorized.")
		if res := e.do("GET", templatePath(a), a.AdminToken, nil); res.Status != http.StatusOK {
			t.Errorf("admin: %d", res.Status)
		}
		// The upload page links it; the session downloads it.
		c := e.uiClient(t)
		c.signIn("a")
		wantPage(t, c.get("/a/imports/upload"), http.StatusOK, `href="/a/api/v1/inventory/import/template"`)
		if res := c.get(templatePath(a)); res.Status != http.StatusOK || string(res.Body) != e.template(a) {
			t.Errorf("with the session: %d %s", res.Status, res.Body)
		}
	})
}
