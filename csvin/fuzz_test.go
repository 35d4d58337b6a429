package csvin_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

// addSamples adds every file in testdata/ to the seed corpus.
func addSamples(f *testing.F) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no samples in testdata: %v", err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzReader reads any bytes the way an upload is read. It must never
// panic; errors are client errors; header and record lines are at least 1,
// increase, and stay within the file's lines; every string is valid UTF-8.
func FuzzReader(f *testing.F) {
	addSamples(f)
	for _, s := range []string{"", "\xEF\xBB\xBF", "a,b\n\"x\ny\",z\n1,2", "a;b\r\n\"1;2", "\xFF\xFEa\x00,\x00b\x00\n\x00",
		"\xFE\xFF\x00a\x00\n\x00\"", "\n\n,,\n a \t b\n", "a\"b", "\"a\"\"\"", "Ros\xE9;x\r\n\xE9\r"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		csvin.LooksLikeText(data[:min(len(data), 4096)])
		enc, err := csvin.DetectEncoding(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("DetectEncoding: %v", err)
		}
		r, err := csvin.NewReader(bytes.NewReader(data), enc)
		if err != nil {
			checkClientError(t, err)
			return
		}
		maxLine := bytes.Count(data, []byte{'\n'}) + 1
		checkLine(t, r.HeaderLine(), 0, maxLine)
		checkUTF8(t, r.Header())
		m, _ := csvin.ResolveMapping(r.Header(), false, nil) // the zero Mapping on error
		for last := r.HeaderLine(); ; {
			rec, err := r.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				checkClientError(t, err)
				break
			}
			checkLine(t, rec.Line, last, maxLine)
			checkUTF8(t, rec.Fields)
			m.Values(rec)
			last = rec.Line
		}
	})
}

// checkLine fails unless last < line <= max.
func checkLine(t *testing.T, line, last, max int) {
	t.Helper()
	if line < 1 || line <= last || line > max {
		t.Fatalf("line %d after line %d, in a file of %d lines", line, last, max)
	}
}

// checkUTF8 fails unless every string is valid UTF-8.
func checkUTF8(t *testing.T, fields []string) {
	t.Helper()
	for _, s := range fields {
		if !utf8.ValidString(s) {
			t.Fatalf("field %q is not valid UTF-8", s)
		}
	}
}

// checkClientError fails unless err is an EINVALID *vintry.Error.
func checkClientError(t *testing.T, err error) {
	t.Helper()
	var e *vintry.Error
	if !errors.As(err, &e) || e.Code != vintry.EINVALID || e.Message == "" {
		t.Fatalf("err = %v; want an EINVALID *vintry.Error", err)
	}
}

// FuzzParseFieldMappings parses any field_mappings value. It must never
// panic; a failure is a client error; a success is trimmed, has no duplicate
// headers, round-trips through JSON, and resolves against a header without
// panicking.
func FuzzParseFieldMappings(f *testing.F) {
	f.Add(`{"Item Code":"item_name","Warehouse Bin":"bin_name","Batch No":"lot_name","Fill Date":"date_filled","Qty":"quantity","UOM":"uom"}`,
		"Item Code,Warehouse Bin,Batch No,Fill Date,Qty,UOM", false)
	f.Add(`{"SKU":"item_name"," x ":null,"y":""}`, "SKU,bin_name,lot_name,date_filled,quantity,uom,x", false)
	f.Add(`{"a":"item_name","b":"item_name","c":"bogus"}`, "a,b,,", true)
	f.Add(`{"a":1}`, "", false)
	f.Add(`{"a":"b","a":"c"}`, "a", false)
	f.Add(`[{"a":"b"}]`, "a", false)
	f.Add(`{"\u00e9\ud800":"\u0000"}`, "\u00e9", false)
	f.Fuzz(func(t *testing.T, raw, header string, exact bool) {
		fm, err := csvin.ParseFieldMappings(raw)
		if err != nil {
			if fm != nil {
				t.Fatalf("got %q with an error", fm)
			}
			checkClientError(t, err)
			return
		}
		checkParsedMappings(t, fm)
		checkRoundTrip(t, fm)
		names := strings.Split(header, ",")
		for i := range names {
			names[i] = strings.TrimSpace(names[i]) // as Reader.Header returns them
		}
		resolveAny(t, names, exact, fm)
		keys := make([]string, 0, len(fm)+len(csvin.Columns))
		for _, m := range fm {
			keys = append(keys, m.Header)
		}
		resolveAny(t, append(keys, csvin.Columns[:]...), exact, fm)
	})
}

// checkParsedMappings checks that fm is non-nil, trimmed and without
// duplicate headers.
func checkParsedMappings(t *testing.T, fm csvin.FieldMappings) {
	t.Helper()
	if fm == nil {
		t.Fatal("nil FieldMappings without an error")
	}
	seen := map[string]bool{}
	for _, m := range fm {
		if m.Header != strings.TrimSpace(m.Header) || m.Target != strings.TrimSpace(m.Target) || seen[m.Header] {
			t.Fatalf("mapping %q untrimmed or duplicate in %q", m, fm)
		}
		seen[m.Header] = true
	}
}

// checkRoundTrip encodes fm as a JSON object and parses it again.
func checkRoundTrip(t *testing.T, fm csvin.FieldMappings) {
	t.Helper()
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range fm {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Header)
		v, _ := json.Marshal(m.Target)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	again, err := csvin.ParseFieldMappings(b.String())
	if err != nil || !slices.Equal(again, fm) {
		t.Fatalf("round trip of %q: got %q, %v", fm, again, err)
	}
}

// resolveAny resolves header; on success every column has a source in the
// header and Values works on a record of any length.
func resolveAny(t *testing.T, header []string, exact bool, fm csvin.FieldMappings) {
	t.Helper()
	m, err := csvin.ResolveMapping(header, exact, fm)
	if err != nil {
		checkClientError(t, err)
		return
	}
	for i := range csvin.Columns {
		if !slices.Contains(header, m.Source(i)) || m.Source(i) == "" {
			t.Fatalf("column %d from %q, not a header of %q", i, m.Source(i), header)
		}
	}
	m.Values(csvin.Record{Line: 2, Fields: header})
	m.Values(csvin.Record{Line: 2, Fields: header[:len(header)/2]})
}
