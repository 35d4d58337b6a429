package importer_test

import (
	"context"
	"strings"
	"testing"
	"unsafe"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

type emptyStore struct{}

func (emptyStore) LoadCatalog(context.Context, importer.Names) (*importer.Catalog, error) {
	return &importer.Catalog{}, nil
}
func (emptyStore) LoadRecords(context.Context, []importer.Key) (map[importer.Key]importer.Record, error) {
	return nil, nil
}

// TestErrorsDoNotPinRecords: the Decider keeps every error across chunks.
// encoding/csv hands out a record's fields as substrings of one string per
// record, so an error whose Value is a substring of a field keeps the whole
// record (every column of the line, mapped or not) alive until the job ends.
func TestErrorsDoNotPinRecords(t *testing.T) {
	record := "Nope,SS-01,L,2024-01-01,1,gal," + strings.Repeat("x", 1<<20) // a wide line
	fields := strings.Split(record, ",")
	row := vintry.ImportRow{Line: 2}
	copy(row.Values[:], fields[:6])
	d := importer.NewDecider(vintry.ImportArgs{AllowRecordCreation: true, ShouldContinueOnError: true})
	if _, err := d.Decide(context.Background(), emptyStore{}, []vintry.ImportRow{row}); err != nil {
		t.Fatal(err)
	}
	o := d.Finish()
	if len(o.Errors) == 0 {
		t.Fatal("no errors")
	}
	v := o.Errors[0].Value
	start := uintptr(unsafe.Pointer(unsafe.StringData(record)))
	p := uintptr(unsafe.Pointer(unsafe.StringData(v)))
	if p >= start && p < start+uintptr(len(record)) {
		t.Errorf("error value %q shares the %d-byte record's memory: the Outcome keeps the whole line alive", v, len(record))
	}
}
