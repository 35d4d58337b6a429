package http_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

type historyEvent struct {
	Event            string  `json:"event"`
	RecordID         int64   `json:"record_id"`
	At               string  `json:"at"`
	JobLogID         *int64  `json:"job_log_id"`
	ChangedBy        *string `json:"changed_by"`
	Quantity         *string `json:"quantity"`
	UOMName          *string `json:"uom_name"`
	PreviousQuantity *string `json:"previous_quantity"`
	PreviousUOMName  *string `json:"previous_uom_name"`
}

func (e *env) history(tn *tenant, path string) []historyEvent {
	e.t.Helper()
	res := e.do("GET", path, tn.MemberToken, nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	var out struct {
		Data []historyEvent `json:"data"`
	}
	res.Decode(e.t, &out)
	return out.Data
}

func keyHistoryPath(tn *tenant, item, bin, lot, date string) string {
	q := url.Values{"item": {item}, "bin": {bin}, "lot": {lot}, "date_filled": {date}}
	return "/" + tn.Slug + "/api/v1/inventory/history?" + q.Encode()
}

// str is a pointer's value for messages, "<nil>" for nil.
func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// eventText renders an event as "event job qty uom ← prevQty prevUOM".
func eventText(ev historyEvent) string {
	job := "-"
	if ev.JobLogID != nil {
		job = fmt.Sprint(*ev.JobLogID)
	}
	return fmt.Sprintf("%s %s %s %s <- %s %s", ev.Event, job, str(ev.Quantity), str(ev.UOMName), str(ev.PreviousQuantity), str(ev.PreviousUOMName))
}

func TestHistoryCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	key := []string{"ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01"}
	first := e.mustImport(tn, rec(key[0], key[1], key[2], key[3], "100", "gal"))
	second := e.mustImport(tn, rec(key[0], key[1], key[2], key[3], "150.5", "Gallon"))
	e.mustImport(tn, rec(key[0], key[1], key[2], key[3], "150.5", "gal")) // unchanged: no history
	third := e.mustImport(tn, rec(key[0], key[1], key[2], key[3], "3", "9LE"))
	id := int64(e.inventory(tn, "")[0]["id"].(float64))
	// The imports are the member's; the batch delete, which has no job, the
	// admin's.
	res := e.do("POST", "/acme/api/v1/inventory/batch-delete", tn.AdminToken, `{"rows":[{"item":"ZAMNVCAS19","bin":"SS-01"}]}`)
	if res.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	want := []string{
		fmt.Sprintf("created %d 100 Gallon <- <nil> <nil>", first.JobLogID),
		fmt.Sprintf("updated %d 150.5 Gallon <- 100 Gallon", second.JobLogID),
		fmt.Sprintf("updated %d 3 9LE Case <- 150.5 Gallon", third.JobLogID),
		"deleted - <nil> <nil> <- 3 9LE Case",
	}
	wantBy := []string{"member@acme.test", "member@acme.test", "member@acme.test", "admin@acme.test"}
	for _, path := range []string{
		fmt.Sprintf("/acme/api/v1/inventory/%d/history", id),
		keyHistoryPath(tn, key[0], key[1], key[2], key[3]),
	} {
		events := e.history(tn, path)
		if len(events) != len(want) {
			t.Fatalf("%s: %d events, want %d: %+v", path, len(events), len(want), events)
		}
		for i, ev := range events {
			if got := eventText(ev); got != want[i] || ev.RecordID != id || ev.At == "" {
				t.Errorf("%s event %d = %q (record %d), want %q (record %d)", path, i, got, ev.RecordID, want[i], id)
			}
			if got := str(ev.ChangedBy); got != wantBy[i] {
				t.Errorf("%s event %d changed_by = %s, want %s", path, i, got, wantBy[i])
			}
		}
	}
	// Paged like every list.
	page := e.page(fmt.Sprintf("/acme/api/v1/inventory/%d/history?per_page=3", id), tn.MemberToken)
	if page.Total != 4 || len(page.Data) != 3 || page.NextIndex == nil {
		t.Fatalf("history page: %+v", page)
	}
	rest := e.page(fmt.Sprintf("/acme/api/v1/inventory/%d/history?per_page=3&current_index=%s", id, *page.NextIndex), tn.MemberToken)
	if len(rest.Data) != 1 || rest.Data[0]["event"] != "deleted" || rest.NextIndex != nil {
		t.Fatalf("second history page: %+v", rest)
	}
}

func TestHistoryKeyOutlivesRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	other := e.newTenant("other", true)
	e.mustImport(tn, rec("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04", "5", "9LE"))
	e.do("POST", "/acme/api/v1/inventory/batch-delete", tn.MemberToken, `{"items":["124"]}`)
	e.mustImport(tn, rec("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04", "7", "9LE"))
	events := e.history(tn, keyHistoryPath(tn, "124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04"))
	var got []string
	for _, ev := range events {
		got = append(got, ev.Event+" "+str(ev.Quantity))
	}
	want := []string{"created 5", "deleted <nil>", "created 7"}
	if fmt.Sprint(got) != fmt.Sprint(want) || events[0].RecordID == events[2].RecordID {
		t.Fatalf("key history = %v (records %d, %d), want %v across two records", got, events[0].RecordID, events[2].RecordID, want)
	}
	// Another tenant sees none of it, by key or by id.
	if ev := e.history(other, keyHistoryPath(other, "124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04")); len(ev) != 0 {
		t.Errorf("other tenant sees %d events", len(ev))
	}
	res := e.do("GET", fmt.Sprintf("/other/api/v1/inventory/%d/history", events[0].RecordID), other.MemberToken, nil)
	wantError(t, res, http.StatusNotFound, "Inventory record not found.")
}

// TestFullRefreshAndIncremental runs the two integrations of the issue: a
// full refresh (batch delete by location, then import the new snapshot) and
// an incremental one (import with updates, then row deletes), and finds
// every change in history.
func TestFullRefreshAndIncremental(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	e.mustImport(tn,
		rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", "5000", "gal"),
		rec("ZAMNVCAS20", "BBL-117", "RM20CASRUT.ZAM", "2023-09-01", "59.25", "gal"),
		rec("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04", "2310", "9LE"))

	// Full refresh of the winery: delete its records, import the new snapshot.
	res := e.do("POST", "/acme/api/v1/inventory/batch-delete", tn.MemberToken, `{"locations":["ZAM-WINERY"]}`)
	if res.Status != http.StatusOK || fmt.Sprint(res.JSON(t)["content"].(map[string]any)["deleted_count"]) != "2" {
		t.Fatalf("refresh delete: %d %s", res.Status, res.Body)
	}
	refresh := e.mustImport(tn,
		rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", "4990", "gal"),
		rec("ZAMNVCAS20", "SS-03", "RM20CASRUT.ZAM", "2023-09-01", "20000", "gal"))
	if refresh.Summary.Created != 2 {
		t.Fatalf("refresh import: %+v", refresh.Summary)
	}
	// Incremental: update one record, then delete another by its key.
	inc := e.mustImport(tn, rec("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04", "2300", "9LE"))
	if inc.Summary.Updated != 1 {
		t.Fatalf("incremental import: %+v", inc.Summary)
	}
	res = e.do("POST", "/acme/api/v1/inventory/batch-delete", tn.MemberToken,
		`{"rows":[{"item":"ZAMNVCAS20","bin":"SS-03","lot":"RM20CASRUT.ZAM","date_filled":"2023-09-01"}]}`)
	if res.Status != http.StatusOK {
		t.Fatalf("row delete: %d %s", res.Status, res.Body)
	}
	stock := e.stock(tn)
	wantStock := map[string]string{
		invKey("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01"): "4990 gal",
		invKey("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04"):       "2300 9LE",
	}
	if fmt.Sprint(stock) != fmt.Sprint(wantStock) {
		t.Fatalf("inventory = %v, want %v", stock, wantStock)
	}
	for _, c := range []struct {
		key  [4]string
		want []string
	}{
		{[4]string{"ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01"}, []string{"created 5000", "deleted <nil>", "created 4990"}},
		{[4]string{"ZAMNVCAS20", "BBL-117", "RM20CASRUT.ZAM", "2023-09-01"}, []string{"created 59.25", "deleted <nil>"}},
		{[4]string{"ZAMNVCAS20", "SS-03", "RM20CASRUT.ZAM", "2023-09-01"}, []string{"created 20000", "deleted <nil>"}},
		{[4]string{"124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04"}, []string{"created 2310", "updated 2300"}},
	} {
		var got []string
		for _, ev := range e.history(tn, keyHistoryPath(tn, c.key[0], c.key[1], c.key[2], c.key[3])) {
			got = append(got, ev.Event+" "+str(ev.Quantity))
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("history of %v = %v, want %v", c.key, got, c.want)
		}
	}
}
