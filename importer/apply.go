package importer

import (
	"context"

	"github.com/vintry/vintry"
)

// ChunkRows is how many rows Apply decides and writes at a time (a variable
// for tests). The memory an import needs grows with it, not with the file.
var ChunkRows = 10_000

// Source yields an import's rows in order, a chunk at a time, to fn (which
// must not keep the slice). It can be run more than once and yields the
// same rows each time; an error of fn ends it with that error.
type Source func(fn func(rows []vintry.ImportRow) error) error

// SliceSource is the Source of rows held in memory, in chunks of ChunkRows.
func SliceSource(rows []vintry.ImportRow) Source {
	return func(fn func([]vintry.ImportRow) error) error {
		for rest := rows; len(rest) > 0; {
			chunk := rest[:min(len(rest), ChunkRows)]
			if err := fn(chunk); err != nil {
				return err
			}
			rest = rest[len(chunk):]
		}
		return nil
	}
}

// Writer is a Store that also writes, inside the same transaction.
type Writer interface {
	Store
	// ApplyWrites writes net changes decided against the current state.
	// A write whose record the same import wrote before (Old.LastJobID is
	// the import's job) is part of that earlier change, not a second one.
	ApplyWrites(ctx context.Context, writes []Write) error
	// Savepoint marks the state RollbackToSavepoint returns to.
	Savepoint(ctx context.Context) error
	RollbackToSavepoint(ctx context.Context) error
}

// Apply decides an import's rows chunk by chunk and writes the changes of
// each chunk before it decides the next, so the next sees them. When the
// import must write nothing in the end (a row failed an all-or-nothing
// import, or it is a dry run), the writes of the earlier chunks are rolled
// back to a savepoint taken before the first; an import of one chunk writes
// only when it keeps its writes, and needs no savepoint.
func Apply(ctx context.Context, w Writer, args vintry.ImportArgs, src Source) (*Outcome, error) {
	d := NewDecider(args)
	var pending []Write // the last chunk's writes
	saved := false
	err := src(func(rows []vintry.ImportRow) error {
		if len(pending) > 0 {
			if !saved {
				if err := w.Savepoint(ctx); err != nil {
					return err
				}
				saved = true
			}
			if err := w.ApplyWrites(ctx, pending); err != nil {
				return err
			}
		}
		p, err := d.Decide(ctx, w, rows)
		if err != nil {
			return err
		}
		pending = p.Writes
		return nil
	})
	if err != nil {
		return nil, err
	}
	o := d.Finish()
	if o.Status == vintry.StatusFailed || args.DryRun {
		if saved {
			err = w.RollbackToSavepoint(ctx)
		}
	} else {
		err = w.ApplyWrites(ctx, pending)
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}
