package store

import (
	"fmt"
	"time"
)

// Date is a calendar date as the store reads it, "YYYY-MM-DD": SQLite keeps
// dates as that text, PostgreSQL as date (handed over as time.Time). Pass
// dates as such strings; PostgreSQL reads them by the column's type.
type Date string

// Scan implements sql.Scanner.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*d = Date(v)
	case []byte:
		*d = Date(v)
	case time.Time:
		*d = Date(v.Format(time.DateOnly))
	default:
		return fmt.Errorf("store: a date from %T", src)
	}
	return nil
}

// Strings and Ints are list columns (a webhook's events, a delivery's
// response codes): SQLite keeps them as JSON arrays, PostgreSQL as arrays.
// Pass and scan them as these types; Dialect writes the SQL that looks into
// or appends to them.
type (
	Strings []string
	Ints    []int
	// IDs is a list of row ids, passed to Dialect.In.
	IDs []int64
)

// RawBytes is a scan target for a large bytes column read row by row: the
// driver's own buffer, without a copy, valid only until the next Next or
// Close of its rows.
type RawBytes []byte

// Opaque is text kept byte for byte, whatever bytes it holds (an
// idempotency key): SQLite keeps it as TEXT, PostgreSQL, whose text
// cannot hold every byte string, as bytea.
type Opaque string

// Dialect is the SQL that differs between the engines, as fragments to put
// into the store's statements. Each placeholder in a fragment is a `?`, in
// the fragment's place in the statement.
type Dialect interface {
	// ListHas is a condition: list column holds one value (?).
	ListHas(column string) string
	// ListAppend is list column with one integer (?) appended.
	ListAppend(column string) string
	// LockRow ends a SELECT of one row that the transaction then writes:
	// " FOR UPDATE" where other writers could interleave, "" on SQLite's one
	// writer.
	LockRow() string
	// SkipLocked ends a SELECT of rows the transaction then writes, which
	// other transactions working through the same rows skip: " FOR UPDATE
	// SKIP LOCKED", or "" on SQLite.
	SkipLocked() string
	// In is a condition: column is one of the values of a list argument
	// (?: Strings, Ints or IDs), of any length.
	In(column string) string
	// IDTable is a FROM item: the ids of an IDs argument (?), as rows of one
	// integer column value, under alias. A query that starts from it (then
	// CROSS JOIN, which keeps SQLite from reordering) costs what the ids
	// do, not what the table does.
	IDTable(alias string) string
	// JSONRows is a FROM item: the elements of a JSON array argument (?, a
	// string), as rows of one column value, under alias; `alias.value ->>
	// N` reads an element's Nth item as text on every engine.
	JSONRows(alias string) string
	// Date is a text expression read as a date, to compare with a date
	// column.
	Date(expr string) string
	// OverrideID goes between an INSERT's columns and its VALUES when the
	// INSERT gives the id of a row (a restored record): " OVERRIDING SYSTEM
	// VALUE" for an identity column, or "".
	OverrideID() string
}
