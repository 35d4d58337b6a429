package http

import (
	"net/http"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

type inventoryRecord struct {
	ID               int64  `json:"id"`
	ItemName         string `json:"item_name"`
	BinName          string `json:"bin_name"`
	LocationAreaName string `json:"location_area_name"`
	LocationName     string `json:"location_name"`
	LotName          string `json:"lot_name"`
	DateFilled       string `json:"date_filled"`
	Quantity         string `json:"quantity"`
	UOMName          string `json:"uom_name"`
	UOMAbbr          string `json:"uom_abbr"`
	CreatedAt        string `json:"created_at"`
	UpdatedAt        string `json:"updated_at"`
	LastJobLogID     *int64 `json:"last_job_log_id"`
}

func newInventoryRecord(r *vintry.InventoryRecord) inventoryRecord {
	out := inventoryRecord{
		ID: r.ID, ItemName: r.ItemName, BinName: r.BinName, LocationAreaName: r.LocationAreaName,
		LocationName: r.LocationName, LotName: r.LotName, DateFilled: r.DateFilled,
		Quantity: vintry.FormatQuantity(r.Quantity), UOMName: r.UOMName, UOMAbbr: r.UOMAbbr,
		CreatedAt: formatTime(r.CreatedAt), UpdatedAt: formatTime(r.UpdatedAt),
	}
	if r.LastJobID != 0 {
		out.LastJobLogID = &r.LastJobID
	}
	return out
}

func (s *Server) handleInventoryList(w http.ResponseWriter, r *http.Request) {
	filter, err := inventoryFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := pageRequest(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	records, p, err := s.Inventory.FindInventory(r.Context(), filter, page)
	if err != nil {
		writeError(w, r, err)
		return
	}
	data := make([]inventoryRecord, len(records))
	for i := range records {
		data[i] = newInventoryRecord(&records[i])
	}
	writeJSON(w, http.StatusOK, newListResponse("Inventory retrieved successfully", data, p))
}

func inventoryFilter(r *http.Request) (vintry.InventoryFilter, error) {
	q := r.URL.Query()
	f := vintry.InventoryFilter{
		Item: q.Get("item"), Bin: q.Get("bin"), Lot: q.Get("lot"), Location: q.Get("location"),
		LocationArea: q.Get("location_area"), DateFrom: q.Get("date_filled_from"), DateTo: q.Get("date_filled_to"),
	}
	v := &validation{}
	for name, d := range map[string]string{"date_filled_from": f.DateFrom, "date_filled_to": f.DateTo} {
		if _, msg := importer.ParseDate(d); d != "" && msg != "" {
			v.Add(name, "The "+name+" must be a real date in the format YYYY-MM-DD.")
		}
	}
	return f, v.Err()
}
