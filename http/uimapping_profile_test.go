package http_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
)

// erpCSV has the ERP export's headers, a column to ignore, and two rows.
const erpCSV = "Item Code,Warehouse Bin,Batch No,Fill Date,Qty,UOM,Comment\n" +
	"124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,first\n" +
	"CAB 2019,BBL-117,RM19CASRUT.ZAM,2023-10-15,59.25,9LE,second\n"

// erpColumns is the right mapping of erpCSV's headers.
var erpColumns = []string{"item_name", "bin_name", "lot_name", "date_filled", "quantity", "uom", ""}

func TestUIMappingSuggestionsAndProfiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	c := e.uiClient(t)
	c.signIn("acme")

	// Suggestions pre-select the columns; no saved mapping is offered yet.
	draft := wantDraft(t, c.upload("acme", "erp.csv", []byte(erpCSV)))
	body := wantPage(t, c.get(draft), http.StatusOK, `id="save_profile"`)
	if got := uiSelected(t, body); !slices.Equal(got, erpColumns) {
		t.Errorf("pre-selected %q, want %q", got, erpColumns)
	}
	if selectTag.MatchString(`<select id="profile"`) || len(uiSelected(t, body)) != 7 {
		t.Fatal("the profile select is counted as a column select")
	}

	// A bad name keeps the draft and saves and queues nothing.
	form := url.Values{"allow_record_creation": {"1"}, "save_profile": {"/etc/passwd"}}
	for i, col := range erpColumns {
		form.Set("map_"+strconv.Itoa(i), col)
	}
	wantPage(t, c.postForm(draft, form), http.StatusUnprocessableEntity,
		`role="alert">The save_profile may hold only letters, digits, spaces and . _ - ( ) &amp; &#43; #.</p>`, `value="/etc/passwd"`)
	if len(e.profiles(tn)) != 0 || e.jobCount(tn) != 0 {
		t.Fatal("a refused form saved or queued")
	}

	// Queueing with a name saves the mapping under it, in header order.
	form.Set("save_profile", " ERP export ")
	form.Set("map_6", "")
	e.waitJob(tn, wantJobPage(t, c.postForm(draft, form)))
	got := e.profiles(tn)
	want := map[string]string{"Item Code": "item_name", "Warehouse Bin": "bin_name", "Batch No": "lot_name",
		"Fill Date": "date_filled", "Qty": "quantity", "UOM": "uom", "Comment": ""}
	if len(got) != 1 || got[0].Name != "ERP export" || len(got[0].FieldMappings) != 7 {
		t.Fatalf("profiles = %+v", got)
	}
	for h, col := range want {
		if got[0].FieldMappings[h] != col {
			t.Errorf("saved %s → %q, want %q", h, got[0].FieldMappings[h], col)
		}
	}

	// Another file: applying the profile selects its columns, whatever the
	// suggestions were.
	e.saveProfile(tn, tn.MemberToken, http.StatusCreated, `{"name": "Odd", "field_mappings": {"Qty": "quantity", "uom": "", "Comment": "uom"}}`)
	other := wantDraft(t, c.upload("acme", "erp2.csv", []byte("Comment,Qty,uom,quantity,lot_name\na,1,gal,2,x\n")))
	page := c.get(other + "?profile=odd")
	body = wantPage(t, page, http.StatusOK, `<option value="ERP export">ERP export</option>`, `<option value="Odd" selected>Odd</option>`)
	if got, want := uiSelected(t, body), []string{"uom", "quantity", "", "", "lot_name"}; !slices.Equal(got, want) {
		t.Errorf("with profile Odd: selected %q, want %q", got, want)
	}
	wantPage(t, c.get(other+"?profile=Nope"), http.StatusNotFound, "Mapping profile &#39;Nope&#39; not found.", `id="map_0"`)
}
