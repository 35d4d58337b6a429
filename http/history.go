package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

type batchDeleteJSON struct {
	Rows []struct {
		Item         string `json:"item"`
		Location     string `json:"location"`
		LocationArea string `json:"location_area"`
		Bin          string `json:"bin"`
		Lot          string `json:"lot"`
		DateFilled   string `json:"date_filled"`
	} `json:"rows"`
	Items          []string `json:"items"`
	Locations      []string `json:"locations"`
	LocationAreas  []string `json:"location_areas"`
	Bins           []string `json:"bins"`
	Lots           []string `json:"lots"`
	DateFilledFrom string   `json:"date_filled_from"`
	DateFilledTo   string   `json:"date_filled_to"`
	DryRun         bool     `json:"dry_run"`
}

type deleteResponse struct {
	Message string        `json:"message"`
	Content deleteContent `json:"content"`
}

type deleteContent struct {
	DeletedCount int  `json:"deleted_count"`
	DryRun       bool `json:"dry_run"`
}

func (s *Server) handleBatchDelete(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, s.Config.MaxUploadBytes, "The request body exceeds the maximum allowed size of "+sizeText(s.Config.MaxUploadBytes))
	if err != nil {
		writeError(w, r, err)
		return
	}
	req, err := decodeBatchDelete(body, s.Config.MaxRecords)
	if err != nil {
		writeError(w, r, err)
		return
	}
	n, err := s.Inventory.DeleteInventory(r.Context(), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	records := "records"
	if n == 1 {
		records = "record"
	}
	msg := fmt.Sprintf("%d inventory %s deleted", n, records)
	if req.DryRun {
		msg = fmt.Sprintf("Dry run: %d inventory %s would be deleted", n, records)
	}
	writeJSON(w, http.StatusOK, deleteResponse{Message: msg, Content: deleteContent{DeletedCount: n, DryRun: req.DryRun}})
}

// decodeBatchDelete reads a batch delete body: rows win over filters, and a
// request that selects nothing in particular is refused.
func decodeBatchDelete(body []byte, maxRecords int) (vintry.DeleteRequest, error) {
	var in batchDeleteJSON
	var req vintry.DeleteRequest
	if err := checkJSONText(body); err != nil {
		return req, err
	}
	if err := json.Unmarshal(body, &in); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case !errors.As(err, &typeErr):
			return req, malformedJSON(err)
		case typeErr.Field == "":
			return req, vintry.FieldError("body", "The request body must be a JSON object.")
		default:
			// The decoder names the field but not an array index (rows.item, not rows.0.item).
			return req, vintry.FieldError(typeErr.Field, fmt.Sprintf("The %s field has the wrong type.", typeErr.Field))
		}
	}
	req.DryRun = in.DryRun
	v := &validation{}
	if len(in.Rows) > maxRecords {
		return req, vintry.FieldError("rows", fmt.Sprintf("Maximum %d records per request", maxRecords))
	}
	for i, row := range in.Rows {
		d := vintry.DeleteRow{Item: strings.TrimSpace(row.Item), Location: strings.TrimSpace(row.Location),
			LocationArea: strings.TrimSpace(row.LocationArea), Bin: strings.TrimSpace(row.Bin),
			Lot: strings.TrimSpace(row.Lot), DateFilled: strings.TrimSpace(row.DateFilled)}
		if d.Item == "" {
			v.Add(fmt.Sprintf("rows.%d.item", i), "The item field is required.")
		}
		checkDate(v, fmt.Sprintf("rows.%d.date_filled", i), d.DateFilled)
		req.Rows = append(req.Rows, d)
	}
	if len(in.Rows) > 0 {
		return req, v.Err()
	}
	f := vintry.DeleteFilter{DateFrom: strings.TrimSpace(in.DateFilledFrom), DateTo: strings.TrimSpace(in.DateFilledTo)}
	for _, l := range []struct {
		name string
		in   []string
		out  *[]string
	}{{"items", in.Items, &f.Items}, {"locations", in.Locations, &f.Locations}, {"location_areas", in.LocationAreas, &f.LocationAreas},
		{"bins", in.Bins, &f.Bins}, {"lots", in.Lots, &f.Lots}} {
		if len(l.in) > maxRecords {
			v.Add(l.name, fmt.Sprintf("The %s list may hold at most %d names.", l.name, maxRecords))
		}
		for _, name := range l.in {
			*l.out = append(*l.out, strings.TrimSpace(name))
		}
	}
	checkDate(v, "date_filled_from", f.DateFrom)
	checkDate(v, "date_filled_to", f.DateTo)
	if f.DateFrom != "" && f.DateTo != "" && f.DateFrom > f.DateTo {
		v.Add("date_filled_to", "The date_filled_to must not be before date_filled_from.")
	}
	if f.Empty() {
		v.Add("rows", "Give rows or at least one filter (items, locations, location_areas, bins, lots, date_filled_from, date_filled_to); a batch delete never deletes everything.")
	}
	req.Filter = f
	return req, v.Err()
}

func checkDate(v *validation, field, d string) {
	if _, msg := importer.ParseDate(d); d != "" && msg != "" {
		v.Add(field, "The "+field+" must be a real date in the format YYYY-MM-DD.")
	}
}

type historyEvent struct {
	Event            string  `json:"event"`
	RecordID         int64   `json:"record_id"`
	At               string  `json:"at"`
	JobLogID         *int64  `json:"job_log_id"`
	ChangedBy        *string `json:"changed_by"`
	Quantity         *string `json:"quantity"`
	UOMName          *string `json:"uom_name"`
	PreviousQuantity *string `json:"previous_quantity"`
	PreviousUOMName  *string `json:"previous_uom_name"`
}

// newHistory pages events, oldest first, as every list pages: the cursor
// holds the number of events already listed.
func newHistory(events []vintry.HistoryEvent, page vintry.PageRequest) listResponse[historyEvent] {
	from := min(page.Cursor.Offset, len(events))
	to := min(from+page.PerPage, len(events))
	data := make([]historyEvent, 0, to-from)
	for _, e := range events[from:to] {
		h := historyEvent{Event: e.Event, RecordID: e.RecordID, At: formatTime(e.At)}
		if e.JobID != 0 {
			h.JobLogID = &e.JobID
		}
		if e.By != "" {
			h.ChangedBy = &e.By
		}
		if e.Quantity != nil {
			q, u := vintry.FormatQuantity(*e.Quantity), e.UOMName
			h.Quantity, h.UOMName = &q, &u
		}
		if e.PreviousQuantity != nil {
			q, u := vintry.FormatQuantity(*e.PreviousQuantity), e.PreviousUOMName
			h.PreviousQuantity, h.PreviousUOMName = &q, &u
		}
		data = append(data, h)
	}
	p := vintry.Page{Total: len(events), PerPage: page.PerPage, CurrentIndex: vintry.EncodeCursor(page.Cursor)}
	if to > from {
		p.From, p.To = from+1, to
	}
	if to < len(events) {
		p.NextIndex = vintry.EncodeCursor(vintry.Cursor{AfterID: int64(to), Offset: to})
	}
	return newListResponse("Inventory history retrieved successfully", data, p)
}

func (s *Server) handleRecordHistory(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		writeError(w, r, vintry.Errorf(vintry.ENOTFOUND, "Inventory record not found."))
		return
	}
	page, err := pageRequest(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	events, err := s.Inventory.FindRecordHistory(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newHistory(events, page))
}

func (s *Server) handleKeyHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key := vintry.InventoryKey{Item: q.Get("item"), Bin: q.Get("bin"), Lot: q.Get("lot"), DateFilled: q.Get("date_filled")}
	v := &validation{}
	for name, val := range map[string]string{"item": key.Item, "bin": key.Bin, "lot": key.Lot, "date_filled": key.DateFilled} {
		if val == "" {
			v.Add(name, "The "+name+" query parameter is required.")
		}
	}
	checkDate(v, "date_filled", key.DateFilled)
	page, err := pageRequest(r)
	if err == nil {
		err = v.Err()
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	events, err := s.Inventory.FindKeyHistory(r.Context(), key)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newHistory(events, page))
}
