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
