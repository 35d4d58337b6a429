package postgres

import (
	"context"
	"database/sql"
	"io"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// SetChunkRows makes imports decide and write n rows at a time (one write
// statement per chunk) until the returned function restores the size.
func SetChunkRows(n int) (restore func()) {
	old := importer.ChunkRows
	importer.ChunkRows = n
	return func() { importer.ChunkRows = old }
}

// PutJobFile stores (or replaces) one of a job's files read from r, in a
// transaction of its own.
func (db *DB) PutJobFile(ctx context.Context, job *vintry.ImportJob, kind vintry.FileKind, r io.Reader) error {
	return db.update(ctx, func(tx *Tx) error {
		return db.PutFile(ctx, tx.store(), job, kind, func(w io.Writer) error {
			_, err := io.Copy(w, r)
			return err
		})
	})
}

// JobFileParts returns the lengths of a file's stored parts, by part number.
func (db *DB) JobFileParts(ctx context.Context, jobID int64, kind vintry.FileKind) ([]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT part, octet_length(content) FROM job_files WHERE job_id = $1 AND kind = $2 ORDER BY part`,
		jobID, string(kind))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var sizes []int
	for rows.Next() {
		var part, size int
		if err := rows.Scan(&part, &size); err != nil {
			return nil, err
		}
		for len(sizes) < part {
			sizes = append(sizes, -1) // a missing part
		}
		sizes = append(sizes, size)
	}
	return sizes, rows.Err()
}

// MigrationProvider returns a goose provider of Vintry's migrations on db,
// without the migration lock, for tests that step through versions.
func MigrationProvider(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
}

// MapError is mapError, for tests of the SQLSTATE mapping.
var MapError = mapError
