package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"testing"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
	"github.com/vintry/vintry/postgres"
	"github.com/vintry/vintry/store"
)

// actAs creates a tenant with an admin and returns a context acting as it.
func actAs(t *testing.T, db *postgres.DB, slug string) context.Context {
	t.Helper()
	ctx := context.Background()
	tn, err := db.CreateTenant(ctx, slug, slug)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(ctx, slug, "admin@"+slug+".test", "correct horse battery", vintry.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return vintry.NewContextWithPrincipal(ctx, vintry.Principal{TenantID: tn.ID, TenantSlug: slug, UserID: u.ID, Role: u.Role})
}

// fileBytes returns n bytes that differ from part to part, NUL included.
func fileBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7 % 251)
	}
	return b
}

// readAll downloads a file as the HTTP handler does: its size, then its
// bytes.
func readAll(ctx context.Context, db *postgres.DB, jobID int64, kind vintry.FileKind) ([]byte, error) {
	f, err := db.FindJobFile(ctx, jobID, kind)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := db.CopyJobFile(ctx, f, &buf); err != nil {
		return nil, err
	}
	if int64(buf.Len()) != f.Size {
		return nil, fmt.Errorf("copied %d bytes of a file of %d", buf.Len(), f.Size)
	}
	return buf.Bytes(), nil
}

// TestJobFileParts stores files in parts of 7 bytes: a file of several
// parts, a shorter one in its place and an empty one each read back byte
// for byte, with no stale parts; the queued upload reaches the worker
// whole; an import's own files are stored in parts too; another tenant
// finds nothing.
func TestJobFileParts(t *testing.T) {
	db := openDB(t)
	db.FilePartSize = 7
	db.Queue = noQueue{}
	ctx := actAs(t, db, "acme")
	upload := fileBytes(40)
	job, _, err := db.QueueImport(ctx, vintry.QueueRequest{FileName: "in.csv", File: upload})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.StartImportJob(ctx, job.ID); err != nil {
		t.Fatal(err)
	}
	var input bytes.Buffer
	if err := db.CopyJobInput(ctx, job.ID, &input); err != nil || !bytes.Equal(input.Bytes(), upload) {
		t.Fatalf("worker got %q, %v; want the upload %q", input.Bytes(), err, upload)
	}

	for _, tt := range []struct {
		name  string
		file  []byte
		parts []int
	}{
		{"several parts", fileBytes(100), []int{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 2}},
		{"whole parts", fileBytes(14), []int{7, 7}},
		{"a shorter one in its place", fileBytes(10), []int{7, 3}},
		{"empty", []byte{}, []int{0}},
		{"one byte", []byte{0}, []int{1}},
	} {
		// A reader that does not tell its length, as a stream would.
		if err := db.PutJobFile(ctx, job, vintry.FileOutput, struct{ io.Reader }{bytes.NewReader(tt.file)}); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		parts, err := db.JobFileParts(ctx, job.ID, vintry.FileOutput)
		if err != nil || !reflect.DeepEqual(parts, tt.parts) {
			t.Errorf("%s: parts %v, %v; want %v", tt.name, parts, err, tt.parts)
		}
		got, err := readAll(ctx, db, job.ID, vintry.FileOutput)
		if err != nil || !bytes.Equal(got, tt.file) {
			t.Errorf("%s: read %q, %v; want %q", tt.name, got, err, tt.file)
		}
	}
	if got, err := readAll(ctx, db, job.ID, vintry.FileInput); err != nil || !bytes.Equal(got, upload) {
		t.Errorf("input: read %q, %v", got, err)
	}

	// An import's own files, written with the rest of its transaction.
	rows := []vintry.ImportRow{{Line: 1, Values: [vintry.NumColumns]string{"124", "SS-01", "LOT", "2024-01-01", "5", "gal"}}}
	imported, _, err := db.ImportRows(ctx, vintry.ImportRequest{Args: vintry.ImportArgs{ShouldContinueOnError: true}, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	wantInput, err := importer.InputCSV(rows)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(ctx, db, imported.ID, vintry.FileInput); err != nil || !bytes.Equal(got, wantInput) {
		t.Errorf("import's input: read %q, %v; want %q", got, err, wantInput)
	}
	for _, kind := range vintry.FileKinds {
		parts, err := db.JobFileParts(ctx, imported.ID, kind)
		if err != nil || len(parts) < 2 || slices.Max(parts) > 7 || slices.Min(parts) < 1 {
			t.Errorf("import's %s file: parts %v, %v", kind, parts, err)
		}
	}

	other := actAs(t, db, "other")
	if _, err := db.FindJobFile(other, job.ID, vintry.FileInput); vintry.ErrorCode(err) != vintry.ENOTFOUND {
		t.Errorf("another tenant's find: %v", err)
	}
	f, err := db.FindJobFile(ctx, job.ID, vintry.FileInput)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := db.CopyJobFile(other, f, &buf); vintry.ErrorCode(err) != vintry.ENOTFOUND || buf.Len() != 0 {
		t.Errorf("another tenant's copy: %d bytes, %v", buf.Len(), err)
	}
	if _, err := db.FindJobFile(ctx, job.ID, vintry.FileStaging); vintry.ErrorCode(err) != vintry.ENOTFOUND || !errors.As(err, new(*vintry.Error)) {
		t.Errorf("a file not written yet: %v", err)
	}
}

// noQueue is a job queue that takes every job and runs none.
type noQueue struct{}

func (noQueue) EnqueueImport(context.Context, *store.Tx, int64) error     { return nil }
func (noQueue) EnqueueRevert(context.Context, *store.Tx, int64) error     { return nil }
func (noQueue) EnqueueWebhooks(context.Context, *store.Tx, []int64) error { return nil }
