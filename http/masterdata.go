package http

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/vintry/vintry"
)

// masterEntry is the JSON shape of a master data entry; fields that do not
// belong to the kind are omitted.
type masterEntry struct {
	ID               int64   `json:"id"`
	Name             string  `json:"name"`
	Description      string  `json:"description"`
	ParentName       *string `json:"parent_name,omitempty"`
	BinType          *string `json:"bin_type,omitempty"`
	ExternalSystemID *string `json:"external_system_id,omitempty"`
	LotStatus        *string `json:"lot_status,omitempty"`
	Abbreviation     *string `json:"abbreviation,omitempty"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

func newMasterEntry(k vintry.Kind, e *vintry.MasterEntry) masterEntry {
	out := masterEntry{ID: e.ID, Name: e.Name, Description: e.Description,
		CreatedAt: formatTime(e.CreatedAt), UpdatedAt: formatTime(e.UpdatedAt)}
	for _, f := range kindFields[k] {
		v := *f.field(e)
		*f.out(&out) = &v
	}
	return out
}

// entryField is one kind-specific field: its JSON name and where it lives.
type entryField struct {
	name  string
	field func(*vintry.MasterEntry) *string
	out   func(*masterEntry) **string
}

var (
	fieldParent = entryField{"parent_name", func(e *vintry.MasterEntry) *string { return &e.ParentName },
		func(m *masterEntry) **string { return &m.ParentName }}
	fieldBinType = entryField{"bin_type", func(e *vintry.MasterEntry) *string { return &e.BinType },
		func(m *masterEntry) **string { return &m.BinType }}
	fieldExternalID = entryField{"external_system_id", func(e *vintry.MasterEntry) *string { return &e.ExternalSystemID },
		func(m *masterEntry) **string { return &m.ExternalSystemID }}
	fieldLotStatus = entryField{"lot_status", func(e *vintry.MasterEntry) *string { return &e.LotStatus },
		func(m *masterEntry) **string { return &m.LotStatus }}
	fieldAbbreviation = entryField{"abbreviation", func(e *vintry.MasterEntry) *string { return &e.Abbreviation },
		func(m *masterEntry) **string { return &m.Abbreviation }}
)

// kindFields lists the fields each kind has beyond name and description.
var kindFields = map[vintry.Kind][]entryField{
	vintry.KindLocationArea: {fieldParent},
	vintry.KindBin:          {fieldParent, fieldBinType, fieldExternalID},
	vintry.KindLot:          {fieldLotStatus},
	vintry.KindUOM:          {fieldAbbreviation},
}

func (s *Server) handleMasterList(k vintry.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page, err := pageRequest(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		entries, p, err := s.MasterData.FindMasterEntries(r.Context(), k, page)
		if err != nil {
			writeError(w, r, err)
			return
		}
		data := make([]masterEntry, len(entries))
		for i := range entries {
			data[i] = newMasterEntry(k, &entries[i])
		}
		writeJSON(w, http.StatusOK, newListResponse(k.Noun()+" entries retrieved successfully", data, p))
	}
}

type upsertResponse struct {
	Message string              `json:"message"`
	Content vintry.UpsertResult `json:"content"`
}

func (s *Server) handleMasterUpsert(k vintry.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, s.Config.MaxUploadBytes, "The request body exceeds the maximum allowed size of "+sizeText(s.Config.MaxUploadBytes))
		if err != nil {
			writeError(w, r, err)
			return
		}
		entries, err := decodeMasterEntries(k, body)
		if err != nil {
			writeError(w, r, err)
			return
		}
		result, err := s.MasterData.UpsertMasterEntries(r.Context(), k, entries)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, upsertResponse{Message: k.Noun() + " entries saved", Content: result})
	}
}

// decodeMasterEntries decodes a JSON array of entry objects. Every field is a
// string; unknown fields are ignored.
func decodeMasterEntries(k vintry.Kind, body []byte) ([]vintry.MasterEntry, error) {
	if err := checkJSONText(body); err != nil {
		return nil, err
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		if json.Valid(body) {
			return nil, vintry.FieldError("body", "The request body must be a JSON array of objects.")
		}
		return nil, malformedJSON(err)
	}
	if len(raw) == 0 {
		return nil, vintry.FieldError("body", "The request body must contain at least one entry.")
	}
	if len(raw) > vintry.MaxMasterEntries {
		return nil, vintry.FieldError("body", fmt.Sprintf("Maximum %d entries per request", vintry.MaxMasterEntries))
	}
	entries := make([]vintry.MasterEntry, len(raw))
	v := &validation{}
	for i, obj := range raw {
		e := &entries[i]
		fields := append([]entryField{
			{"name", func(e *vintry.MasterEntry) *string { return &e.Name }, nil},
			{"description", func(e *vintry.MasterEntry) *string { return &e.Description }, nil},
		}, kindFields[k]...)
		for _, f := range fields {
			val, ok := obj[f.name]
			if !ok || isNull(val) {
				continue
			}
			if json.Unmarshal(val, f.field(e)) != nil {
				v.Add(fmt.Sprintf("%d.%s", i, f.name), fmt.Sprintf("The %s must be a string.", f.name))
			}
		}
	}
	return entries, v.Err()
}

func (s *Server) handleMasterDelete(k vintry.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if err := s.MasterData.DeleteMasterEntry(r.Context(), k, name); err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, message{Message: fmt.Sprintf("%s '%s' deleted.", k.Noun(), name)})
	}
}
