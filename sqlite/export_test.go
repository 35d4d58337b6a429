package sqlite

import (
	"context"
	"io"

	"github.com/vintry/vintry"
)

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
	rows, err := db.read.QueryContext(ctx, `SELECT part, length(content) FROM job_files WHERE job_id = ? AND kind = ? ORDER BY part`,
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
