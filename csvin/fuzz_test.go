package csvin_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
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
// increase, and stay within the file's lines; every string is valid UTF-8;
// the detected encoding is the one the bytes must be read in.
func FuzzReader(f *testing.F) {
	addSamples(f)
	for _, s := range []string{"", "\xEF\xBB\xBF", "a,b\n\"x\ny\",z\n1,2", "a;b\r\n\"1;2", "\xFF\xFEa\x00,\x00b\x00\n\x00",
		"\xFE\xFF\x00a\x00\n\x00\"", "\n\n,,\n a \t b\n", "a\"b", "\"a\"\"\"", "Ros\xE9;x\r\n\xE9\r",
		"a,b\r1,2\r", "a\r\"x\ry\"\r\n", ",,,,\ra,b,c\r1,2,3,4"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		csvin.LooksLikeText(data[:min(len(data), 4096)])
		enc, err := csvin.DetectEncoding(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("DetectEncoding: %v", err)
		}
		checkEncoding(t, data, enc)
		r, err := csvin.NewReader(bytes.NewReader(data), enc)
		if err != nil {
			checkClientError(t, err)
			return
		}
		// LF, CRLF and a bare CR each end a line.
		maxLine := bytes.Count(data, []byte{'\n'}) + bytes.Count(data, []byte{'\r'}) + 1
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
			if len(rec.Fields) > csvin.MaxColumns {
				t.Fatalf("line %d has %d fields; at most %d may pass", rec.Line, len(rec.Fields), csvin.MaxColumns)
			}
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

// fuzzMaxRows is a small row limit, so the fuzzer reaches it.
const fuzzMaxRows = 20

// FuzzReadUpload reads any bytes the way a CSV import job does: encoding
// detection and transcoding, delimiter sniffing, header mapping (with a
// field_mappings value) and every row. It must never panic; errors are client
// errors; the encoding is UTF-16 only with its byte order mark, UTF-8 exactly
// when the bytes are valid UTF-8, and Windows-1252 otherwise; rows are at most
// fuzzMaxRows, on increasing lines, valid UTF-8 and trimmed; and writing the
// rows again as a plain UTF-8 CSV reads back the same values.
func FuzzReadUpload(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no samples in testdata: %v", err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "", false)
		f.Add(data, "", true)
	}
	f.Add([]byte("Item Code;Warehouse Bin;Batch No;Fill Date;Qty;UOM\r\nCAB;SS-01;L1;2024-01-01;1,5;gal\r\n"),
		`{"Item Code":"item_name","Warehouse Bin":"bin_name","Batch No":"lot_name","Fill Date":"date_filled","Qty":"quantity","UOM":"uom"}`, false)
	f.Add([]byte("\xFF\xFEi\x00t\x00e\x00m\x00\n\x00x\x00\n\x00"), "", false)
	f.Add([]byte("\xEF\xBB\xBFitem,bin,lot,date,qty,uom\nRos\xE9,\"a\r\nb\",,,,\n"), "", false)
	f.Add([]byte("item\tbin\tlot\tdate_filled\tquantity\tuom\n\t\t\t\t\t\n x \t\"\"\"\"\t\t\t1\t\n"), "", false)
	f.Fuzz(func(t *testing.T, data []byte, mappings string, exact bool) {
		fm, err := csvin.ParseFieldMappings(mappings)
		if err != nil {
			fm = nil
		}
		u, rows, err := readUpload(t, data, exact, fm)
		if err != nil {
			checkClientError(t, err)
			return
		}
		checkEncoding(t, data, u.Encoding)
		if len(rows) == 0 || len(rows) > fuzzMaxRows {
			t.Fatalf("%d rows", len(rows))
		}
		// LF, CRLF and a bare CR each end a line.
		maxLine := bytes.Count(data, []byte{'\n'}) + bytes.Count(data, []byte{'\r'}) + 1
		last := 1
		for _, row := range rows {
			checkLine(t, row.Line, last, maxLine)
			last = row.Line
			checkUTF8(t, row.Values[:])
			for _, v := range row.Values {
				if v != strings.TrimSpace(v) {
					t.Fatalf("value %q not trimmed", v)
				}
			}
		}
		checkUploadRoundTrip(t, rows)
	})
}

// readUpload reads an import file as a job does, in chunks of 3 rows, and
// checks that reading it in one chunk gives the same rows and error, and
// that CheckUpload agrees on both.
func readUpload(t *testing.T, data []byte, exact bool, fm csvin.FieldMappings) (*csvin.Upload, []vintry.ImportRow, error) {
	t.Helper()
	u, err := csvin.OpenUpload(bytes.NewReader(data), int64(len(data)), exact, fm, fuzzMaxRows)
	count, checkErr := csvin.CheckUpload(data, exact, fm, fuzzMaxRows)
	if err != nil {
		if checkErr == nil || checkErr.Error() != err.Error() {
			t.Fatalf("OpenUpload: %v; CheckUpload: %v", err, checkErr)
		}
		return nil, nil, err
	}
	read := func(chunk int) ([]vintry.ImportRow, error) {
		var rows []vintry.ImportRow
		err := u.Each(chunk, func(chunk []vintry.ImportRow) error {
			rows = append(rows, chunk...)
			return nil
		})
		return rows, err
	}
	rows, err := read(3)
	whole, wholeErr := read(fuzzMaxRows)
	if fmt.Sprint(err) != fmt.Sprint(wholeErr) || fmt.Sprint(err) != fmt.Sprint(checkErr) {
		t.Fatalf("errors differ: chunks of 3: %v; one chunk: %v; CheckUpload: %v", err, wholeErr, checkErr)
	}
	if err != nil {
		return nil, nil, err
	}
	if !reflect.DeepEqual(rows, whole) || count != len(rows) {
		t.Fatalf("chunks of 3 read %d rows, one chunk %d, CheckUpload counted %d", len(rows), len(whole), count)
	}
	return u, rows, nil
}

// checkEncoding fails unless enc is the encoding data must be read in.
func checkEncoding(t *testing.T, data []byte, enc csvin.Encoding) {
	t.Helper()
	var want csvin.Encoding
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		want = csvin.UTF16LE
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		want = csvin.UTF16BE
	case utf8.Valid(data):
		want = csvin.UTF8
	default:
		want = csvin.Windows1252
	}
	if enc != want {
		t.Fatalf("read as %s, want %s", enc, want)
	}
}

// checkUploadRoundTrip writes u's rows as a UTF-8 CSV with the canonical
// header and reads it again: the same values come back (CRLF inside a quoted
// field reads as LF; rows whose mapped values are all empty are skipped).
func checkUploadRoundTrip(t *testing.T, rows []vintry.ImportRow) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(csvin.Columns[:])
	var want [][6]string
	for _, row := range rows {
		if blankValues(row.Values) {
			continue
		}
		_ = w.Write(row.Values[:])
		v := row.Values
		for i := range v {
			v[i] = strings.ReplaceAll(v[i], "\r\n", "\n")
		}
		want = append(want, v)
	}
	w.Flush()
	_, again, err := readUpload(t, b.Bytes(), true, nil)
	if len(want) == 0 {
		if err == nil {
			t.Fatalf("%d blank rows read again as %d rows", len(rows), len(again))
		}
		return
	}
	if err != nil {
		t.Fatalf("rows written again as %q: %v", b.String(), err)
	}
	if len(again) != len(want) {
		t.Fatalf("%d rows written again as %q read as %d", len(want), b.String(), len(again))
	}
	for i, row := range again {
		if row.Values != want[i] {
			t.Fatalf("row %d: wrote %q, read %q", i, want[i], row.Values)
		}
	}
}

func blankValues(v [6]string) bool {
	for _, s := range v {
		if s != "" {
			return false
		}
	}
	return true
}
