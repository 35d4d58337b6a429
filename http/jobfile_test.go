package http_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestJobFilesExact checks the four files of a mixed CSV import byte for
// byte: the input is the upload as sent (BOM, CRLF, quotes); the generated
// files hold trimmed values, neutralise cells a spreadsheet would run as a
// formula, and leave negative numbers alone.
func TestJobFilesExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	input := "\ufeffitem_name,bin_name,lot_name,date_filled,quantity,uom\r\n" +
		"124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\r\n" +
		"=SUM(A1),SS-01,FG-GEN-LOT,2024-01-01,5,gal\r\n" +
		"\"@cmd\",SS-02,FG-GEN-LOT,2024-01-01,-5,gal\r\n" +
		"cab 2019,SS-01,\"FG-GEN-LOT, old\",2024-01-01,1.50,9LE\r\n" +
		"\"124\",SS-02,FG-GEN-LOT,2024-01-01,\" 7 \",Gallon\r\n" +
		"124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\r\n"
	staging := "line,item_name,bin_name,lot_name,date_filled,quantity,uom\n" +
		"2,124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n" +
		"3,'=SUM(A1),SS-01,FG-GEN-LOT,2024-01-01,5,gal\n" +
		"4,'@cmd,SS-02,FG-GEN-LOT,2024-01-01,-5,gal\n" +
		"5,cab 2019,SS-01,\"FG-GEN-LOT, old\",2024-01-01,1.50,9LE\n" +
		"6,124,SS-02,FG-GEN-LOT,2024-01-01,7,Gallon\n" +
		"7,124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n"
	output := "line,item_name,bin_name,lot_name,date_filled,quantity,uom,result,message\n" +
		"2,124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,created,\n" +
		"3,'=SUM(A1),SS-01,FG-GEN-LOT,2024-01-01,5,gal,failed,Item with name '=SUM(A1)' does not exist\n" +
		"4,'@cmd,SS-02,FG-GEN-LOT,2024-01-01,-5,gal,failed,Item with name '@cmd' does not exist\n" +
		"5,cab 2019,SS-01,\"FG-GEN-LOT, old\",2024-01-01,1.50,9LE,failed,Item with name 'cab 2019' does not exist\n" +
		"6,124,SS-02,FG-GEN-LOT,2024-01-01,7,Gallon,created,\n" +
		"7,124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,unchanged,\n"
	errs := "line,field,value,message,hint\n" +
		"3,item_name,'=SUM(A1),Item with name '=SUM(A1)' does not exist,\n" +
		"4,item_name,'@cmd,Item with name '@cmd' does not exist,\n" +
		"4,quantity,-5,The quantity must be greater than 0.,\n" +
		"5,item_name,cab 2019,Item with name 'cab 2019' does not exist,did you mean 'CAB 2019'?\n" +
		"5,lot_name,\"FG-GEN-LOT, old\",\"Lot with name 'FG-GEN-LOT, old' does not exist\",\n"

	job := e.importCSV(tn, []byte(input), argsContinue)
	if job.Status != "completed_with_errors" || job.Summary != (summary{Total: 6, Created: 2, Unchanged: 1, Failed: 3}) {
		t.Errorf("job = %s %+v", job.Status, job.Summary)
	}
	for kind, want := range map[string]string{"input": input, "staging": staging, "output": output, "errors": errs} {
		if got := string(e.jobFile(tn, job, kind)); got != want {
			t.Errorf("%s file:\n%q\nwant\n%q", kind, got, want)
		}
	}
}

// TestJobFilesAllOrNothing checks the output and errors files of a failed
// all-or-nothing import: the valid rows are not_written.
func TestJobFilesAllOrNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	input := csvHeader + "124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n124,SS-02,FG-GEN-LOT,2024-13-01,5,gal\n124,SS-03,FG-GEN-LOT,2024-01-01,5,gal\n"
	output := "line,item_name,bin_name,lot_name,date_filled,quantity,uom,result,message\n" +
		"2,124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,not_written,\n" +
		"3,124,SS-02,FG-GEN-LOT,2024-13-01,5,gal,failed,The date_filled must be a real date in the format YYYY-MM-DD.\n" +
		"4,124,SS-03,FG-GEN-LOT,2024-01-01,5,gal,not_written,\n"
	errs := "line,field,value,message,hint\n" +
		"3,date_filled,2024-13-01,The date_filled must be a real date in the format YYYY-MM-DD.,\n"
	job := e.importCSV(tn, []byte(input), argsAllOrNothing)
	if job.Status != "failed" || job.Summary != (summary{Total: 3, Failed: 1}) {
		t.Errorf("job = %s %+v", job.Status, job.Summary)
	}
	if got := string(e.jobFile(tn, job, "output")); got != output {
		t.Errorf("output file:\n%q\nwant\n%q", got, output)
	}
	if got := string(e.jobFile(tn, job, "errors")); got != errs {
		t.Errorf("errors file:\n%q\nwant\n%q", got, errs)
	}
	if got := e.stock(tn); len(got) != 0 {
		t.Errorf("a failed import wrote %v", got)
	}
}

// TestJobFilesOfJSONImport: a JSON import is a job like a CSV one — listed,
// with a status and the same four files; its input is the payload as CSV.
func TestJobFilesOfJSONImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	r := e.importJSON(tn, importBody(true, true, true,
		rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"),
		rec("=HYPERLINK(x)", " SS-02 ", "FG-GEN-LOT", "2024-01-01", "2.50", "gal")))
	id := r.Content.JobLogID
	if r.Status != http.StatusOK || id <= 0 {
		t.Fatalf("import: %d %+v", r.Status, r.Content)
	}
	list := e.page("/acme/api/v1/imports", tn.MemberToken)
	if list.Total != 1 || fmt.Sprint(list.Data[0]["job_log_id"]) != fmt.Sprint(id) {
		t.Errorf("jobs list = %+v", list)
	}
	job := e.readJob(tn, id)
	if job.Status != "completed_with_errors" || job.Summary != (summary{Total: 2, Created: 1, Failed: 1}) {
		t.Errorf("job = %s %+v", job.Status, job.Summary)
	}
	want := map[string]string{
		"input": "item_name,bin_name,lot_name,date_filled,quantity,uom\n" +
			"124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n" +
			"'=HYPERLINK(x),\" SS-02 \",FG-GEN-LOT,2024-01-01,2.50,gal\n",
		"staging": "line,item_name,bin_name,lot_name,date_filled,quantity,uom\n" +
			"1,124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n" +
			"2,'=HYPERLINK(x),SS-02,FG-GEN-LOT,2024-01-01,2.50,gal\n",
		"output": "line,item_name,bin_name,lot_name,date_filled,quantity,uom,result,message\n" +
			"1,124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,created,\n" +
			"2,'=HYPERLINK(x),SS-02,FG-GEN-LOT,2024-01-01,2.50,gal,failed,Item with name '=HYPERLINK(x)' does not exist\n",
		"errors": "line,field,value,message,hint\n" +
			"2,item_name,'=HYPERLINK(x),Item with name '=HYPERLINK(x)' does not exist,\n",
	}
	for kind, w := range want {
		if got := string(e.jobFile(tn, job, kind)); got != w {
			t.Errorf("%s file:\n%q\nwant\n%q", kind, got, w)
		}
	}
}

// TestJobFilesInParts imports a CSV file of 1000 rows of about 3 KB each:
// the upload and each result file span several stored parts of 1 MiB, and
// each downloads whole, byte for byte and in order, with its length as
// Content-Length; HEAD sends the length and no body.
func TestJobFilesInParts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	var b strings.Builder
	b.WriteString(csvHeader)
	var items []string
	for i := range 1000 {
		item := fmt.Sprintf("X%04d-", i) + strings.Repeat(string(rune('a'+i%26)), 3000)
		items = append(items, item)
		fmt.Fprintf(&b, "%s,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n", item)
	}
	input := []byte(b.String())
	job := e.importCSV(tn, input, argsContinue)
	if job.Status != "completed_with_errors" || job.Summary != (summary{Total: 1000, Failed: 1000}) {
		t.Fatalf("job = %s %+v", job.Status, job.Summary)
	}
	// Over 2 MiB is three parts or more; errors clip long values.
	over := map[string]int{"input": 2 << 20, "staging": 2 << 20, "output": 2 << 20, "errors": 1 << 20}
	for _, kind := range []string{"input", "staging", "output", "errors"} {
		path := job.Files[kind][0]
		res := e.do("GET", path, tn.MemberToken, nil)
		if res.Status != http.StatusOK || res.Header.Get("Content-Length") != strconv.Itoa(len(res.Body)) {
			t.Fatalf("GET %s: %d, Content-Length %s, %d bytes", path, res.Status, res.Header.Get("Content-Length"), len(res.Body))
		}
		if len(res.Body) <= over[kind] {
			t.Errorf("%s file: %d bytes, want over %d", kind, len(res.Body), over[kind])
		}
		switch kind {
		case "input":
			if !bytes.Equal(res.Body, input) {
				t.Errorf("input file differs from the upload (%d bytes, want %d)", len(res.Body), len(input))
			}
		case "errors":
			// Errors echo a long value clipped.
			got := column(t, fileRecords(t, res.Body), "value")
			if len(got) != len(items) {
				t.Fatalf("errors file: %d values, want %d", len(got), len(items))
			}
			for i, v := range got {
				if !strings.HasPrefix(items[i], strings.TrimSuffix(v, "…")) {
					t.Fatalf("errors file: value %d is %.20q…, not item %.20q…", i, v, items[i])
				}
			}
		default:
			recs := fileRecords(t, res.Body)
			if got := column(t, recs, "item_name"); !reflect.DeepEqual(got, items) {
				t.Errorf("%s file: %d item names, not the items in order", kind, len(got))
			}
		}
		head := e.do("HEAD", path, tn.MemberToken, nil)
		if head.Status != http.StatusOK || head.Header.Get("Content-Length") != res.Header.Get("Content-Length") || len(head.Body) != 0 {
			t.Errorf("HEAD %s: %d, Content-Length %s, %d bytes", path, head.Status, head.Header.Get("Content-Length"), len(head.Body))
		}
	}
}

// TestJobIsolation: nothing of a tenant's jobs is visible from another.
func TestJobIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acme := e.newTenant("acme", true)
	other := e.newTenant("other", true)
	job := e.importCSV(acme, []byte(goodCSV), argsContinue)
	id := job.JobLogID
	ownJob := e.importCSV(other, []byte(goodCSV), argsContinue)
	notFound := map[string]any{"message": "Job not found."}
	t.Run("status of another tenant's job", func(t *testing.T) {
		res := e.forT(t).do("GET", statusPath(other, id), other.MemberToken, nil)
		wantExactBody(t, res, http.StatusNotFound, notFound)
	})
	t.Run("status with a token of another tenant", func(t *testing.T) {
		wantError(t, e.forT(t).do("GET", statusPath(acme, id), other.MemberToken, nil), http.StatusForbidden, "This action is unauthorized.")
	})
	for _, suffix := range []string{"untouched", "staging", "final", "errors"} {
		name := fmt.Sprintf("import-%d_%s.csv", id, suffix)
		t.Run("download "+suffix, func(t *testing.T) {
			e := e.forT(t)
			e.download(acme, "/acme/download/"+name)
			wantError(t, e.do("GET", "/other/download/"+name, other.MemberToken, nil), http.StatusNotFound, "")
			wantError(t, e.do("GET", "/acme/download/"+name, other.MemberToken, nil), http.StatusForbidden, "")
			wantError(t, e.do("GET", "/acme/download/"+name, "", nil), http.StatusUnauthorized, "Unauthenticated.")
		})
	}
	t.Run("unknown file names", func(t *testing.T) {
		next := ownJob.JobLogID + 100
		for _, name := range []string{
			fmt.Sprintf("import-%d_untouched.csv", next), fmt.Sprintf("import-%d_other.csv", id), fmt.Sprintf("import-%d_final.txt", id),
			fmt.Sprintf("import-%d.csv", id), fmt.Sprintf("import%d_final.csv", id), fmt.Sprintf("import-%d_final.csv.bak", id),
			"import-0_final.csv", "import--1_final.csv", "import-x_final.csv", "final.csv", "import-99999999999999999999_final.csv",
		} {
			wantError(t, e.forT(t).do("GET", "/acme/download/"+name, acme.MemberToken, nil), http.StatusNotFound, "")
		}
	})
	t.Run("jobs list", func(t *testing.T) {
		e := e.forT(t)
		for tn, want := range map[*tenant][]any{acme: {float64(id)}, other: {float64(ownJob.JobLogID)}} {
			var got []any
			for _, d := range e.page("/"+tn.Slug+"/api/v1/imports", tn.MemberToken).Data {
				got = append(got, d["job_log_id"])
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s lists jobs %v, want %v", tn.Slug, got, want)
			}
		}
	})
}

// TestGeneratedFilesSafeCells: with master data named as spreadsheet
// formulas, every file Vintry generates — a JSON import's (its input
// included, rendered from the payload), a CSV job's and a revert's — holds
// no cell that starts with =, +, - (but a negative number), @, tab or CR.
func TestGeneratedFilesSafeCells(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	for kind, body := range map[string]string{
		"items": `[{"name":"=HYPERLINK(\"http://x.example\")"},{"name":"+1 cab"},{"name":"@cmd"},{"name":"-x"}]`,
		"lots":  `[{"name":"=lot"}]`,
		"uoms":  `[{"name":"+Barrel","abbreviation":"-bbl"}]`,
	} {
		if res := e.do("POST", "/acme/api/v1/"+kind, tn.AdminToken, body); res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", kind, res.Status, res.Body)
		}
	}
	records := []map[string]any{
		rec(`=HYPERLINK("http://x.example")`, "SS-01", "=lot", "2024-01-01", "5", "gal"),
		rec("+1 cab", "SS-01", "=lot", "2024-01-01", "5", "-bbl"),
		rec("@cmd", "SS-02", "=lot", "2024-01-01", "5", "+Barrel"),
		rec("-x", "SS-02", "=lot", "2024-01-01", "-5", "gal"),       // a row error: the negative number stays
		rec("=\tnope", "SS-02", "=lot", "2024-01-01", "1", "\rgal"), // a row error echoing tab and CR
	}
	jsonJob := e.importJSON(tn, importBody(true, true, true, records...)).Content.JobLogID
	upload := "item_name,bin_name,lot_name,date_filled,quantity,uom\n" +
		"\"@cmd\",SS-01,=lot,2024-02-02,7,gal\n" + "\"=nope\",SS-01,=lot,2024-02-02,7,gal\n"
	csvJob := e.importCSV(tn, []byte(upload), argsContinue)
	revertJob := e.revert(tn, jsonJob, nil).Content.JobLogID
	for _, job := range []jobView{e.readJob(tn, jsonJob), csvJob, e.readJob(tn, revertJob)} {
		if len(job.Files) < 3 {
			t.Errorf("job %d has files %v", job.JobLogID, job.Files)
		}
		for kind, paths := range job.Files {
			if kind == "input" && job.JobLogID == csvJob.JobLogID {
				continue // the upload as sent
			}
			for _, p := range paths {
				r := csv.NewReader(bytes.NewReader(e.download(tn, p)))
				r.FieldsPerRecord = -1
				cells, err := r.ReadAll()
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				for i, row := range cells {
					for _, c := range row {
						if unsafeCell(c) {
							t.Errorf("%s line %d: cell %q", p, i+1, c)
						}
					}
				}
			}
		}
	}
}

// unsafeCell reports whether a spreadsheet could read c as a formula.
func unsafeCell(c string) bool {
	if c == "" || !strings.ContainsAny(c[:1], "=+-@\t\r") {
		return false
	}
	_, err := strconv.ParseFloat(c, 64)
	return c[0] != '-' || err != nil
}
