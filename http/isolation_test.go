package http_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// allNames returns every master data name of the tenant, by kind.
func (e *env) allNames(tn *tenant) map[string][]string {
	e.t.Helper()
	out := map[string][]string{}
	for _, k := range []string{"locations", "location-areas", "bins", "items", "lots", "uoms"} {
		out[k] = e.names(tn, k)
	}
	return out
}

// ids returns the ids of every master data entry of the tenant.
func (e *env) ids(tn *tenant) map[any]string {
	e.t.Helper()
	out := map[any]string{}
	for _, k := range []string{"locations", "location-areas", "bins", "items", "lots", "uoms"} {
		for _, d := range e.page("/"+tn.Slug+"/api/v1/"+k+"?per_page=1000", tn.MemberToken).Data {
			out[k+fmt.Sprint(d["id"])] = d["name"].(string)
		}
	}
	return out
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("alpha", true)
	b := e.newTenant("beta", true)
	e.upsert(a, "items", `[{"name":"A-ONLY"}]`)
	e.upsert(a, "locations", `[{"name":"A-LOC"}]`)
	jobA := e.mustImport(a,
		rec("A-ONLY", "SS-01", "RM19CASRUT.ZAM", "2024-01-01", 1, "gal"),
		rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2024-01-01", 5, "gal"),
		rec("ZAMNVCAS20", "SS-02", "RM20CASRUT.ZAM", "2024-01-01", 7, "9LE")).JobLogID
	stockA, namesA := e.stock(a), e.allNames(a)

	t.Run("reads", func(t *testing.T) {
		e := e.forT(t)
		for _, q := range []string{"", "item=A-ONLY", "item=ZAMNVCAS19", "location=ZAM-WINERY", "date_filled_from=2024-01-01"} {
			if p := e.page("/beta/api/v1/inventory?"+q, b.MemberToken); p.Total != 0 || len(p.Data) != 0 {
				t.Errorf("beta inventory?%s: %+v", q, p)
			}
		}
		if n := e.jobCount(b); n != 0 {
			t.Errorf("beta lists %d jobs", n)
		}
		res := e.do("GET", fmt.Sprintf("/beta/api/v1/imports/status/%d", jobA), b.MemberToken, nil)
		wantExactBody(t, res, http.StatusNotFound, map[string]any{"message": "Job not found."})
		if e.entry(b, "items", "A-ONLY") != nil || e.entry(b, "locations", "A-LOC") != nil {
			t.Error("beta lists alpha's entries")
		}
		idsA, idsB := e.ids(a), e.ids(b)
		for id, name := range idsB {
			if other, ok := idsA[id]; ok {
				t.Errorf("entry %v is %q in beta and %q in alpha", id, name, other)
			}
		}
	})

	t.Run("files and history", func(t *testing.T) {
		e := e.forT(t)
		files := e.jobStatus(a, jobA).Files
		if len(files["input"]) != 1 || len(files["output"]) != 1 {
			t.Fatalf("alpha job files = %v", files)
		}
		for _, kind := range []string{"input", "staging", "output", "errors"} {
			for _, path := range files[kind] {
				if res := e.do("GET", path, a.MemberToken, nil); res.Status != http.StatusOK || len(res.Body) == 0 {
					t.Errorf("alpha GET %s: %d", path, res.Status)
				}
				name := path[strings.LastIndex(path, "/")+1:]
				res := e.do("GET", "/beta/download/"+name, b.MemberToken, nil)
				wantError(t, res, http.StatusNotFound, "")
			}
		}
		recordID := e.inventory(a, "item=A-ONLY")[0]["id"]
		res := e.do("GET", fmt.Sprintf("/beta/api/v1/inventory/%v/history", recordID), b.MemberToken, nil)
		wantError(t, res, http.StatusNotFound, "")
		res = e.do("GET", "/beta/api/v1/inventory/history?item=ZAMNVCAS19&bin=SS-01&lot=RM19CASRUT.ZAM&date_filled=2024-01-01", b.MemberToken, nil)
		if res.Status == http.StatusOK {
			if data, _ := res.JSON(t)["data"].([]any); len(data) != 0 {
				t.Errorf("beta sees alpha's history: %s", res.Body)
			}
		} else {
			wantError(t, res, http.StatusNotFound, "")
		}
		// A batch delete in beta naming alpha's things deletes nothing.
		res = e.do("POST", "/beta/api/v1/inventory/batch-delete", b.MemberToken, `{"items":["A-ONLY","ZAMNVCAS19","ZAMNVCAS20"]}`)
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"deleted_count":0`) {
			t.Errorf("beta batch delete: %d %s", res.Status, res.Body)
		}
	})

	t.Run("names resolve within the tenant only", func(t *testing.T) {
		e := e.forT(t)
		r := e.importJSON(b, importBody(true, true, true,
			rec("A-ONLY", "SS-01", "RM19CASRUT.ZAM", "2024-01-01", 1, "gal"),
			rec("a-only", "SS-01", "RM19CASRUT.ZAM", "2024-01-01", 1, "gal")))
		want := []rowError{
			{Row: 1, Field: "item_name", Value: "A-ONLY", Message: "Item with name 'A-ONLY' does not exist"},
			{Row: 2, Field: "item_name", Value: "a-only", Message: "Item with name 'a-only' does not exist"}, // no hint from alpha
		}
		if !reflect.DeepEqual(r.Content.Errors, want) {
			t.Errorf("errors = %+v", r.Content.Errors)
		}
	})

	t.Run("writes", func(t *testing.T) {
		e := e.forT(t)
		// The same key in beta is beta's own record: created, not updated.
		r := e.importJSON(b, importBody(true, true, false, rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2024-01-01", 9, "gal")))
		if r.Content.Summary != (summary{Total: 1, Created: 1}) || r.Content.JobLogID == jobA {
			t.Errorf("beta import: %+v", r.Content)
		}
		if got := e.upsert(b, "items", `[{"name":"A-ONLY","description":"beta's"}]`); got != (upsertContent{Created: 1}) {
			t.Errorf("beta upsert of alpha's name: %+v", got)
		}
		// Deleting beta's entries that alpha's inventory uses is fine.
		for _, path := range []string{"items/ZAMNVCAS20", "bins/SS-02", "lots/RM20CASRUT.ZAM", "uoms/9LE%20Case"} {
			if res := e.do("DELETE", "/beta/api/v1/"+path, b.AdminToken, nil); res.Status != http.StatusOK {
				t.Errorf("beta DELETE %s: %d %s", path, res.Status, res.Body)
			}
		}
		res := e.do("DELETE", "/beta/api/v1/locations/A-LOC", b.AdminToken, nil)
		wantError(t, res, http.StatusNotFound, "")
		body, ct := feedMultipart(t, "file", "locations.csv", []byte("entity_type,name,parent_name,description\nlocation,ZAM-WINERY,,beta's winery\nlocation,A-LOC,,\n"))
		if res := e.do("POST", "/beta/api/v1/locations/import", b.AdminToken, body, "Content-Type: "+ct); res.Status != http.StatusOK {
			t.Errorf("beta feed: %d %s", res.Status, res.Body)
		}
		if res := e.do("POST", "/beta/api/v1/tokens/revoke", b.MemberToken, nil); res.Status != http.StatusOK {
			t.Errorf("beta revoke: %d %s", res.Status, res.Body)
		}
	})

	t.Run("beta's token on alpha's paths", func(t *testing.T) {
		for _, ep := range endpoints("alpha") {
			res := e.forT(t).call(ep, b.AdminToken)
			wantExactBody(t, res, http.StatusForbidden, map[string]any{"message": "This action is unauthorized."})
		}
		res := e.do("GET", fmt.Sprintf("/alpha/api/v1/imports/status/%d", jobA), b.AdminToken, nil)
		wantExactBody(t, res, http.StatusForbidden, map[string]any{"message": "This action is unauthorized."})
	})

	// Alpha is exactly as before, and its member token still works.
	if got := e.stock(a); !reflect.DeepEqual(got, stockA) {
		t.Errorf("alpha stock %v, want %v", got, stockA)
	}
	if got := e.allNames(a); !reflect.DeepEqual(got, namesA) {
		t.Errorf("alpha master data %v, want %v", got, namesA)
	}
	if d := e.entry(a, "locations", "ZAM-WINERY"); d["description"] != "" {
		t.Errorf("alpha ZAM-WINERY = %v", d)
	}
	if n := e.jobCount(a); n != 1 {
		t.Errorf("alpha jobs = %d, want 1", n)
	}
	if st := e.jobStatus(a, jobA); st.Summary.Created != 3 {
		t.Errorf("alpha job = %+v", st)
	}
}
