package importer

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// MaxQuantityDigits bounds the integer part of a quantity (so every quantity
// fits NUMERIC(21,6) and no client can send a 10 KB number).
const MaxQuantityDigits = 15

// MaxDecimalPlaces is the finest quantity the inventory stores.
const MaxDecimalPlaces = 6

var (
	quantityPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$|^\.[0-9]+$`)
	negativePattern = regexp.MustCompile(`^-[0-9]*\.?[0-9]+$`)
	datePattern     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// Messages for quantity and date values.
const (
	MsgQuantityFormat   = "The quantity must be a decimal number such as 12 or 59.25, without thousands separators or exponent."
	MsgQuantityPositive = "The quantity must be greater than 0."
	MsgDateFormat       = "The date_filled must be a real date in the format YYYY-MM-DD."
)

var (
	msgQuantityPlaces = fmt.Sprintf("The quantity may have at most %d decimal places.", MaxDecimalPlaces)
	msgQuantityLarge  = fmt.Sprintf("The quantity must be less than 1%s.", strings.Repeat("0", MaxQuantityDigits))
)

// ParseQuantity parses a trimmed quantity: a positive decimal with at most
// six significant decimal places, no sign, thousands separator or exponent.
// The error is a client-facing message.
func ParseQuantity(s string) (decimal.Decimal, string) {
	if !quantityPattern.MatchString(s) {
		if negativePattern.MatchString(s) {
			return decimal.Decimal{}, MsgQuantityPositive
		}
		return decimal.Decimal{}, MsgQuantityFormat
	}
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if len(intPart) > MaxQuantityDigits {
		return decimal.Decimal{}, msgQuantityLarge
	}
	if len(frac) > MaxDecimalPlaces {
		return decimal.Decimal{}, msgQuantityPlaces
	}
	if intPart == "" && frac == "" {
		return decimal.Decimal{}, MsgQuantityPositive
	}
	canonical := intPart
	if canonical == "" {
		canonical = "0"
	}
	if frac != "" {
		canonical += "." + frac
	}
	q, err := decimal.NewFromString(canonical)
	if err != nil { // unreachable after the pattern check; kept as a guard
		return decimal.Decimal{}, MsgQuantityFormat
	}
	return q, ""
}

// ParseDate checks a trimmed YYYY-MM-DD calendar date (year 0001–9999) and
// returns it unchanged, or a client-facing message.
func ParseDate(s string) (string, string) {
	if !datePattern.MatchString(s) {
		return "", MsgDateFormat
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1 {
		return "", MsgDateFormat
	}
	return s, ""
}
