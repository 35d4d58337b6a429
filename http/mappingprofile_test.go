package http_test

import (
	"context"
	"database/sql"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func mappingsPath(tn *tenant) string { return "/" + tn.Slug + "/api/v1/imports/mappings" }

// profile is a saved mapping profile as the API shows it.
type profile struct {
	ID            int64             `json:"id"`
	Name          string            `json:"name"`
	FieldMappings map[string]string `json:"field_mappings"`
	CreatedBy     int64             `json:"created_by"`
	UpdatedBy     int64             `json:"updated_by"`
	CreatedAt     string            `json:"created_at"`
	UpdatedAt     string            `json:"updated_at"`
}

// saveProfile saves a profile with token; it must answer status (201 or
// 200) and returns the saved profile.
func (e *env) saveProfile(tn *tenant, token string, status int, body string) profile {
	e.t.Helper()
	res := e.do("POST", mappingsPath(tn), token, body)
	if res.Status != status {
		e.t.Fatalf("save profile: %d, want %d: %s", res.Status, status, res.Body)
	}
	var out struct {
		Message string
		Content profile
	}
	res.Decode(e.t, &out)
	return out.Content
}

// profiles lists the tenant's profiles (one page) as its member.
func (e *env) profiles(tn *tenant) []profile {
	e.t.Helper()
	res := e.do("GET", mappingsPath(tn), tn.MemberToken, nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("list profiles: %d %s", res.Status, res.Body)
	}
	var out struct{ Data []profile }
	res.Decode(e.t, &out)
	return out.Data
}

// erpProfile is a profile body for erpHeader files.
const erpProfile = `{"name": "ERP export", "field_mappings": ` + erpMappings + `}`

func TestMappingProfilesCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	created := e.saveProfile(tn, tn.MemberToken, http.StatusCreated, erpProfile)
	if created.Name != "ERP export" || created.FieldMappings["Warehouse Bin"] != "bin_name" || len(created.FieldMappings) != 6 ||
		created.CreatedBy == 0 || created.CreatedBy != created.UpdatedBy || created.CreatedAt == "" {
		t.Fatalf("created %+v", created)
	}
	// Any member may save and delete; names ignore letter case; the mapping
	// may come as a JSON string, as in the CSV form; null and "" ignore a header.
	replaced := e.saveProfile(tn, tn.AdminToken, http.StatusOK,
		`{"name": " erp EXPORT ", "field_mappings": "{\"SKU\": \"item_name\", \"Notes\": null, \"Qty\": \" quantity \"}"}`)
	want := map[string]string{"SKU": "item_name", "Notes": "", "Qty": "quantity"}
	if replaced.ID != created.ID || replaced.Name != "erp EXPORT" || !maps.Equal(replaced.FieldMappings, want) ||
		replaced.CreatedBy != created.CreatedBy || replaced.UpdatedBy == created.CreatedBy {
		t.Fatalf("replaced %+v, created %+v", replaced, created)
	}
	// The stored mapping keeps the order it was given in.
	res := e.do("GET", mappingsPath(tn), tn.MemberToken, nil)
	if !strings.Contains(string(res.Body), `"field_mappings":{"SKU":"item_name","Notes":"","Qty":"quantity"}`) {
		t.Errorf("list: %s", res.Body)
	}
	second := e.saveProfile(tn, tn.MemberToken, http.StatusCreated, `{"name": "Cellar (v2) #1", "field_mappings": {"Artikel": "item_name"}}`)
	if got := e.profiles(tn); len(got) != 2 || got[0].ID != created.ID || got[1].ID != second.ID {
		t.Fatalf("profiles = %+v", got)
	}
	page := e.page(mappingsPath(tn)+"?per_page=1", tn.MemberToken)
	if page.Total != 2 || len(page.Data) != 1 || page.NextIndex == nil {
		t.Fatalf("page 1: %+v", page)
	}
	page = e.page(mappingsPath(tn)+"?per_page=1&current_index="+*page.NextIndex, tn.MemberToken)
	if len(page.Data) != 1 || page.Data[0]["name"] != "Cellar (v2) #1" || page.NextIndex != nil {
		t.Fatalf("page 2: %+v", page)
	}

	wantExactBody(t, e.do("DELETE", mappingsPath(tn)+"/ERP%20EXPORT", tn.MemberToken, nil), http.StatusOK,
		map[string]any{"message": "Mapping profile 'ERP EXPORT' deleted."})
	wantError(t, e.do("DELETE", mappingsPath(tn)+"/ERP%20EXPORT", tn.MemberToken, nil), http.StatusNotFound,
		"Mapping profile 'ERP EXPORT' not found.")
	if got := e.profiles(tn); len(got) != 1 || got[0].Name != "Cellar (v2) #1" {
		t.Fatalf("after delete: %+v", got)
	}
}

func TestMappingProfileRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	useOnly := "Invalid mapping target 'sku'. Use only: item_name, bin_name, lot_name, date_filled, quantity, uom"
	for _, tc := range []struct {
		name   string
		body   string
		status int
		msg    string
		field  string // a key errors must have, with msg among its messages unless detail is set
		detail string
	}{
		{"name missing", `{"field_mappings": {"Qty": "quantity"}}`, 422, "The name field is required.", "name", ""},
		{"name blank", `{"name": "  ", "field_mappings": {"Qty": "quantity"}}`, 422, "The name field is required.", "name", ""},
		{"name not a string", `{"name": 7, "field_mappings": {"Qty": "quantity"}}`, 422, "The name must be a string.", "name", ""},
		{"name too long", `{"name": "` + strings.Repeat("x", 101) + `", "field_mappings": {"Qty": "quantity"}}`, 422,
			"The name may not be longer than 100 characters.", "name", ""},
		{"name with a slash", `{"name": "a/b", "field_mappings": {"Qty": "quantity"}}`, 422,
			"The name may hold only letters, digits, spaces and . _ - ( ) & + #.", "name", ""},
		{"name starting with a dash", `{"name": "-x", "field_mappings": {"Qty": "quantity"}}`, 422,
			"The name must start with a letter or a digit.", "name", ""},
		{"mapping missing", `{"name": "x"}`, 422, "The field_mappings field is required.", "field_mappings", ""},
		{"mapping an array", `{"name": "x", "field_mappings": ["Qty"]}`, 422,
			"The field_mappings must be a JSON object of CSV header to column name.", "field_mappings", ""},
		{"mapping empty", `{"name": "x", "field_mappings": {}}`, 422, "The field_mappings must map at least one CSV header.", "field_mappings", ""},
		{"invalid target", `{"name": "x", "field_mappings": {"Item Code": "sku"}}`, 422,
			"Invalid mapping target 'sku'", "field_mappings.Item Code", useOnly},
		{"column twice", `{"name": "x", "field_mappings": {"Qty": "quantity", "Menge": "quantity"}}`, 422,
			"Column 'quantity' is mapped more than once (from 'Qty' and 'Menge')", "field_mappings.Menge", ""},
		{"both wrong", `{"name": "", "field_mappings": {"Item Code": "sku"}}`, 422, "The name field is required.", "field_mappings.Item Code", useOnly},
		{"body an array", `[{"name": "x"}]`, 422, "The request body must be a JSON object with name and field_mappings.", "body", ""},
		{"malformed JSON", `{"name": `, 400, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := wantError(t, e.forT(t).do("POST", mappingsPath(tn), tn.MemberToken, tc.body), tc.status, tc.msg)
			if tc.field == "" {
				return
			}
			detail := tc.detail
			if detail == "" {
				detail = tc.msg
			}
			if msgs := body.Errors[tc.field]; !strings.Contains(strings.Join(msgs, "\n"), detail) {
				t.Errorf("errors = %q, want %q under %s", body.Errors, detail, tc.field)
			}
		})
	}
	if got := e.profiles(tn); len(got) != 0 {
		t.Fatalf("refused profiles were saved: %+v", got)
	}
}

// TestMappingProfilesIsolated checks that one tenant's profiles are
// invisible and unusable from another.
func TestMappingProfilesIsolated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("a", true)
	b := e.newTenant("b", true)
	e.saveProfile(a, a.MemberToken, http.StatusCreated, erpProfile)
	if got := e.profiles(b); len(got) != 0 {
		t.Fatalf("tenant b sees %+v", got)
	}
	wantError(t, e.do("GET", mappingsPath(a), b.MemberToken, nil), http.StatusForbidden, "This action is unauthorized.")
	wantError(t, e.do("POST", mappingsPath(a), b.MemberToken, erpProfile), http.StatusForbidden, "This action is unauthorized.")
	wantError(t, e.do("DELETE", mappingsPath(a)+"/ERP%20export", b.MemberToken, nil), http.StatusForbidden, "This action is unauthorized.")
	wantError(t, e.do("DELETE", mappingsPath(b)+"/ERP%20export", b.MemberToken, nil), http.StatusNotFound, "Mapping profile 'ERP export' not found.")
	wantError(t, e.do("GET", mappingsPath(a), "", nil), http.StatusUnauthorized, "Unauthenticated.")
	file := []byte(erpHeader + "124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n")
	parts := append(csvParts("inv.csv", file, argsContinue), formPart{Name: "mapping_profile", Content: []byte("ERP export")})
	wantError(t, e.upload(b, b.MemberToken, parts), http.StatusUnprocessableEntity, "Mapping profile 'ERP export' not found.")
	// The same name in b is b's own profile.
	e.saveProfile(b, b.MemberToken, http.StatusCreated, `{"name": "ERP export", "field_mappings": {"Qty": "quantity"}}`)
	if got := e.profiles(a); len(got) != 1 || got[0].FieldMappings["Qty"] != "quantity" || len(got[0].FieldMappings) != 6 {
		t.Fatalf("tenant a's profile changed: %+v", got)
	}
	if e.jobCount(a)+e.jobCount(b) != 0 {
		t.Fatal("a refused upload made a job")
	}
}

// storedMappings reads a job's stored field_mappings straight from the
// database: what the worker will apply.
func (d *testDB) storedMappings(t *testing.T, jobID int64) string {
	t.Helper()
	ctx := context.Background()
	var s string
	if d.url == "" {
		db, err := sql.Open("sqlite", "file:"+d.Path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, `SELECT field_mappings FROM import_jobs WHERE id = ?`, jobID).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT field_mappings FROM import_jobs WHERE id = $1`, jobID).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCSVUploadWithMappingProfile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	saved := e.saveProfile(tn, tn.MemberToken, http.StatusCreated, erpProfile)
	withProfile := func(file []byte, name string, mappings ...string) []formPart {
		return append(csvParts("erp.csv", file, argsAllOrNothing, mappings...), formPart{Name: "mapping_profile", Content: []byte(name)})
	}

	t.Run("exact rows", func(t *testing.T) {
		e := e.forT(t)
		q := wantQueued(t, e.upload(tn, tn.MemberToken, withProfile(sample(t, "erp-export-bom-crlf.csv"), " erp export ")))
		job := e.waitJob(tn, q.JobLogID)
		if job.Status != "completed" || job.Summary != (summary{Total: 2, Created: 2}) {
			t.Fatalf("job: %+v", job)
		}
		want := map[string]string{
			invKey("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01"): "5100 gal",
			invKey("122-16", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01"):    "880 9LE",
		}
		if got := e.stock(tn); !reflect.DeepEqual(got, want) {
			t.Errorf("stock = %v, want %v", got, want)
		}
		note := "Field mappings from the saved mapping profile 'ERP export', as it was when the file was uploaded."
		if len(job.Log) == 0 || !strings.Contains(strings.Join(job.Log, "\n"), note) {
			t.Errorf("job log %q does not name the profile", job.Log)
		}
	})

	t.Run("refused", func(t *testing.T) {
		e := e.forT(t)
		before := e.jobCount(tn)
		file := []byte(erpHeader + "124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n")
		body := wantError(t, e.upload(tn, tn.MemberToken, withProfile(file, "ERP export", erpMappings)), http.StatusUnprocessableEntity,
			"Send either field_mappings or mapping_profile, not both.")
		if len(body.Errors["mapping_profile"]) != 1 {
			t.Errorf("errors = %v", body.Errors)
		}
		body = wantError(t, e.upload(tn, tn.MemberToken, withProfile(file, "ERP exports")), http.StatusUnprocessableEntity,
			"Mapping profile 'ERP exports' not found.")
		if len(body.Errors["mapping_profile"]) != 1 {
			t.Errorf("errors = %v", body.Errors)
		}
		// A profile that does not fit the file is refused as field_mappings would be.
		other := []byte("SKU,Warehouse Bin,Batch No,Fill Date,Qty,UOM\n124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n")
		res := e.upload(tn, tn.MemberToken, withProfile(other, "ERP export"))
		wantError(t, res, http.StatusUnprocessableEntity, "Header 'Item Code' in field_mappings is not in the file")
		if got := suggestions(t, res); !maps.Equal(got, map[string]string{"SKU": "item_name"}) {
			t.Errorf("suggestions = %v", got)
		}
		if n := e.jobCount(tn); n != before {
			t.Errorf("refused uploads made %d jobs", n-before)
		}
	})

	t.Run("the job keeps the profile's mapping of upload time", func(t *testing.T) {
		e := e.forT(t)
		file := []byte(erpHeader + "124,SS-02,FG-GEN-LOT,2024-06-01,7,gal\n")
		q := wantQueued(t, e.upload(tn, tn.MemberToken, withProfile(file, "ERP export")))
		// Replaced, then deleted, before the job may have run.
		e.saveProfile(tn, tn.MemberToken, http.StatusOK, `{"name": "ERP export", "field_mappings": {"Item Code": "lot_name"}}`)
		wantExactBody(t, e.do("DELETE", mappingsPath(tn)+"/ERP%20export", tn.MemberToken, nil), http.StatusOK,
			map[string]any{"message": "Mapping profile 'ERP export' deleted."})
		if got := e.DB.storedMappings(t, q.JobLogID); got != erpMappings {
			t.Errorf("stored mapping %s is not the profile's at upload time %v", got, saved.FieldMappings)
		}
		job := e.waitJob(tn, q.JobLogID)
		if job.Status != "completed" || job.Summary.Created != 1 {
			t.Fatalf("job: %+v", job)
		}
		if got := e.stock(tn)[invKey("124", "SS-02", "FG-GEN-LOT", "2024-06-01")]; got != "7 gal" {
			t.Errorf("record = %q", got)
		}
	})

	t.Run("ignored with exact headers", func(t *testing.T) {
		e := e.forT(t)
		parts := append(csvParts("inv.csv", []byte(goodCSV), argsExact), formPart{Name: "mapping_profile", Content: []byte("gone")})
		if job := e.waitJob(tn, wantQueued(t, e.upload(tn, tn.MemberToken, parts)).JobLogID); job.Status != "completed" {
			t.Fatalf("job: %+v", job)
		}
	})
}

// suggestions returns the suggestions of an error answer.
func suggestions(t *testing.T, res *response) map[string]string {
	t.Helper()
	var body struct{ Suggestions map[string]string }
	res.Decode(t, &body)
	return body.Suggestions
}

// TestCSVUploadSuggestions checks the columns a refused mapping suggests
// for realistic headers.
func TestCSVUploadSuggestions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	erpAll := map[string]string{"Item Code": "item_name", "Warehouse Bin": "bin_name", "Batch No": "lot_name",
		"Fill Date": "date_filled", "Qty": "quantity", "UOM": "uom"}
	for _, tc := range []struct {
		name  string
		parts []formPart
		msg   string
		want  map[string]string
	}{
		{"ERP export without mappings", csvParts("erp.csv", sample(t, "erp-export-bom-crlf.csv"), argsContinue),
			"Field mappings are required", erpAll},
		{"German export without mappings", csvParts("eu.csv", sample(t, "europe-semicolon-cp1252.csv"), argsContinue),
			"Field mappings are required", map[string]string{"Artikel": "item_name", "Lagerplatz": "bin_name",
				"Charge": "lot_name", "Abfülldatum": "date_filled", "Menge": "quantity", "Einheit": "uom"}},
		{"wrong target", csvParts("erp.csv", sample(t, "erp-export-bom-crlf.csv"), argsContinue,
			strings.Replace(erpMappings, `"Item Code":"item_name"`, `"Item Code":"item"`, 1)),
			"Invalid mapping target 'item'", map[string]string{"Item Code": "item_name"}},
		{"columns left out", csvParts("erp.csv", sample(t, "erp-export-bom-crlf.csv"), argsContinue, `{"Item Code":"item_name","Qty":"quantity"}`),
			"Required column 'bin_name' is not mapped", map[string]string{"Warehouse Bin": "bin_name", "Batch No": "lot_name",
				"Fill Date": "date_filled", "UOM": "uom"}},
		{"spreadsheet headers", csvParts("s.csv", []byte("SKU,Location,Lot #,Bottled,Amount,Unit of Measure,Notes\n124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,x\n"), argsContinue),
			"Field mappings are required", map[string]string{"SKU": "item_name", "Location": "bin_name", "Lot #": "lot_name",
				"Bottled": "date_filled", "Amount": "quantity", "Unit of Measure": "uom"}},
		{"nothing resembles", csvParts("s.csv", []byte("A,B,C,D,E,F\n1,2,3,4,5,6\n"), argsContinue), "Field mappings are required", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.forT(t).upload(tn, tn.MemberToken, tc.parts)
			wantError(t, res, http.StatusUnprocessableEntity, tc.msg)
			if got := suggestions(t, res); !maps.Equal(got, tc.want) {
				t.Errorf("suggestions = %v, want %v", got, tc.want)
			}
		})
	}
	// Following the suggestions imports the file.
	res := e.upload(tn, tn.MemberToken, csvParts("erp.csv", sample(t, "erp-export-bom-crlf.csv"), argsContinue))
	mappings := ""
	for h, c := range suggestions(t, res) {
		if mappings != "" {
			mappings += ","
		}
		mappings += `"` + h + `":"` + c + `"`
	}
	if job := e.importCSV(tn, sample(t, "erp-export-bom-crlf.csv"), argsContinue, "{"+mappings+"}"); job.Status != "completed" {
		t.Errorf("job with the suggested mapping: %+v", job)
	}
}

func TestMappingProfileUnknownLongName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	long := strings.Repeat("é", 5000)
	parts := append(csvParts("erp.csv", []byte(erpHeader+"124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n"), argsContinue),
		formPart{Name: "mapping_profile", Content: []byte(long)})
	wantError(t, e.upload(tn, tn.MemberToken, parts), http.StatusUnprocessableEntity,
		"Mapping profile '"+strings.Repeat("é", 100)+"…' not found.")
	wantError(t, e.do("DELETE", mappingsPath(tn)+"/"+strings.Repeat("x", 300), tn.MemberToken, nil), http.StatusNotFound,
		"Mapping profile '"+strings.Repeat("x", 100)+"…' not found.")
}
