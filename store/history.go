package store

import (
	"time"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
)

// HistoryChange is one stored change of an inventory record (an update or a
// delete), with its UOM names, as an engine reads it.
type HistoryChange struct {
	Op              string           // "update", "delete" or "restore"
	OldQuantity     *decimal.Decimal // the state before the change; nil for a restore
	OldUOM          string
	NewQuantity     *decimal.Decimal // the state after an update or restore; nil for a delete
	NewUOM          string
	JobID           int64 // the job that made the change; 0 for a batch delete
	RecordJobID     int64 // the job that created the record
	RecordCreatedAt time.Time
	At              time.Time
	By              string // who made the change (an email); "" if unknown
	RecordBy        string // who created the record
}

// HistoryRecord is the current state of a record that still exists.
type HistoryRecord struct {
	Quantity  *decimal.Decimal
	UOM       string
	JobID     int64 // the job that created the record
	CreatedAt time.Time
	By        string // who created the record
}

// buildHistory rebuilds the events of record id from its changes, oldest
// first, and its current state (read only when there are no changes):
// created (the state before the first change, or the current state), then
// each update, delete and restore (a revert creating a deleted record again
// under its id).
func buildHistory(id int64, changes []HistoryChange, current HistoryRecord) []vintry.HistoryEvent {
	created := vintry.HistoryEvent{Event: "created", RecordID: id}
	if len(changes) > 0 {
		first := changes[0]
		created.At, created.JobID, created.By = first.RecordCreatedAt, first.RecordJobID, first.RecordBy
		created.Quantity, created.UOMName = first.OldQuantity, first.OldUOM
	} else {
		created.At, created.JobID, created.By = current.CreatedAt, current.JobID, current.By
		created.Quantity, created.UOMName = current.Quantity, current.UOM
	}
	events := []vintry.HistoryEvent{created}
	for _, c := range changes {
		ev := vintry.HistoryEvent{Event: "updated", RecordID: id, At: c.At, JobID: c.JobID, By: c.By,
			PreviousQuantity: c.OldQuantity, PreviousUOMName: c.OldUOM}
		switch c.Op {
		case "delete":
			ev.Event = "deleted"
		case "restore":
			ev.Event, ev.Quantity, ev.UOMName = "restored", c.NewQuantity, c.NewUOM
		default:
			ev.Quantity, ev.UOMName = c.NewQuantity, c.NewUOM
		}
		events = append(events, ev)
	}
	return events
}
