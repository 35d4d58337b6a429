package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// inventoryFixture imports five records spread over items, bins (and so
// areas and locations), lots and dates; each has a distinct quantity, which
// the tests use as its name.
func inventoryFixture(e *env, slug string) (*tenant, int64) {
	e.t.Helper()
	tn := e.newTenant(slug, true)
	c := e.mustImport(tn,
		rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-01-01", 1, "gal"),      // North / ZAM-WINERY
		rec("ZAMNVCAS19", "SS-03", "RM19CASSH.ZAM", "2023-01-15", 2, "gal"),       // South / ZAM-WINERY
		rec("ZAMNVCAS20", "BBL-117", "RM20CASRUT.ZAM", "2023-02-01", 3, "Gallon"), // South / ZAM-WINERY
		rec("124", "FG-GEN-BIN", "FG-GEN-LOT", "2023-02-28", 4, "9LE"),            // Storage / ZAM-WHS
		rec("CAB 2019", "SS-02", "RM19CASRUT.ZAM", "2023-03-01", 5, "gal"),        // North / ZAM-WINERY
	)
	return tn, c.JobLogID
}

// quantities returns the sorted quantities of records.
func quantities(records []map[string]any) string {
	var q []string
	for _, r := range records {
		q = append(q, r["quantity"].(string))
	}
	sort.Strings(q)
	return strings.Join(q, ",")
}

func TestInventoryFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn, _ := inventoryFixture(e, "acme")
	tests := []struct {
		query string
		want  string
	}{
		{"", "1,2,3,4,5"},
		{"item=ZAMNVCAS19", "1,2"},
		{"item=zamnvcas19", ""},
		{"item=" + url.QueryEscape("CAB 2019"), "5"},
		{"item=Unknown", ""},
		{"bin=SS-03", "2"},
		{"bin=ss-03", ""},
		{"lot=RM19CASRUT.ZAM", "1,5"},
		{"location=ZAM-WHS", "4"},
		{"location=ZAM-WINERY", "1,2,3,5"},
		{"location_area=South", "2,3"},
		{"location_area=North", "1,5"},
		{"date_filled_from=2023-01-15", "2,3,4,5"},
		{"date_filled_to=2023-02-01", "1,2,3"},
		{"date_filled_from=2023-01-15&date_filled_to=2023-02-01", "2,3"},
		{"date_filled_from=2023-02-01&date_filled_to=2023-02-01", "3"},
		{"date_filled_from=2023-01-02&date_filled_to=2023-01-14", ""},
		{"date_filled_from=2023-03-01&date_filled_to=2023-01-01", ""},
		{"item=ZAMNVCAS19&location_area=South", "2"},
		{"location=ZAM-WINERY&lot=RM19CASRUT.ZAM&date_filled_from=2023-02-01", "5"},
		{"location=ZAM-WHS&item=ZAMNVCAS19", ""},
		{"item=ZAMNVCAS19&per_page=1", "1,2"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			e := e.forT(t)
			if got := quantities(e.inventory(tn, tt.query)); got != tt.want {
				t.Errorf("quantities = %q, want %q", got, tt.want)
			}
			p := e.page("/acme/api/v1/inventory?"+tt.query, tn.MemberToken)
			if want := len(strings.FieldsFunc(tt.want, func(r rune) bool { return r == ',' })); p.Total != want {
				t.Errorf("total = %d, want %d", p.Total, want)
			}
		})
	}
}

func TestInventoryRecordShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn, jobID := inventoryFixture(e, "acme")
	res := e.do("GET", "/acme/api/v1/inventory?item=124", tn.MemberToken, nil)
	body := res.JSON(t)
	if body["message"] == nil || body["data"] == nil {
		t.Fatalf("body = %s", res.Body)
	}
	for _, key := range []string{"total", "from", "to", "per_page", "current_index", "next_index"} {
		if _, ok := body[key]; !ok {
			t.Errorf("no top-level %s: %s", key, res.Body)
		}
	}
	if body["per_page"] != jsonInt(1000) {
		t.Errorf("per_page = %v, want 1000 by default", body["per_page"])
	}
	r := body["data"].([]any)[0].(map[string]any)
	want := map[string]any{
		"item_name": "124", "bin_name": "FG-GEN-BIN", "location_area_name": "Storage", "location_name": "ZAM-WHS",
		"lot_name": "FG-GEN-LOT", "date_filled": "2023-02-28", "quantity": "4", "uom_name": "9LE Case", "uom_abbr": "9LE",
		"last_job_log_id": jsonInt(jobID),
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %v (%T), want %v", k, r[k], r[k], v)
		}
	}
	if _, ok := r["id"].(interface{ Int64() (int64, error) }); !ok {
		t.Errorf("id = %v", r["id"])
	}
	for _, k := range []string{"created_at", "updated_at"} {
		s, _ := r[k].(string)
		if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Errorf("%s = %q, want RFC 3339 UTC", k, s)
		}
	}
	if len(r) != 13 {
		t.Errorf("record has %d fields, want 13: %v", len(r), r)
	}
}

// jsonInt is n as response.JSON decodes it.
func jsonInt(n int64) json.Number { return json.Number(fmt.Sprint(n)) }

func TestInventoryBadQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn, _ := inventoryFixture(e, "acme")
	tests := []struct{ query, field string }{
		{"date_filled_from=2023-02-30", "date_filled_from"},
		{"date_filled_to=2023-1-01", "date_filled_to"},
		{"date_filled_from=yesterday", "date_filled_from"},
		{"date_filled_to=01/02/2023", "date_filled_to"},
		{"date_filled_from=2023-13-01&date_filled_to=2023-01-01", "date_filled_from"},
		{"per_page=0", "per_page"},
		{"per_page=-1", "per_page"},
		{"per_page=1001", "per_page"},
		{"per_page=two", "per_page"},
		{"current_index=garbage!", "current_index"},
		{"current_index=djE6eDox", "current_index"},   // v1:x:1
		{"current_index=djI6MTox", "current_index"},   // v2:1:1
		{"current_index=djE6LTE6MA", "current_index"}, // v1:-1:0
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := e.forT(t).do("GET", "/acme/api/v1/inventory?"+tt.query, tn.MemberToken, nil)
			if body := wantError(t, res, http.StatusUnprocessableEntity, ""); len(body.Errors[tt.field]) == 0 {
				t.Errorf("no error for %s: %s", tt.field, res.Body)
			}
		})
	}
}

// walk follows a list from its first page with per_page n and returns the
// ids in order, checking every page's pagination keys on the way.
func (e *env) walk(tn *tenant, query string, n int) []float64 {
	e.t.Helper()
	var ids []float64
	index := ""
	var prevNext *string
	for pages := 1; ; pages++ {
		p := e.page(fmt.Sprintf("/%s/api/v1/inventory?per_page=%d&%s%s", tn.Slug, n, query, index), tn.MemberToken)
		if !reflect.DeepEqual(p.CurrentIndex, prevNext) {
			e.t.Errorf("page %d: current_index = %v, want %v", pages, p.CurrentIndex, prevNext)
		}
		if len(p.Data) == 0 || len(p.Data) > n || p.PerPage != n || p.From == nil || p.To == nil ||
			*p.From != len(ids)+1 || *p.To != len(ids)+len(p.Data) {
			e.t.Fatalf("page %d: %d records, per_page %d, from %v, to %v (after %d)", pages, len(p.Data), p.PerPage, p.From, p.To, len(ids))
		}
		for _, d := range p.Data {
			ids = append(ids, d["id"].(float64))
		}
		if p.NextIndex == nil {
			if len(ids) != p.Total {
				e.t.Errorf("last page at %d records, total %d", len(ids), p.Total)
			}
			return ids
		}
		if len(p.Data) != n {
			e.t.Errorf("page %d is short (%d) but not the last", pages, len(p.Data))
		}
		prevNext, index = p.NextIndex, "&current_index="+url.QueryEscape(*p.NextIndex)
	}
}

func TestInventoryPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn, _ := inventoryFixture(e, "acme")
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2023-04-01", 6, "gal"), rec("124", "SS-03", "FG-GEN-LOT", "2023-04-01", 7, "gal"))
	all := e.page("/acme/api/v1/inventory", tn.MemberToken)
	if all.Total != 7 || len(all.Data) != 7 || all.NextIndex != nil || all.CurrentIndex != nil || *all.From != 1 || *all.To != 7 {
		t.Fatalf("one page: %+v", all)
	}
	var want []float64
	for _, d := range all.Data {
		want = append(want, d["id"].(float64))
	}
	for _, n := range []int{1, 2, 3, 6, 7, 1000} {
		if got := e.walk(tn, "", n); !reflect.DeepEqual(got, want) {
			t.Errorf("per_page=%d: ids %v, want %v", n, got, want)
		}
	}
	// Pagination composes with filters.
	if got := e.walk(tn, "location=ZAM-WINERY", 2); len(got) != 6 {
		t.Errorf("filtered walk: %v", got)
	}

	// A record created between pages neither duplicates nor hides others.
	p1 := e.page("/acme/api/v1/inventory?per_page=2", tn.MemberToken)
	e.mustImport(tn, rec("124", "SS-02", "FG-GEN-LOT", "2023-05-01", 8, "gal"))
	seen := map[float64]int{}
	for _, d := range p1.Data {
		seen[d["id"].(float64)]++
	}
	next := p1.NextIndex
	for next != nil {
		p := e.page("/acme/api/v1/inventory?per_page=2&current_index="+url.QueryEscape(*next), tn.MemberToken)
		for _, d := range p.Data {
			seen[d["id"].(float64)]++
		}
		next = p.NextIndex
	}
	if len(seen) != 8 {
		t.Errorf("saw %d distinct records, want 8", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("record %v listed %d times", id, n)
		}
	}
}

func TestInventoryEmpty(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	res := e.do("GET", "/acme/api/v1/inventory", tn.MemberToken, nil)
	body := res.JSON(t)
	if data, ok := body["data"].([]any); !ok || len(data) != 0 {
		t.Errorf("data = %v, want []", body["data"])
	}
	for _, k := range []string{"from", "to", "current_index", "next_index"} {
		if v, ok := body[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if body["total"] != jsonInt(0) {
		t.Errorf("total = %v", body["total"])
	}
}
