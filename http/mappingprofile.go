package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

// mappingProfile is the JSON shape of a saved mapping profile.
type mappingProfile struct {
	ID            int64           `json:"id"`
	Name          string          `json:"name"`
	FieldMappings json.RawMessage `json:"field_mappings"`
	CreatedBy     int64           `json:"created_by"`
	UpdatedBy     int64           `json:"updated_by"`
	CreatedAt     string          `json:"created_at"`
	UpdatedAt     string          `json:"updated_at"`
}

func newMappingProfile(p *vintry.MappingProfile) mappingProfile {
	return mappingProfile{ID: p.ID, Name: p.Name, FieldMappings: json.RawMessage(p.FieldMappings),
		CreatedBy: p.CreatedBy, UpdatedBy: p.UpdatedBy, CreatedAt: formatTime(p.CreatedAt), UpdatedAt: formatTime(p.UpdatedAt)}
}

func (s *Server) handleMappingProfileList(w http.ResponseWriter, r *http.Request) {
	page, err := pageRequest(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	profiles, p, err := s.Mappings.FindMappingProfiles(r.Context(), page)
	if err != nil {
		writeError(w, r, err)
		return
	}
	data := make([]mappingProfile, len(profiles))
	for i := range profiles {
		data[i] = newMappingProfile(&profiles[i])
	}
	writeJSON(w, http.StatusOK, newListResponse("Mapping profiles retrieved successfully", data, p))
}

type mappingProfileResponse struct {
	Message string         `json:"message"`
	Content mappingProfile `json:"content"`
}

// handleMappingProfileSave creates the named profile (201) or replaces the
// mapping of the one with that name (200).
func (s *Server) handleMappingProfileSave(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	in, err := decodeMappingProfile(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	saved, created, err := s.Mappings.SaveMappingProfile(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	status, msg := http.StatusOK, fmt.Sprintf("Mapping profile '%s' updated.", saved.Name)
	if created {
		status, msg = http.StatusCreated, fmt.Sprintf("Mapping profile '%s' created.", saved.Name)
	}
	writeJSON(w, status, mappingProfileResponse{Message: msg, Content: newMappingProfile(saved)})
}

// decodeMappingProfile reads {"name": "...", "field_mappings": {...}}; the
// mapping may also come as a JSON string holding that object, as the CSV
// method's form field does. Both are checked and the mapping is kept in
// canonical form.
func decodeMappingProfile(body []byte) (vintry.MappingProfile, error) {
	var raw struct {
		Name          json.RawMessage `json:"name"`
		FieldMappings json.RawMessage `json:"field_mappings"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		if json.Valid(body) {
			return vintry.MappingProfile{}, vintry.FieldError("body", "The request body must be a JSON object with name and field_mappings.")
		}
		return vintry.MappingProfile{}, malformedJSON(err)
	}
	v := &validation{}
	var name string
	switch {
	case raw.Name == nil || isNull(raw.Name):
		v.Add("name", "The name field is required.")
	case json.Unmarshal(raw.Name, &name) != nil:
		v.Add("name", "The name must be a string.")
	default:
		name = strings.TrimSpace(name)
		if err := vintry.ValidateMappingProfileName("name", name); err != nil {
			v.addError(err)
		}
	}
	mappings, err := profileMappings(raw.FieldMappings)
	if err != nil {
		v.addError(err)
	}
	if err := v.Err(); err != nil {
		return vintry.MappingProfile{}, err
	}
	return vintry.MappingProfile{Name: name, FieldMappings: mappings.JSON()}, nil
}

// profileMappings parses and checks a profile's field_mappings value.
func profileMappings(raw json.RawMessage) (csvin.FieldMappings, error) {
	if raw == nil || isNull(raw) {
		return nil, vintry.FieldError("field_mappings", "The field_mappings field is required.")
	}
	text := string(raw)
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) {
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, vintry.FieldError("field_mappings", "The field_mappings must be a JSON object of CSV header to column name.")
		}
	}
	mappings, err := csvin.ParseFieldMappings(text)
	if err != nil {
		return nil, err
	}
	return mappings, mappings.Check()
}

func (s *Server) handleMappingProfileDelete(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := s.Mappings.DeleteMappingProfile(r.Context(), name); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, message{Message: fmt.Sprintf("Mapping profile '%s' deleted.", name)})
}

// addError adds the message and field messages of an EINVALID error.
func (v *validation) addError(err error) {
	e, ok := err.(*vintry.Error)
	if !ok || len(e.Fields) == 0 {
		v.Add("body", vintry.ErrorMessage(err))
		return
	}
	// The error's message comes first (when v holds nothing yet), with its
	// fields' messages in field order.
	for i, k := range slices.Sorted(maps.Keys(e.Fields)) {
		for j, msg := range e.Fields[k] {
			if i == 0 && j == 0 {
				v.AddDetail(k, e.Message, msg)
			} else {
				v.Add(k, msg)
			}
		}
	}
}
