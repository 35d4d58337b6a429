package http

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/vintry/vintry"
)

// smallBodyLimit bounds the bodies of endpoints that take no file.
const smallBodyLimit = 1 << 20

// readForm parses a URL-encoded form body of at most smallBodyLimit bytes:
// a declared Content-Length over it is refused before reading, a longer
// body is cut off at the limit (ETOOLARGE either way).
func readForm(w http.ResponseWriter, r *http.Request) error {
	tooLarge := vintry.Errorf(vintry.ETOOLARGE, "The form exceeds the maximum allowed size of %s.", sizeText(smallBodyLimit))
	if r.ContentLength > smallBodyLimit {
		return tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, smallBodyLimit)
	err := r.ParseForm()
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return tooLarge
	} else if err != nil {
		return vintry.Errorf(vintry.EMALFORMED, "The form could not be read.")
	}
	return nil
}

// withBodyLimit caps every request body at the largest any endpoint takes
// (an upload and its form fields), whatever the handler does with it. Each
// endpoint that reads a body applies its own, usually smaller, limit first
// (readBody, readForm, readImportForm), with its own message; this is the
// backstop for a handler that reads a body it does not bound. A body the
// handler does not read is never read in full: net/http closes the
// connection instead of draining more than 256 KB of it.
func (s *Server) withBodyLimit(next http.Handler) http.Handler {
	limit := s.Config.MaxUploadBytes + formOverhead
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// readBody reads the whole request body, at most limit bytes: a declared
// Content-Length over the limit is refused before reading, and a body that
// turns out longer is cut off at the limit. Either way: ETOOLARGE with msg.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, msg string) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, vintry.Errorf(vintry.ETOOLARGE, "%s", msg)
	}
	body, err := readAllBudgeted(r.Context(), http.MaxBytesReader(w, r.Body, limit), limit+1)
	var tooLarge *http.MaxBytesError
	var busy *vintry.Error
	if errors.As(err, &tooLarge) {
		return nil, vintry.Errorf(vintry.ETOOLARGE, "%s", msg)
	} else if errors.As(err, &busy) {
		return nil, err
	} else if err != nil {
		return nil, vintry.Errorf(vintry.EMALFORMED, "The request body could not be read.")
	}
	return body, nil
}

// sizeText renders a byte limit the way the seed's messages do ("10MB").
func sizeText(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%dMB", n>>20)
	}
	if n%(1<<10) == 0 {
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// readJSONBody reads a JSON request body of at most smallBodyLimit bytes
// (readBody) and refuses one that is not UTF-8 (checkJSONText).
func readJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := readBody(w, r, smallBodyLimit, "The request body exceeds the maximum allowed size of "+sizeText(smallBodyLimit)+".")
	if err != nil {
		return nil, err
	}
	return body, checkJSONText(body)
}

// checkJSONText refuses a JSON body that is not UTF-8 (RFC 8259 §8.1).
// encoding/json would silently read each bad byte as U+FFFD, so a name the
// client never sent could be stored or looked up.
func checkJSONText(body []byte) error {
	if !utf8.Valid(body) {
		return vintry.Errorf(vintry.EMALFORMED, "Malformed JSON: the request body is not valid UTF-8.")
	}
	return nil
}

// malformedJSON is the 400 for a body that is not JSON at all.
func malformedJSON(err error) error {
	return vintry.Errorf(vintry.EMALFORMED, "Malformed JSON: %s.", err.Error())
}

// pathID reads a positive id path value written canonically ("7", not "+7"
// or "07"), so each resource has exactly one URL.
func pathID(r *http.Request, name string) (int64, bool) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != v {
		return 0, false
	}
	return id, true
}
