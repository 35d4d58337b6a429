package vintry

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Error codes. Each maps to exactly one HTTP status in the http package; storage
// adapters translate driver errors into these codes by driver error code.
const (
	ECONFLICT     = "conflict"     // 409: the change conflicts with existing state
	EINTERNAL     = "internal"     // 500: a bug or an infrastructure failure; details are logged, never shown
	EINVALID      = "invalid"      // 422: the request is well-formed but breaks a rule
	EMALFORMED    = "malformed"    // 400: the body cannot be parsed at all
	ENOTFOUND     = "not_found"    // 404
	EUNAUTHORIZED = "unauthorized" // 401
	EFORBIDDEN    = "forbidden"    // 403
	ETOOLARGE     = "too_large"    // 413
	EUNSUPPORTED  = "unsupported"  // 415: unsupported media type
	ERATELIMIT    = "rate_limited" // 429
	EUNAVAILABLE  = "unavailable"  // 503: the service is shutting down or its database is unreachable
	EFULL         = "full"         // 507: the database has no storage space left
	EQUOTA        = "quota"        // 507: the tenant's storage quota is used up
)

// MsgStorageFull is the message of EFULL: nothing of the request was kept.
const MsgStorageFull = "The server has no storage space left; nothing was stored. Try again later."

// Error is the application error. Message is a human sentence safe to show to a
// client; Fields holds field-level detail keyed by field path (for example
// "payload.3.quantity" or "field_mappings.SKU"). Content, when set, is a
// response body payload that belongs with the error (an import's result when
// the import failed as a whole). Suggestions, when set, proposes a column
// for CSV headers that a refused header mapping left unmapped (CSV header →
// column name).
type Error struct {
	Code        string
	Message     string
	Fields      map[string][]string
	Content     any
	Suggestions map[string]string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("vintry error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error whose message is also recorded under
// the given field path.
func FieldError(field, message string) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: map[string][]string{field: {message}}}
}

// FieldErrors collects the field errors of a request or batch that is all
// or nothing: the first message recorded becomes the error's message, and
// every field keeps all of its messages. The zero value is empty and ready
// to use.
type FieldErrors struct {
	fields map[string][]string
	first  string
}

// Add records msg for field.
func (f *FieldErrors) Add(field, msg string) { f.AddDetail(field, msg, msg) }

// AddDetail records detail for field, and msg as the error's message when
// it is the first.
func (f *FieldErrors) AddDetail(field, msg, detail string) {
	if f.fields == nil {
		f.fields = map[string][]string{}
		f.first = msg
	}
	f.fields[field] = append(f.fields[field], detail)
}

// AddAll records every message of fields, in field order, so that which
// message comes first does not depend on map order.
func (f *FieldErrors) AddAll(fields map[string][]string) {
	for _, field := range slices.Sorted(maps.Keys(fields)) {
		for _, msg := range fields[field] {
			f.Add(field, msg)
		}
	}
}

// Err returns nil when nothing was recorded, else an EINVALID error with the
// first message and every field's messages.
func (f *FieldErrors) Err() error {
	if f.fields == nil {
		return nil
	}
	return &Error{Code: EINVALID, Message: f.first, Fields: f.fields}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the message of an
// *Error, or a generic sentence for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal server error."
}
