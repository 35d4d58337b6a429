package http

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

// feedColumns are the inbound-feed Locations CSV columns; the first three are
// required in the header.
var feedColumns = []string{"entity_type", "name", "parent_name", "description", "bin_type", "external_system_id"}

// handleLocationFeedImport takes the Claret inbound-feed Locations CSV, as a
// multipart "file" part or as a text/csv body.
func (s *Server) handleLocationFeedImport(w http.ResponseWriter, r *http.Request) {
	limitMsg := "File size exceeds maximum allowed size of " + sizeText(s.Config.MaxUploadBytes)
	body, err := readBody(w, r, s.Config.MaxUploadBytes, limitMsg)
	if err != nil {
		writeError(w, r, err)
		return
	}
	data, err := feedFile(r.Header.Get("Content-Type"), body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rows, err := parseLocationFeed(data)
	if err != nil {
		writeError(w, r, err)
		return
	}
	result, err := s.MasterData.ImportLocationFeed(r.Context(), rows)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, upsertResponse{Message: "Locations imported", Content: result})
}

// feedFile returns the CSV bytes of a request body.
func feedFile(contentType string, body []byte) ([]byte, error) {
	mt, params, _ := mime.ParseMediaType(contentType)
	if mt != "multipart/form-data" {
		return body, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF { // a bare EOF only: a cut-short body's EOF comes wrapped
			return nil, vintry.FieldError("file", "The file field is required.")
		} else if err != nil {
			return nil, vintry.Errorf(vintry.EMALFORMED, "The multipart body could not be read.")
		}
		if part.FormName() == "file" {
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, vintry.Errorf(vintry.EMALFORMED, "The multipart body could not be read.")
			}
			return data, nil
		}
	}
}

func parseLocationFeed(data []byte) ([]vintry.LocationFeedRow, error) {
	if !csvin.LooksLikeText(data[:min(len(data), 8192)]) {
		return nil, vintry.FieldError("file", "Invalid file type. Only CSV files are allowed.")
	}
	enc, err := csvin.DetectEncoding(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	cr, err := csvin.NewReader(bytes.NewReader(data), enc)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for i, h := range cr.Header() {
		if _, dup := idx[h]; dup {
			// Which of two "name" columns holds the names is anyone's guess.
			return nil, vintry.FieldError("file", fmt.Sprintf("The file header has the column '%s' more than once.", h))
		}
		idx[h] = i
	}
	var missing []string
	for _, c := range feedColumns[:3] {
		if _, ok := idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, vintry.FieldError("file", fmt.Sprintf("The file header must contain the columns: %s (missing: %s)",
			strings.Join(feedColumns, ", "), strings.Join(missing, ", ")))
	}
	var rows []vintry.LocationFeedRow
	for {
		rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		if n := len(cr.Header()); len(rec.Fields) > n {
			// A value holding the delimiter unquoted must not be cut off.
			return nil, vintry.FieldError("file", fmt.Sprintf("Line %d has %d fields; the header has %d.", rec.Line, len(rec.Fields), n))
		}
		if len(rows) == vintry.MaxMasterEntries {
			return nil, vintry.FieldError("file", fmt.Sprintf("Maximum %d entries per request", vintry.MaxMasterEntries))
		}
		rows = append(rows, feedRow(rec, idx))
	}
	if len(rows) == 0 {
		return nil, vintry.FieldError("file", "The file has no data rows.")
	}
	return rows, nil
}

func feedRow(rec csvin.Record, idx map[string]int) vintry.LocationFeedRow {
	get := func(col string) string {
		if i, ok := idx[col]; ok && i < len(rec.Fields) {
			return strings.TrimSpace(rec.Fields[i])
		}
		return ""
	}
	return vintry.LocationFeedRow{Line: rec.Line, EntityType: get("entity_type"), Entry: vintry.MasterEntry{
		Name: get("name"), ParentName: get("parent_name"), Description: get("description"),
		BinType: get("bin_type"), ExternalSystemID: get("external_system_id"),
	}}
}
