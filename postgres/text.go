package postgres

import (
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// validText reports whether PostgreSQL can hold s as text: valid UTF-8
// without NUL. A name that is not can match no stored name, so lookups
// answer "not found" for it without asking the database (which would fail
// the query instead).
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// storableText returns s with NUL and each byte that is not UTF-8 replaced
// by U+FFFD (as encoding/json shows such bytes), for free text that is
// stored as the client sent it (a file name, the field_mappings JSON).
func storableText(s string) string {
	if validText(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0 || (r == utf8.RuneError && size == 1) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

// numeric returns q as a NUMERIC parameter, exactly.
func numeric(q decimal.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: new(big.Int).Set(q.Coefficient()), Exp: q.Exponent(), Valid: true}
}

// decimalOf returns a scanned NUMERIC as a decimal, exactly; ok is false for
// NULL.
func decimalOf(n pgtype.Numeric) (q decimal.Decimal, ok bool) {
	if !n.Valid || n.NaN || n.InfinityModifier != pgtype.Finite || n.Int == nil {
		return decimal.Decimal{}, false
	}
	return decimal.NewFromBigInt(n.Int, n.Exp), true
}

// dateText formats a scanned DATE as YYYY-MM-DD.
func dateText(d time.Time) string { return d.Format(time.DateOnly) }
