package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestImportCommand runs `vintry import` as a user would: a 1000-row file
// exported from another system, with its own headers, mapped with --map;
// then a file with bad rows, whose report and errors file name each bad line.
func TestImportCommand(t *testing.T) {
	s := startServe(t, "--demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	c := newCrashClient(t, s)
	dir := t.TempDir()
	maps := []string{"--map", "Item Code=item_name", "--map", "Warehouse Bin=bin_name", "--map", "Batch No=lot_name",
		"--map", "Fill Date=date_filled", "--map", "Qty=quantity", "--map", "UOM=uom"}
	base := []string{"import", "--url", s.url, "--tenant", "demo", "--token", c.token, "--create", "--update"}

	var good strings.Builder
	good.WriteString("\ufeff\"Item Code\";\"Warehouse Bin\";\"Batch No\";\"Fill Date\";\"Qty\";\"UOM\"\r\n")
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&good, "\"ZAMNVCAS19\";\"SS-01\";\"RM19CASRUT.ZAM\";\"%s\";\"%d.5\";\"gal\"\r\n", start.AddDate(0, 0, i).Format(time.DateOnly), i+1)
	}
	goodFile := filepath.Join(dir, "erp-export.csv")
	os.WriteFile(goodFile, []byte(good.String()), 0o644)
	r := vintryCmd(t, "", append(append(base, goodFile), maps...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Status: completed\n") ||
		!strings.Contains(r.stdout, "Rows: 1000 total, 1000 created, 0 updated, 0 unchanged, 0 failed") {
		t.Fatalf("good file: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "Queued as job ") {
		t.Errorf("no queued line on stderr: %s", r.stderr)
	}
	if n := len(c.quantities()); n != 1000 {
		t.Errorf("inventory has %d records after the import, want 1000", n)
	}

	bad := "Item Code;Warehouse Bin;Batch No;Fill Date;Qty;UOM\n" +
		"ZAMNVCAS19;SS-01;RM19CASRUT.ZAM;2020-01-01;7;gal\n" +
		"Cab 2019;SS-01;RM19CASRUT.ZAM;2020-01-02;7;gal\n" +
		"ZAMNVCAS19;SS-01;RM19CASRUT.ZAM;2023-02-30;7;gal\n"
	badFile := filepath.Join(dir, "bad.csv")
	os.WriteFile(badFile, []byte(bad), 0o644)
	r = vintryCmd(t, "", append(append(base, "--continue-on-error", badFile), maps...)...)
	if r.code == 0 {
		t.Fatalf("bad file exited 0:\n%s", r.stdout)
	}
	for _, want := range []string{
		"Status: completed_with_errors",
		"Rows: 3 total, 0 created, 1 updated, 0 unchanged, 2 failed",
		"line 3 item_name: Item with name 'Cab 2019' does not exist (did you mean 'CAB 2019'?)",
		"line 4 date_filled: The date_filled must be a real date in the format YYYY-MM-DD.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	m := regexp.MustCompile(`Errors file: \S+(/demo/download/\S+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no errors file in the report:\n%s", r.stdout)
	}
	req, _ := http.NewRequest("GET", s.url+m[1], nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("errors file: %d %v", res.StatusCode, err)
	}
	for _, line := range []string{"3,item_name,Cab 2019,", "4,date_filled,2023-02-30,"} {
		if !strings.Contains(string(body), line) {
			t.Errorf("errors file lacks %q:\n%s", line, body)
		}
	}

	// A mapping the server refuses: one line on stderr, with the suggested
	// mapping, non-zero exit.
	r = vintryCmd(t, "", append(base, goodFile)...)
	if r.code == 0 || !strings.Contains(r.stderr, "Field mappings are required") ||
		!strings.Contains(r.stderr, "(suggested: --map 'Batch No=lot_name' --map 'Fill Date=date_filled' --map 'Item Code=item_name'") {
		t.Errorf("unmapped file: exit %d, stderr %q", r.code, r.stderr)
	}

	// The same mapping saved as a profile and named.
	profile := `{"name":"ERP export","field_mappings":{"Item Code":"item_name","Warehouse Bin":"bin_name","Batch No":"lot_name","Fill Date":"date_filled","Qty":"quantity","UOM":"uom"}}`
	req, _ = http.NewRequest("POST", s.url+"/demo/api/v1/imports/mappings", strings.NewReader(profile))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("save profile: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	r = vintryCmd(t, "", append(base, "--mapping-profile", "erp export", goodFile)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Rows: 1000 total, 0 created, 1 updated, 999 unchanged, 0 failed") {
		t.Errorf("with --mapping-profile: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}
