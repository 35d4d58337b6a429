package importer_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

const (
	msgPlaces = "The quantity may have at most 6 decimal places."
	msgLarge  = "The quantity must be less than 1000000000000000."
)

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical form when accepted
		msg  string // error message when rejected
	}{
		{in: "5000.000", want: "5000"},
		{in: "0.30", want: "0.3"},
		{in: "007", want: "7"},
		{in: ".5", want: "0.5"},
		{in: "1", want: "1"},
		{in: "59.25", want: "59.25"},
		{in: "1234567.123456", want: "1234567.123456"},
		{in: "0.000001", want: "0.000001"},
		{in: "1.5000000", want: "1.5"}, // trailing zeros are not decimal places of the value
		{in: "100", want: "100"},
		{in: "10.0", want: "10"},
		{in: "999999999999999.999999", want: "999999999999999.999999"}, // 15 integer digits
		{in: "0000000000000001", want: "1"},                            // leading zeros are not digits of the value

		{in: "", msg: importer.MsgQuantityFormat},
		{in: "0", msg: importer.MsgQuantityPositive},
		{in: "0.000", msg: importer.MsgQuantityPositive},
		{in: "00", msg: importer.MsgQuantityPositive},
		{in: ".0", msg: importer.MsgQuantityPositive},
		{in: "0.0000001", msg: msgPlaces}, // too fine to store, not zero
		{in: "-1", msg: importer.MsgQuantityPositive},
		{in: "-0", msg: importer.MsgQuantityPositive},
		{in: "-.5", msg: importer.MsgQuantityPositive},
		{in: "0.1234567", msg: msgPlaces},
		{in: "1.0000001", msg: msgPlaces},
		{in: "1000000000000000", msg: msgLarge}, // 16 integer digits
		{in: "1234567890123456.5", msg: msgLarge},
		{in: "1e3", msg: importer.MsgQuantityFormat},
		{in: "1E3", msg: importer.MsgQuantityFormat},
		{in: "1,000", msg: importer.MsgQuantityFormat},
		{in: "1,5", msg: importer.MsgQuantityFormat},
		{in: "1 000", msg: importer.MsgQuantityFormat},
		{in: "1_000", msg: importer.MsgQuantityFormat},
		{in: "+5", msg: importer.MsgQuantityFormat},
		{in: "NaN", msg: importer.MsgQuantityFormat},
		{in: "Infinity", msg: importer.MsgQuantityFormat},
		{in: "-Infinity", msg: importer.MsgQuantityFormat},
		{in: "0x10", msg: importer.MsgQuantityFormat},
		{in: "1.2.3", msg: importer.MsgQuantityFormat},
		{in: ".", msg: importer.MsgQuantityFormat},
		{in: "abc", msg: importer.MsgQuantityFormat},
		{in: "٣", msg: importer.MsgQuantityFormat}, // Arabic-Indic digit three
		{in: "５", msg: importer.MsgQuantityFormat}, // full-width five
		{in: "5\n", msg: importer.MsgQuantityFormat},
		{in: strings.Repeat("9", 10000), msg: msgLarge},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, msg := importer.ParseQuantity(tt.in)
			if msg != tt.msg {
				t.Fatalf("ParseQuantity(%q) message = %q, want %q", tt.in, msg, tt.msg)
			}
			if tt.msg != "" {
				return
			}
			if got := vintry.FormatQuantity(q); got != tt.want {
				t.Errorf("ParseQuantity(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if !q.Equal(decimal.RequireFromString(tt.want)) {
				t.Errorf("ParseQuantity(%q) = %v, not equal to %s", tt.in, q, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"2024-02-29", true}, // leap day
		{"2000-02-29", true}, // divisible by 400
		{"2023-12-31", true},
		{"0001-01-01", true},
		{"9999-12-31", true},
		{"2023-02-29", false},
		{"1900-02-29", false}, // divisible by 100, not by 400
		{"2023-04-31", false},
		{"2023-13-01", false},
		{"2023-00-10", false},
		{"2023-01-00", false},
		{"2023-01-32", false},
		{"0000-01-01", false},
		{"2023-1-01", false},
		{"2023-01-1", false},
		{"23-01-01", false},
		{"2023/01/01", false},
		{"20230101", false},
		{"01/02/2023", false},
		{"2023-01-01T00:00:00Z", false},
		{"2023-01-01 00:00", false},
		{"2023-01-01\n", false},
		{"+2023-01-01", false},
		{"-2023-01-01", false},
		{"１２３４-01-01", false}, // full-width digits
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, msg := importer.ParseDate(tt.in)
			switch {
			case tt.ok && (msg != "" || got != tt.in):
				t.Errorf("ParseDate(%q) = %q, %q; want it accepted unchanged", tt.in, got, msg)
			case !tt.ok && (msg != importer.MsgDateFormat || got != ""):
				t.Errorf("ParseDate(%q) = %q, %q; want rejected with %q", tt.in, got, msg, importer.MsgDateFormat)
			}
		})
	}
}

// plainDecimal is an input that looks like a plain decimal number.
var plainDecimal = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?|\.[0-9]+)$`)

// canonicalQuantity is the canonical form of §7: no sign, exponent, leading
// zeros (except "0.x"), trailing zeros after the point or bare point.
var canonicalQuantity = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$`)

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"5000.000", "0.30", "007", ".5", "1e3", "-1", "1,000", "1.5000000", "0.0000001", "999999999999999.999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, msg := importer.ParseQuantity(s)
		if msg != "" {
			if !q.IsZero() {
				t.Errorf("ParseQuantity(%q) rejected with %q but returned %v", s, msg, q)
			}
			return
		}
		if !plainDecimal.MatchString(s) {
			t.Fatalf("ParseQuantity(%q) accepted input that is not a plain decimal", s)
		}
		if !q.IsPositive() {
			t.Fatalf("ParseQuantity(%q) = %v, not positive", s, q)
		}
		c := vintry.FormatQuantity(q)
		if !canonicalQuantity.MatchString(c) {
			t.Fatalf("ParseQuantity(%q) canonical form %q is not canonical", s, c)
		}
		if _, frac, _ := strings.Cut(c, "."); len(frac) > importer.MaxDecimalPlaces {
			t.Fatalf("ParseQuantity(%q) = %q has more than %d decimals", s, c, importer.MaxDecimalPlaces)
		}
		if intPart, _, _ := strings.Cut(c, "."); len(intPart) > importer.MaxQuantityDigits {
			t.Fatalf("ParseQuantity(%q) = %q has more than %d integer digits", s, c, importer.MaxQuantityDigits)
		}
		again, msg := importer.ParseQuantity(c)
		if msg != "" || !again.Equal(q) || vintry.FormatQuantity(again) != c {
			t.Fatalf("canonical %q of %q re-parses to %v, %q", c, s, again, msg)
		}
		if want, err := decimal.NewFromString(s); err != nil || !want.Equal(q) {
			t.Fatalf("ParseQuantity(%q) = %v, decimal parses %v (%v)", s, q, want, err)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "0000-01-01", "2023-1-01", "2023-01-01T00:00:00Z", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, msg := importer.ParseDate(s)
		parsed, err := time.Parse(time.DateOnly, s)
		real := err == nil && parsed.Format(time.DateOnly) == s && parsed.Year() >= 1
		if msg != "" {
			if got != "" {
				t.Errorf("ParseDate(%q) rejected with %q but returned %q", s, msg, got)
			}
			if real {
				t.Fatalf("ParseDate(%q) rejected a real date: %q", s, msg)
			}
			return
		}
		if got != s {
			t.Fatalf("ParseDate(%q) = %q, want the input unchanged", s, got)
		}
		if !real {
			t.Fatalf("ParseDate(%q) accepted, but time.Parse gives %v, %v", s, parsed, err)
		}
	})
}
