package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/vintry/vintry"
)

// statusOf maps application error codes to HTTP statuses, in one place.
var statusOf = map[string]int{
	vintry.EINVALID:      http.StatusUnprocessableEntity,
	vintry.EMALFORMED:    http.StatusBadRequest,
	vintry.ENOTFOUND:     http.StatusNotFound,
	vintry.ECONFLICT:     http.StatusConflict,
	vintry.EUNAUTHORIZED: http.StatusUnauthorized,
	vintry.EFORBIDDEN:    http.StatusForbidden,
	vintry.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	vintry.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	vintry.ERATELIMIT:    http.StatusTooManyRequests,
	vintry.EUNAVAILABLE:  http.StatusServiceUnavailable,
	vintry.EFULL:         http.StatusInsufficientStorage,
	vintry.EQUOTA:        http.StatusInsufficientStorage,
	vintry.EINTERNAL:     http.StatusInternalServerError,
}

// errorBody is the shape of every error response.
type errorBody struct {
	Message   string              `json:"message"`
	Errors    map[string][]string `json:"errors,omitempty"`
	Content   any                 `json:"content,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	// Suggestions proposes a column for CSV headers a refused mapping left
	// unmapped (header → column).
	Suggestions map[string]string `json:"suggestions,omitempty"`
}

// writeError writes err as JSON. Internal errors are logged with the request
// id, and the client sees only a generic message and that id.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(w, r, err) {
		return
	}
	code := vintry.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	body := errorBody{Message: vintry.ErrorMessage(err)}
	var e *vintry.Error
	if errors.As(err, &e) {
		body.Errors, body.Content, body.Suggestions = e.Fields, e.Content, e.Suggestions
	}
	if status == http.StatusInternalServerError {
		logger(r.Context()).Error("internal error", "error", err.Error())
		body = errorBody{Message: "Internal server error.", RequestID: requestID(r.Context())}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	// A used-up quota does not pass by waiting: no Retry-After for it.
	if (status == http.StatusServiceUnavailable || status == http.StatusInsufficientStorage) && vintry.ErrorCode(err) != vintry.EQUOTA &&
		w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", retryAfterBusy)
	}
	writeJSON(w, status, body)
}

// statusClientGone is the status logged for a request whose client went
// away before its answer (nginx's 499); nobody reads it.
const statusClientGone = 499

// clientGone reports whether err is only that the request's client went
// away (it closed the connection mid-upload, say): then there is nobody to
// answer and nothing went wrong on the server, so it is logged as a note,
// not as an internal error, and the status is statusClientGone.
func clientGone(w http.ResponseWriter, r *http.Request, err error) bool {
	if r.Context().Err() == nil || !errors.Is(err, context.Canceled) {
		return false
	}
	logger(r.Context()).Info("client went away before the answer", "error", err.Error())
	w.WriteHeader(statusClientGone)
	return true
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// message is a response that says only what happened.
type message struct {
	Message string `json:"message"`
}
