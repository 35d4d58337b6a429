package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// fuzzMaxRecords is a small record limit, so the fuzzer reaches it.
const fuzzMaxRecords = 20

// FuzzImportJSON decodes any JSON import body and validates its rows against
// some master data, the way POST /{tenant}/inventory/import does before its
// write. It must never panic; a rejected body is a *vintry.Error that maps to
// a 4xx status and changes nothing; an accepted body's rows round-trip
// through JSON; the importer accounts for every row and writes only positive
// quantities of at most six decimal places.
func FuzzImportJSON(f *testing.F) {
	for _, s := range []string{
		`{"source":"api","arguments":{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true},` +
			`"payload":[{"item":"CAB 2019","bin":"SS-01","lot":"FG-GEN-LOT","date_filled":"2024-02-29","quantity":"5000.000","uom":"gal"},` +
			`{"item":"cab 2019","bin":"SS-01","lot":"FG-GEN-LOT","date_filled":"2024-02-29","quantity":12.5,"uom":"Gallon"}]}`,
		`{"source":"api","arguments":{"allow_record_creation":true,"allow_record_update":false,"should_continue_on_error":false,"dry_run":true},` +
			`"payload":[{"item":"Rosé 2022","bin":"BBL-117","lot":"RM19CASRUT.ZAM","date_filled":"2023-02-29","quantity":-1,"uom":"cs"}]}`,
		`{"source":"api","arguments":{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true},` +
			`"payload":[{"item":{},"bin":[1],"lot":true,"date_filled":5,"quantity":"1e3","uom":null}]}`,
		`{"source":"api","arguments":{"allow_record_creation":false,"allow_record_update":false,"should_continue_on_error":"yes"},"payload":[1]}`,
		`{"source":"csv","arguments":null,"payload":[]}`,
		`{"source":"api","arguments":{},"payload":{}}`,
		`{"source":"api","source":"api","arguments":{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":true},"payload":[{"quantity":1e400,"quantity":"0.0000001"}]}`,
		`[]`, `null`, `{`, `{"payload":[` + strings.Repeat(`{},`, fuzzMaxRecords) + `{}]}`, "\xEF\xBB\xBF{}", `{"item":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeImportJSON(body, fuzzMaxRecords)
		if err != nil {
			checkRequestError(t, err)
			return
		}
		if len(req.Rows) == 0 || len(req.Rows) > fuzzMaxRecords {
			t.Fatalf("accepted %d rows", len(req.Rows))
		}
		if !req.Args.AllowRecordCreation && !req.Args.AllowRecordUpdate {
			t.Fatalf("accepted arguments %+v that allow nothing", req.Args)
		}
		for i, row := range req.Rows {
			if row.Line != i+1 {
				t.Fatalf("row %d has line %d", i, row.Line)
			}
		}
		checkRowsRoundTrip(t, req)
		checkPlan(t, req)
	})
}

// checkRequestError fails unless err is a *vintry.Error with a message whose
// code maps to a 4xx status.
func checkRequestError(t *testing.T, err error) {
	t.Helper()
	var e *vintry.Error
	if !errors.As(err, &e) || e.Message == "" {
		t.Fatalf("err = %#v; want a *vintry.Error with a message", err)
	}
	if status := statusOf[e.Code]; status < 400 || status > 499 {
		t.Fatalf("err %q has code %q, status %d; want a 4xx", e.Message, e.Code, status)
	}
}

// checkRowsRoundTrip encodes the accepted request again and decodes it: the
// arguments and every row's values and type errors must come back the same.
func checkRowsRoundTrip(t *testing.T, req vintry.ImportRequest) {
	t.Helper()
	payload := make([]map[string]json.RawMessage, len(req.Rows))
	for i, row := range req.Rows {
		rec := map[string]json.RawMessage{}
		for c := vintry.Column(0); c < vintry.NumColumns; c++ {
			v := row.Values[c]
			switch {
			case row.TypeErrors[c] != "":
				rec[c.String()] = json.RawMessage(v) // the value's JSON text, as written
			case v != "":
				s, _ := json.Marshal(v)
				rec[c.String()] = s
			}
		}
		payload[i] = rec
	}
	again, err := json.Marshal(map[string]any{
		"source": "api",
		"arguments": map[string]bool{
			"allow_record_creation":    req.Args.AllowRecordCreation,
			"allow_record_update":      req.Args.AllowRecordUpdate,
			"should_continue_on_error": req.Args.ShouldContinueOnError,
			"dry_run":                  req.Args.DryRun,
		},
		"payload": payload,
	})
	if err != nil {
		t.Fatalf("encode again: %v", err)
	}
	got, err := decodeImportJSON(again, fuzzMaxRecords)
	if err != nil {
		t.Fatalf("re-encoded body %s rejected: %v", again, err)
	}
	if got.Args != req.Args || len(got.Rows) != len(req.Rows) {
		t.Fatalf("round trip: %+v, %d rows; want %+v, %d rows", got.Args, len(got.Rows), req.Args, len(req.Rows))
	}
	for i := range req.Rows {
		// A number kept as JSON text may be re-indented; compare it compacted.
		want, have := req.Rows[i], got.Rows[i]
		for c := range want.Values {
			if want.TypeErrors[vintry.Column(c)] != "" {
				want.Values[c], have.Values[c] = compact(want.Values[c]), compact(have.Values[c])
			}
		}
		if !reflect.DeepEqual(want, have) {
			t.Fatalf("row %d round trip:\n got %+v\nwant %+v", i, have, want)
		}
	}
}

func compact(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// checkPlan runs the importer on the accepted rows and checks that its plan
// accounts for every row and writes only valid quantities.
func checkPlan(t *testing.T, req vintry.ImportRequest) {
	t.Helper()
	p, err := importer.Run(context.Background(), fuzzStore{}, req.Args, req.Rows)
	if err != nil {
		t.Fatalf("importer.Run: %v", err)
	}
	s := p.Summary
	if s.Total != len(req.Rows) || len(p.Rows) != len(req.Rows) {
		t.Fatalf("summary %+v, %d outcomes for %d rows", s, len(p.Rows), len(req.Rows))
	}
	if s.Created+s.Updated+s.Unchanged+s.Failed+notWritten(p) != s.Total {
		t.Fatalf("summary %+v does not add up (%d not written)", s, notWritten(p))
	}
	switch {
	case s.Failed == 0 && p.Status != vintry.StatusCompleted,
		s.Failed > 0 && req.Args.ShouldContinueOnError && p.Status != vintry.StatusCompletedWithErrors,
		s.Failed > 0 && !req.Args.ShouldContinueOnError && (p.Status != vintry.StatusFailed || len(p.Writes) > 0):
		t.Fatalf("status %s with %d writes for summary %+v and %+v", p.Status, len(p.Writes), s, req.Args)
	}
	for i, out := range p.Rows {
		typeErr := false
		for _, e := range req.Rows[i].TypeErrors {
			typeErr = typeErr || e != ""
		}
		if (out.Result == vintry.ResultFailed) != (out.Message != "") || typeErr && out.Result != vintry.ResultFailed {
			t.Fatalf("row %d: result %s, message %q, type errors %q", i, out.Result, out.Message, req.Rows[i].TypeErrors)
		}
	}
	for _, e := range p.Errors {
		if e.Row < 1 || e.Row > len(req.Rows) || e.Message == "" {
			t.Fatalf("error %+v for %d rows", e, len(req.Rows))
		}
	}
	for _, w := range p.Writes {
		q := vintry.FormatQuantity(w.Quantity)
		if _, frac, _ := strings.Cut(q, "."); !w.Quantity.IsPositive() || len(frac) > importer.MaxDecimalPlaces {
			t.Fatalf("write of quantity %s", q)
		}
		if again, msg := importer.ParseQuantity(q); msg != "" || !again.Equal(w.Quantity) {
			t.Fatalf("written quantity %s re-parses to %v, %q", q, again, msg)
		}
	}
	d := importer.NewDecider(req.Args)
	if _, err := d.Decide(context.Background(), fuzzStore{}, req.Rows); err != nil {
		t.Fatalf("Decide: %v", err)
	}
	o, src := d.Finish(), importer.SliceSource(req.Rows)
	if err := importer.WriteStaging(io.Discard, src); err != nil {
		t.Fatalf("WriteStaging: %v", err)
	}
	if err := importer.WriteOutput(io.Discard, src, o); err != nil {
		t.Fatalf("WriteOutput: %v", err)
	}
	if err := importer.WriteErrors(io.Discard, o); err != nil {
		t.Fatalf("WriteErrors: %v", err)
	}
	if _, err := importer.InputCSV(req.Rows); err != nil {
		t.Fatalf("InputCSV: %v", err)
	}
}

func notWritten(p *importer.Plan) int {
	n := 0
	for _, r := range p.Rows {
		if r.Result == vintry.ResultNotWritten {
			n++
		}
	}
	return n
}

// fuzzStore is a fixed catalog: a few names of each kind, and one stored
// record (CAB 2019 / SS-01 / FG-GEN-LOT / 2024-02-29, 10 gallons).
type fuzzStore struct{}

var fuzzCatalog = map[string][]string{
	"items": {"ZAMNVCAS19", "CAB 2019", "Rosé 2022", "Straße"},
	"bins":  {"SS-01", "BBL-117"},
	"lots":  {"RM19CASRUT.ZAM", "FG-GEN-LOT"},
	"uoms":  {"Gallon", "Liter", "cs"},
	"abbrs": {"gal", "L", "CS12"},
}

func fuzzRefs(kind string, names []string) importer.Refs {
	r := importer.Refs{Exact: map[string]int64{}, Folded: map[string]string{}}
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[vintry.FoldName(n)] = true
	}
	for i, name := range fuzzCatalog[kind] {
		if f := vintry.FoldName(name); wanted[f] {
			r.Exact[name] = int64(i + 1)
			if _, ok := r.Folded[f]; !ok {
				r.Folded[f] = name
			}
		}
	}
	return r
}

func (fuzzStore) LoadCatalog(ctx context.Context, names importer.Names) (*importer.Catalog, error) {
	return &importer.Catalog{
		Items: fuzzRefs("items", names.Items), Bins: fuzzRefs("bins", names.Bins), Lots: fuzzRefs("lots", names.Lots),
		UOMs: fuzzRefs("uoms", names.UOMs), UOMAbbrs: fuzzRefs("abbrs", names.UOMs),
	}, nil
}

func (fuzzStore) LoadRecords(ctx context.Context, keys []importer.Key) (map[importer.Key]importer.Record, error) {
	out := map[importer.Key]importer.Record{}
	stored := importer.Key{ItemID: 2, BinID: 1, LotID: 2, DateFilled: "2024-02-29"}
	for _, k := range keys {
		if k == stored {
			out[k] = importer.Record{ID: 1, Quantity: decimal.NewFromInt(10), UOMID: 1}
		}
	}
	return out, nil
}
