package csvin_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

// parsed is everything a Reader produced from one input.
type parsed struct {
	enc        csvin.Encoding
	delim      rune
	header     []string
	headerLine int
	records    []csvin.Record
}

// readAll detects the encoding of data and reads it to the end, copying
// every record. It returns the first error.
func readAll(t *testing.T, data []byte) (parsed, error) {
	t.Helper()
	var p parsed
	enc, err := csvin.DetectEncoding(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("DetectEncoding: %v", err)
	}
	p.enc = enc
	r, err := csvin.NewReader(bytes.NewReader(data), enc)
	if err != nil {
		return p, err
	}
	p.delim, p.header, p.headerLine = r.Delimiter(), r.Header(), r.HeaderLine()
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return p, nil
		} else if err != nil {
			return p, err
		}
		p.records = append(p.records, csvin.Record{Line: rec.Line, Fields: slices.Clone(rec.Fields)})
	}
}

// utf16File encodes s as UTF-16 with a byte order mark.
func utf16File(s string, littleEndian bool) []byte {
	out := []byte{0xFE, 0xFF}
	if littleEndian {
		out = []byte{0xFF, 0xFE}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if littleEndian {
			out = append(out, byte(u), byte(u>>8))
		} else {
			out = append(out, byte(u>>8), byte(u))
		}
	}
	return out
}

// rec builds an expected record.
func rec(line int, fields ...string) csvin.Record {
	return csvin.Record{Line: line, Fields: fields}
}

func TestReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         []byte
		enc        csvin.Encoding
		delim      rune
		header     []string
		headerLine int
		records    []csvin.Record
	}{
		{"BOM and CRLF", []byte("\xEF\xBB\xBFa,b\r\n1,2\r\n3,4\r\n"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "1", "2"), rec(3, "3", "4")}},
		{"semicolon", []byte("a;b;c\n1;2,5;3\n"), csvin.UTF8, ';', []string{"a", "b", "c"}, 1,
			[]csvin.Record{rec(2, "1", "2,5", "3")}},
		{"tab", []byte("a\tb\n1\t2\n"), csvin.UTF8, '\t', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "1", "2")}},
		{"semicolon wins a tie with tab", []byte("a;b\tc\n"), csvin.UTF8, ';', []string{"a", "b\tc"}, 1, nil},
		{"more tabs than semicolons", []byte("a\tb\tc;d\n"), csvin.UTF8, '\t', []string{"a", "b", "c;d"}, 1, nil},
		{"a comma wins", []byte("a;b,c\n"), csvin.UTF8, ',', []string{"a;b", "c"}, 1, nil},
		{"quoted comma does not count", []byte("\"a,b\";c\n1;2\n"), csvin.UTF8, ';', []string{"a,b", "c"}, 1,
			[]csvin.Record{rec(2, "1", "2")}},
		{"quoted commas", []byte("a,b\n\"x,y\",z\n"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "x,y", "z")}},
		{"quoted newlines", []byte("a,b\n\"l1\nl2\nl3\",z\n3,4\n"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "l1\nl2\nl3", "z"), rec(5, "3", "4")}},
		{"quoted CRLF newlines", []byte("a,b\r\n\"l1\r\nl2\",z\r\n3,4\r\n"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "l1\nl2", "z"), rec(4, "3", "4")}},
		{"doubled quotes", []byte("a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, `say "hi"`, `"`)}},
		{"Windows-1252", []byte("item;qty\nRos\xE9 2022;12\n"), csvin.Windows1252, ';', []string{"item", "qty"}, 1,
			[]csvin.Record{rec(2, "Rosé 2022", "12")}},
		{"Windows-1252 with a UTF-8 BOM", []byte("\xEF\xBB\xBFitem\nRos\xE9\n"), csvin.Windows1252, ',', []string{"item"}, 1,
			[]csvin.Record{rec(2, "Rosé")}},
		{"UTF-16LE", utf16File("a,b\r\nRosé,😀\r\n\r\n3,4\r\n", true), csvin.UTF16LE, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "Rosé", "😀"), rec(4, "3", "4")}},
		{"UTF-16BE", utf16File("a;b\nRosé;2\n", false), csvin.UTF16BE, ';', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "Rosé", "2")}},
		{"blank lines and empty records", []byte("\n \n,,\na,b\n\n1,2\n,,\n  ,\t\n\r\n3,4\n\n"), csvin.UTF8, ',', []string{"a", "b"}, 4,
			[]csvin.Record{rec(6, "1", "2"), rec(10, "3", "4")}},
		{"header names trimmed", []byte(" a , b\t,\n1,2,3\n"), csvin.UTF8, ',', []string{"a", "b", ""}, 1,
			[]csvin.Record{rec(2, "1", "2", "3")}},
		{"header only", []byte("a,b\r\n"), csvin.UTF8, ',', []string{"a", "b"}, 1, nil},
		{"no final newline", []byte("a,b\n1,2"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "1", "2")}},
		{"ragged rows", []byte("a,b,c\n1,2\n1,2,3,4\n5\n"), csvin.UTF8, ',', []string{"a", "b", "c"}, 1,
			[]csvin.Record{rec(2, "1", "2"), rec(3, "1", "2", "3", "4"), rec(4, "5")}},
		{"bare CR line ends", []byte("a,b\r1,2\r\r3,4\r"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "1", "2"), rec(4, "3", "4")}},
		{"bare CR without a final line end", []byte("a;b\r1;2"), csvin.UTF8, ';', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "1", "2")}},
		{"quoted bare CR", []byte("a,b\r\"l1\rl2\",z\r3,4\r"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, "l1\nl2", "z"), rec(4, "3", "4")}},
		{"CR before CRLF", []byte("a,b\r\r\n1,2\r\n"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(3, "1", "2")}},
		{"a header of 1000 columns", []byte(strings.Repeat("h,", 999) + "h\n" + strings.Repeat(",", 999) + "\n1\n"),
			csvin.UTF8, ',', slices.Repeat([]string{"h"}, 1000), 1, []csvin.Record{rec(3, "1")}},
		{"fields are not trimmed", []byte("a,b\n 1 , 2 \n"), csvin.UTF8, ',', []string{"a", "b"}, 1,
			[]csvin.Record{rec(2, " 1 ", " 2 ")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := readAll(t, tt.in)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got.enc != tt.enc || got.delim != tt.delim || got.headerLine != tt.headerLine {
				t.Errorf("enc, delim, header line = %q, %q, %d; want %q, %q, %d",
					got.enc, got.delim, got.headerLine, tt.enc, tt.delim, tt.headerLine)
			}
			if !slices.Equal(got.header, tt.header) {
				t.Errorf("header = %q; want %q", got.header, tt.header)
			}
			checkRecords(t, got.records, tt.records)
		})
	}
}

// checkRecords compares records field by field.
func checkRecords(t *testing.T, got, want []csvin.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records %v; want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Line != want[i].Line || !slices.Equal(got[i].Fields, want[i].Fields) {
			t.Errorf("record %d = %d %q; want %d %q", i, got[i].Line, got[i].Fields, want[i].Line, want[i].Fields)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"empty file", nil, "The file has no header row."},
		{"only a BOM", []byte("\xEF\xBB\xBF"), "The file has no header row."},
		{"only blank lines", []byte("\r\n\n  \n,,,\n\t\n"), "The file has no header row."},
		{"only a UTF-16 BOM", []byte{0xFF, 0xFE}, "The file has no header row."},
		{"unterminated quote", []byte("a,b\n1,2\n\"x,3\n4,5\n"),
			`Line 3: extraneous or missing " in quoted field (detected on line 4)`},
		{"text after a closing quote", []byte("a,b\n1,2\n\n\n\n\n\"x\"y,3\n"), `Line 7: extraneous or missing " in quoted field`},
		{"bare quote", []byte("a,b\r\n1,x\"y\r\n"), `Line 2: bare " in non-quoted field`},
		{"bare quote in the header", []byte("\n\na\"b,c\n"), `Line 3: bare " in non-quoted field`},
		{"a header of 1001 columns", []byte(strings.Repeat("h,", 1000) + "h\n1\n"),
			"The header has 1001 columns; at most 1000 are allowed."},
		{"a header of 4 million columns", []byte("\n,,,\n" + strings.Repeat(",", 4_000_000) + "h\n1\n"),
			"The header has 4000001 columns; at most 1000 are allowed."},
		{"a quoted header over the limit", []byte(strings.Repeat(`"a,b",`, 1200) + "\"x\ny\"\n1\n"),
			"The header has 1201 columns; at most 1000 are allowed."},
		{"a blank line over the limit", []byte("\n" + strings.Repeat(",", 2000) + "\na\n"),
			"Line 2 has 2001 fields; at most 1000 are allowed."},
		{"a data row over the limit", []byte("a,b\n1,2\n\"x\ny\"" + strings.Repeat(",", 3000) + "\n1,2\n"),
			"Line 3 has 3001 fields; at most 1000 are allowed."},
		{"a data row over the limit at the end", []byte("a,b\r" + strings.Repeat(",", 3000)),
			"Line 2 has 3001 fields; at most 1000 are allowed."},
		{"unterminated quote in UTF-16", utf16File("a,b\r\n\"1\r\n2\r\n", true),
			`Line 2: extraneous or missing " in quoted field (detected on line 3)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := readAll(t, tt.in)
			var e *vintry.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v; want a *vintry.Error", err)
			}
			if e.Code != vintry.EINVALID || e.Message != tt.msg {
				t.Errorf("err = %s %q; want %s %q", e.Code, e.Message, vintry.EINVALID, tt.msg)
			}
			if !slices.Equal(e.Fields["file"], []string{tt.msg}) {
				t.Errorf("Fields = %q; want the message under \"file\"", e.Fields)
			}
		})
	}
}

// TestReaderSmallReads reads line ends and wide records one byte at a time,
// so every CR and every field falls on a read boundary.
func TestReaderSmallReads(t *testing.T) {
	t.Parallel()
	r, err := csvin.NewReader(iotest.OneByteReader(strings.NewReader("a,b\r\r1,\"x\ry\"\r\n3,4\r")), csvin.UTF8)
	if err != nil {
		t.Fatal(err)
	}
	var got []csvin.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got = append(got, csvin.Record{Line: rec.Line, Fields: slices.Clone(rec.Fields)})
	}
	checkRecords(t, got, []csvin.Record{rec(3, "1", "x\ny"), rec(5, "3", "4")})

	_, err = csvin.NewReader(iotest.OneByteReader(strings.NewReader("\r"+strings.Repeat("h,", 1500)+"\r1\r")), csvin.UTF8)
	if want := "The header has 1501 columns; at most 1000 are allowed."; vintry.ErrorMessage(err) != want {
		t.Errorf("err = %v; want %q", err, want)
	}
}

func TestReaderReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, enc := range []csvin.Encoding{csvin.UTF8, csvin.Windows1252, csvin.UTF16LE} {
		r := io.MultiReader(bytes.NewReader([]byte("a,b\n1,2\n")), errReader{boom})
		_, err := csvin.NewReader(r, enc)
		if !errors.Is(err, boom) || vintry.ErrorCode(err) != vintry.EINTERNAL {
			t.Errorf("%s: err = %v; want the read error, wrapped", enc, err)
		}
	}
	if _, err := csvin.NewReader(bytes.NewReader(nil), "latin-9"); err == nil {
		t.Error("unknown encoding: err = nil")
	}
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestReaderSamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		enc     csvin.Encoding
		delim   rune
		header  []string
		records []csvin.Record
	}{
		{"inventory-exact.csv", csvin.UTF8, ',', csvin.Columns[:], []csvin.Record{
			rec(2, "ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", "5000", "Gallon"),
			rec(3, "ZAMNVCAS19", "SS-02", "RM19CASSH.ZAM", "2022-07-08", "5000", "Gallon"),
			rec(4, "ZAMNVCAS20", "SS-03", "RM20CASRUT.ZAM", "2022-07-08", "20000", "Gallon"),
			rec(5, "ZAMNVCAS20", "BBL-117", "RM20CASRUT.ZAM", "2022-09-14", "59.25", "gal"),
			rec(6, "122-16", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01", "879", "9LE Case"),
			rec(7, "124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04", "2310", "9LE"),
		}},
		{"erp-export-bom-crlf.csv", csvin.UTF8, ',',
			[]string{"Item Code", "Warehouse Bin", "Batch No", "Fill Date", "Qty", "UOM"}, []csvin.Record{
				rec(2, "ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", "5100", "Gallon"),
				rec(3, "122-16", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01", "880", "9LE Case"),
			}},
		{"europe-semicolon-cp1252.csv", csvin.Windows1252, ';',
			[]string{"Artikel", "Lagerplatz", "Charge", "Abfülldatum", "Menge", "Einheit"}, []csvin.Record{
				rec(2, "124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-04-04", "2300", "9LE"),
				rec(3, "Rosé 2022", "FG-GEN-BIN", "FG-GEN-LOT", "2024-05-01", "12", "9LE"),
			}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, data)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got.enc != tt.enc || got.delim != tt.delim || got.headerLine != 1 || !slices.Equal(got.header, tt.header) {
				t.Errorf("got %q %q line %d %q; want %q %q line 1 %q",
					got.enc, got.delim, got.headerLine, got.header, tt.enc, tt.delim, tt.header)
			}
			checkRecords(t, got.records, tt.records)
		})
	}
}

func TestReaderLocationsSample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "locations.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, data)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	want := []string{"entity_type", "name", "parent_name", "description", "bin_type", "external_system_id"}
	if !slices.Equal(got.header, want) {
		t.Errorf("header = %q; want %q", got.header, want)
	}
	for i, r := range got.records {
		if r.Line != i+2 || len(r.Fields) != len(want) {
			t.Errorf("record %d: line %d with %d fields; want line %d with %d", i, r.Line, len(r.Fields), i+2, len(want))
		}
	}
}
