package http_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"
)

// deleteFixture is the inventory every batch delete case starts from:
// letter → key (item|bin|lot|date). Bins SS-01 and SS-02 are in area North,
// SS-03 and BBL-117 in South (both location ZAM-WINERY); FG-GEN-BIN is in
// Storage (ZAM-WHS).
var deleteFixture = map[string][4]string{
	"A": {"ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-01-01"},
	"B": {"ZAMNVCAS19", "SS-02", "RM19CASSH.ZAM", "2023-06-30"},
	"C": {"ZAMNVCAS19", "SS-03", "RM19CASRUT.ZAM", "2023-07-01"},
	"D": {"ZAMNVCAS20", "SS-01", "RM20CASRUT.ZAM", "2023-12-31"},
	"E": {"ZAMNVCAS20", "BBL-117", "RM20CASRUT.ZAM", "2024-01-01"},
	"F": {"124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-02-29"},
	"G": {"122-16", "FG-GEN-BIN", "FG-GEN-LOT", "2023-06-30"},
	"H": {"CAB 2019", "SS-02", "RM19CASRUT.ZAM", "2022-01-01"},
}

func seedDeleteFixture(e *env, tn *tenant) {
	e.t.Helper()
	var records []map[string]any
	for _, k := range deleteFixture {
		records = append(records, rec(k[0], k[1], k[2], k[3], "10", "gal"))
	}
	e.mustImport(tn, records...)
}

// remaining returns the fixture letters still in the inventory, sorted.
func remaining(e *env, tn *tenant) string {
	e.t.Helper()
	stock := e.stock(tn)
	var left []string
	for letter, k := range deleteFixture {
		if _, ok := stock[invKey(k[0], k[1], k[2], k[3])]; ok {
			left = append(left, letter)
		}
	}
	sort.Strings(left)
	return strings.Join(left, "")
}

func TestBatchDeleteModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, deleted string
	}{
		// Rows: fields of a row ANDed, rows ORed; location and area through the bin.
		{"row item", `{"rows":[{"item":"ZAMNVCAS19"}]}`, "ABC"},
		{"row item and location across two bins", `{"rows":[{"item":"ZAMNVCAS20","location":"ZAM-WINERY"}]}`, "DE"},
		{"row item and area", `{"rows":[{"item":"ZAMNVCAS19","location_area":"North"}]}`, "AB"},
		{"row item and bin", `{"rows":[{"item":"ZAMNVCAS19","bin":"SS-03"}]}`, "C"},
		{"row item and lot", `{"rows":[{"item":"ZAMNVCAS19","lot":"RM19CASRUT.ZAM"}]}`, "AC"},
		{"row item and date", `{"rows":[{"item":"ZAMNVCAS19","date_filled":"2023-06-30"}]}`, "B"},
		{"row every field", `{"rows":[{"item":"ZAMNVCAS19","location":"ZAM-WINERY","location_area":"North","bin":"SS-01","lot":"RM19CASRUT.ZAM","date_filled":"2023-01-01"}]}`, "A"},
		{"row fields that never meet", `{"rows":[{"item":"ZAMNVCAS19","location":"ZAM-WHS"}]}`, ""},
		{"rows ORed", `{"rows":[{"item":"124"},{"item":"122-16"}]}`, "FG"},
		{"row unknown item", `{"rows":[{"item":"NOPE"}]}`, ""},
		{"row names are exact", `{"rows":[{"item":"zamnvcas19"}]}`, ""},
		{"rows win over filters", `{"rows":[{"item":"124"}],"items":["ZAMNVCAS19"]}`, "F"},
		// Filters: values of a list ORed, different filters ANDed, dates inclusive.
		{"items", `{"items":["ZAMNVCAS19","124"]}`, "ABCF"},
		{"location", `{"locations":["ZAM-WINERY"]}`, "ABCDEH"},
		{"areas", `{"location_areas":["North","Storage"]}`, "ABDFGH"},
		{"bins", `{"bins":["SS-01"]}`, "AD"},
		{"lots", `{"lots":["FG-GEN-LOT"]}`, "FG"},
		{"date range, both edges inclusive", `{"date_filled_from":"2023-06-30","date_filled_to":"2023-07-01"}`, "BCG"},
		{"date from only", `{"date_filled_from":"2024-01-01"}`, "EF"},
		{"date to only", `{"date_filled_to":"2022-12-31"}`, "H"},
		{"single day range", `{"date_filled_from":"2024-02-29","date_filled_to":"2024-02-29"}`, "F"},
		{"filters ANDed", `{"items":["ZAMNVCAS19"],"locations":["ZAM-WINERY"],"date_filled_from":"2023-06-30"}`, "BC"},
		{"filters that never meet", `{"items":["ZAMNVCAS20"],"bins":["SS-02"]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tn := e.newTenant("acme", true)
			seedDeleteFixture(e, tn)

			dry := strings.Replace(tt.body, "{", `{"dry_run":true,`, 1)
			res := e.do("POST", "/acme/api/v1/inventory/batch-delete", tn.MemberToken, dry)
			var out struct {
				Content struct {
					DeletedCount int  `json:"deleted_count"`
					DryRun       bool `json:"dry_run"`
				} `json:"content"`
			}
			res.Decode(t, &out)
			if res.Status != http.StatusOK || out.Content.DeletedCount != len(tt.deleted) || !out.Content.DryRun {
				t.Fatalf("dry run: %d %s, want %d would be deleted", res.Status, res.Body, len(tt.deleted))
			}
			if left := remaining(e, tn); left != "ABCDEFGH" {
				t.Fatalf("dry run deleted: %s left", left)
			}

			res = e.do("POST", "/acme/api/v1/inventory/batch-delete", tn.MemberToken, tt.body)
			res.Decode(t, &out)
			if res.Status != http.StatusOK || out.Content.DeletedCount != len(tt.deleted) || out.Content.DryRun {
				t.Fatalf("delete: %d %s, want %d deleted", res.Status, res.Body, len(tt.deleted))
			}
			want := ""
			for _, l := range "ABCDEFGH" {
				if !strings.ContainsRune(tt.deleted, l) {
					want += string(l)
				}
			}
			if left := remaining(e, tn); left != want {
				t.Errorf("left %q, want %q", left, want)
			}
		})
	}
}

func TestBatchDeleteRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	seedDeleteFixture(e, tn)
	tests := []struct {
		name, body string
		status     int
		field      string
	}{
		{"no filter at all", `{}`, 422, "rows"},
		{"only a dry run", `{"dry_run":true}`, 422, "rows"},
		{"empty lists are no filter", `{"items":[],"bins":[],"rows":[]}`, 422, "rows"},
		{"row without item", `{"rows":[{"bin":"SS-01"}]}`, 422, "rows.0.item"},
		{"row with a blank item", `{"rows":[{"item":"  "}]}`, 422, "rows.0.item"},
		{"row date not a date", `{"rows":[{"item":"124","date_filled":"2023-02-30"}]}`, 422, "rows.0.date_filled"},
		{"filter date not a date", `{"date_filled_from":"2023-13-01"}`, 422, "date_filled_from"},
		{"from after to", `{"date_filled_from":"2024-01-02","date_filled_to":"2024-01-01"}`, 422, "date_filled_to"},
		{"list of numbers", `{"items":[1,2]}`, 422, "items"},
		{"not an object", `[]`, 422, "body"},
		{"malformed", `{"items":`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do("POST", "/acme/api/v1/inventory/batch-delete", tn.MemberToken, tt.body)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			if tt.field != "" {
				if errs, _ := res.JSON(t)["errors"].(map[string]any); errs[tt.field] == nil {
					t.Errorf("errors lack %q: %s", tt.field, res.Body)
				}
			}
		})
	}
	if left := remaining(e, tn); left != "ABCDEFGH" {
		t.Errorf("a rejected delete deleted: %s left", left)
	}
}

func TestBatchDeleteRowLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	rows := strings.Repeat(`{"item":"124"},`, 1001)
	res := e.do("POST", "/acme/api/v1/inventory/batch-delete", tn.MemberToken, `{"rows":[`+strings.TrimSuffix(rows, ",")+`]}`)
	wantError(t, res, http.StatusUnprocessableEntity, "Maximum 1000 records per request")
}
