package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/vintry/vintry"
)

func (s *Server) handleImportProcess(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		s.importJSON(w, r)
	case "multipart/form-data":
		s.importCSV(w, r)
	default:
		writeError(w, r, vintry.Errorf(vintry.EUNSUPPORTED,
			"Unsupported Content-Type '%s': use application/json (JSON payload) or multipart/form-data (CSV file upload).", mt))
	}
}

// importJSON runs the JSON method: a synchronous import answered with 200, or
// 422 when an all-or-nothing import failed.
func (s *Server) importJSON(w http.ResponseWriter, r *http.Request) {
	key, err := idempotencyKey(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	body, err := readBody(w, r, s.Config.MaxUploadBytes,
		"The request body exceeds the maximum allowed size of "+sizeText(s.Config.MaxUploadBytes))
	if err != nil {
		writeError(w, r, err)
		return
	}
	req, err := decodeImportJSON(body, s.Config.MaxRecords)
	if err == nil {
		err = s.checkQuota(r.Context(), int64(len(body)))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	req.IdempotencyKey = key
	sum := sha256.Sum256(append([]byte("json\n"), body...))
	req.RequestHash = sum[:]
	job, replayed, err := s.Imports.ImportRows(r.Context(), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	} else {
		s.Metrics.JobFinished(job)
	}
	content := s.importResult(r, job)
	if job.Status == vintry.StatusFailed {
		writeError(w, r, &vintry.Error{Code: vintry.EINVALID, Message: job.Errors[0].Message,
			Fields: rowErrorFields(job.Errors), Content: content})
		return
	}
	writeJSON(w, http.StatusOK, importResponse{Message: "Inventory import processed", Content: content})
}

func idempotencyKey(r *http.Request) (string, error) {
	values := r.Header.Values("Idempotency-Key")
	if len(values) == 0 {
		return "", nil
	}
	if len(values) > 1 || values[0] == "" || len(values[0]) > vintry.MaxIdempotencyKeyLength {
		return "", vintry.FieldError("Idempotency-Key",
			fmt.Sprintf("The Idempotency-Key header must be one value of 1 to %d characters.", vintry.MaxIdempotencyKeyLength))
	}
	return values[0], nil
}

// rowErrorFields lists row errors by field path: payload.<0-based index>.<field>.
func rowErrorFields(errs []vintry.RowError) map[string][]string {
	fields := map[string][]string{}
	for _, e := range errs {
		path := "payload." + strconv.Itoa(e.Row-1)
		if e.Field != "" {
			path += "." + e.Field
		}
		fields[path] = append(fields[path], e.Message)
	}
	return fields
}

type importResponse struct {
	Message string       `json:"message"`
	Content importResult `json:"content"`
}

type importResult struct {
	JobLogID      int64             `json:"job_log_id"`
	Status        vintry.JobStatus  `json:"status"`
	Type          string            `json:"type"`
	Summary       vintry.Summary    `json:"summary"`
	Errors        []vintry.RowError `json:"errors"`
	DryRun        bool              `json:"dry_run"`
	JobStatusLink string            `json:"job_status_link"`
}

func (s *Server) importResult(r *http.Request, job *vintry.ImportJob) importResult {
	errs := job.Errors
	if errs == nil {
		errs = []vintry.RowError{}
	}
	return importResult{
		JobLogID: job.ID, Status: job.Status, Type: vintry.JobType, Summary: job.Summary, Errors: errs,
		DryRun: job.Args.DryRun, JobStatusLink: s.jobStatusLink(r, job.ID),
	}
}

// jobStatusLink is the absolute URL of a job's log page.
func (s *Server) jobStatusLink(r *http.Request, id int64) string {
	return jobLogURL(s.baseURL(), principalSlug(r), id)
}

// baseURL is the configured public URL. The request's Host is never used:
// a client could make the server hand out links to a host of its choosing.
// Without one (serve always sets it), links are paths on this server.
func (s *Server) baseURL() string {
	return strings.TrimSuffix(s.Config.BaseURL, "/")
}

// jobLogURL is the absolute URL of a job's log page under base.
func jobLogURL(base, tenantSlug string, id int64) string {
	return fmt.Sprintf("%s/%s/settings/application-maintenance/job-management/imports/logs/%d", base, tenantSlug, id)
}

// decodeImportJSON checks the structure of a JSON import body and turns its
// payload into rows. Structural problems are request errors (400/422); a
// record's values are checked later, row by row.
func decodeImportJSON(body []byte, maxRecords int) (vintry.ImportRequest, error) {
	var req vintry.ImportRequest
	if err := checkJSONText(body); err != nil {
		return req, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		if json.Valid(body) {
			return req, vintry.FieldError("body", "The request body must be a JSON object with source, arguments and payload.")
		}
		return req, malformedJSON(err)
	}
	if top == nil { // the body is the JSON null
		return req, vintry.FieldError("body", "The request body must be a JSON object with source, arguments and payload.")
	}
	v := &validation{}
	if src, ok := top["source"]; !ok || isNull(src) {
		v.Add("source", "The source field is required.")
	} else if string(bytes.TrimSpace(src)) != `"api"` {
		v.Add("source", `The source must be "api".`)
	}
	req.Args = v.arguments(top["arguments"], false)
	rows, structural := v.payload(top["payload"], maxRecords)
	if structural != nil {
		return req, structural
	}
	req.Rows = rows
	return req, v.Err()
}

// validation collects a request's field errors (vintry.FieldErrors), with
// the checks the import methods share.
type validation struct{ vintry.FieldErrors }

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// arguments checks the arguments object shared by both import methods.
func (v *validation) arguments(raw json.RawMessage, csv bool) vintry.ImportArgs {
	var args vintry.ImportArgs
	var obj map[string]json.RawMessage
	if raw == nil || isNull(raw) {
		v.Add("arguments", "The arguments field is required.")
		return args
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		v.Add("arguments", "The arguments must be an object.")
		return args
	}
	boolArg := func(name string, dst *bool, required bool) {
		val, ok := obj[name]
		switch {
		case !ok || isNull(val):
			if required {
				v.Add("arguments."+name, fmt.Sprintf("The arguments.%s field is required.", name))
			}
		case json.Unmarshal(val, dst) != nil:
			v.Add("arguments."+name, fmt.Sprintf("The arguments.%s field must be true or false.", name))
		}
	}
	boolArg("allow_record_creation", &args.AllowRecordCreation, true)
	boolArg("allow_record_update", &args.AllowRecordUpdate, true)
	boolArg("should_continue_on_error", &args.ShouldContinueOnError, true)
	boolArg("dry_run", &args.DryRun, false)
	if csv {
		boolArg("headers_match_exactly", &args.HeadersMatchExactly, false)
	}
	if v.Err() == nil && !args.AllowRecordCreation && !args.AllowRecordUpdate {
		v.Add("arguments", "At least one of allow_record_creation and allow_record_update must be true.")
	}
	return args
}

// payload checks the payload array and decodes its records. A payload that is
// not an array of objects is returned as a structural error at once.
//
// The body has passed json.Unmarshal already, so raw is valid JSON: the array
// and its objects are walked in place (jsonValueEnd) instead of being
// unmarshalled again into a []json.RawMessage and a map per record.
func (v *validation) payload(raw json.RawMessage, maxRecords int) ([]vintry.ImportRow, error) {
	if raw == nil || isNull(raw) {
		v.Add("payload", "The payload field is required.")
		return nil, nil
	}
	entries, ok := jsonArray(raw)
	if !ok {
		return nil, vintry.FieldError("payload", "Invalid payload structure")
	}
	if len(entries) == 0 {
		v.Add("payload", "The payload must contain at least one record.")
		return nil, nil
	}
	if len(entries) > maxRecords {
		return nil, vintry.FieldError("payload", fmt.Sprintf("Maximum %d records per request", maxRecords))
	}
	rows := make([]vintry.ImportRow, len(entries))
	var structure validation
	for i, e := range entries {
		var rec [vintry.NumColumns][]byte
		if !jsonObjectColumns(e, &rec) {
			structure.AddDetail(fmt.Sprintf("payload.%d", i), "Invalid payload structure", "Each payload entry must be an object.")
			continue
		}
		rows[i] = decodeRecord(i+1, &rec)
	}
	if err := structure.Err(); err != nil {
		return nil, err
	}
	return rows, nil
}

// decodeRecord turns one payload object's column values into a row. Names and
// dates must be JSON strings; the quantity may be a number or a numeric
// string (its JSON text is kept as written, never passed through a float).
func decodeRecord(line int, rec *[vintry.NumColumns][]byte) vintry.ImportRow {
	row := vintry.ImportRow{Line: line}
	for c := vintry.Column(0); c < vintry.NumColumns; c++ {
		raw := rec[c]
		if raw == nil || string(raw) == "null" {
			continue
		}
		switch {
		case raw[0] == '"':
			row.Values[c] = jsonString(raw)
		case c == vintry.ColQuantity && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')):
			row.Values[c] = string(raw)
		case c == vintry.ColQuantity:
			row.Values[c] = string(raw)
			setTypeError(&row, c, "The quantity must be a number or a numeric string.")
		default:
			row.Values[c] = string(raw)
			setTypeError(&row, c, fmt.Sprintf("The %s must be a string.", c))
		}
	}
	return row
}

// columnByName maps a payload field name (exact, case-sensitive) to its column.
var columnByName = func() map[string]vintry.Column {
	m := make(map[string]vintry.Column, vintry.NumColumns)
	for c := vintry.Column(0); c < vintry.NumColumns; c++ {
		m[c.String()] = c
	}
	return m
}()

// jsonString decodes a valid JSON string literal; one without escapes is
// its bytes between the quotes (the body is valid UTF-8).
func jsonString(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	json.Unmarshal(raw, &s) // valid JSON text: cannot fail
	return s
}

// jsonArray returns the elements of a valid JSON array, false when the value
// is not an array.
func jsonArray(raw []byte) ([][]byte, bool) {
	i := jsonSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	var out [][]byte
	for i = jsonSpace(raw, i+1); raw[i] != ']'; i = jsonSpace(raw, i) {
		if raw[i] == ',' {
			i = jsonSpace(raw, i+1)
		}
		end := jsonValueEnd(raw, i)
		out = append(out, raw[i:end])
		i = end
	}
	return out, true
}

// jsonObjectColumns sets rec to the values of a valid JSON object's column
// fields (a later duplicate wins, as in a map); false when the value is not
// an object.
func jsonObjectColumns(raw []byte, rec *[vintry.NumColumns][]byte) bool {
	i := jsonSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	for i = jsonSpace(raw, i+1); raw[i] != '}'; i = jsonSpace(raw, i) {
		if raw[i] == ',' {
			i = jsonSpace(raw, i+1)
		}
		keyEnd := jsonValueEnd(raw, i)
		key := raw[i:keyEnd]
		i = jsonSpace(raw, jsonSpace(raw, keyEnd)+1) // past the colon
		end := jsonValueEnd(raw, i)
		var c vintry.Column
		var ok bool
		if bytes.IndexByte(key, '\\') < 0 {
			c, ok = columnByName[string(key[1:len(key)-1])]
		} else {
			c, ok = columnByName[jsonString(key)]
		}
		if ok {
			rec[c] = raw[i:end]
		}
		i = end
	}
	return true
}

func jsonSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// jsonValueEnd returns the index just past the valid JSON value at raw[i].
func jsonValueEnd(raw []byte, i int) int {
	switch raw[i] {
	case '"':
		for i++; raw[i] != '"'; i++ {
			if raw[i] == '\\' {
				i++
			}
		}
		return i + 1
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch raw[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			case '"':
				i = jsonValueEnd(raw, i) - 1
			}
		}
	default:
		for i < len(raw) && !strings.ContainsRune(",}] \t\n\r", rune(raw[i])) {
			i++
		}
		return i
	}
}

// setTypeError records that column c's value has a type the column cannot take.
func setTypeError(row *vintry.ImportRow, c vintry.Column, msg string) {
	if row.TypeErrors == nil {
		row.TypeErrors = map[vintry.Column]string{}
	}
	row.TypeErrors[c] = msg
}
