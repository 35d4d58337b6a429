package http

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/vintry/vintry"
)

// smallBodyLimit bounds the bodies of endpoints that take no file.
const smallBodyLimit = 1 << 20

// readBody reads the whole request body, at most limit bytes: a declared
// Content-Length over the limit is refused before reading, and a body that
// turns out longer is cut off at the limit. Either way: ETOOLARGE with msg.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, msg string) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, vintry.Errorf(vintry.ETOOLARGE, "%s", msg)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, vintry.Errorf(vintry.ETOOLARGE, "%s", msg)
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

// malformedJSON is the 400 for a body that is not JSON at all.
func malformedJSON(err error) error {
	return vintry.Errorf(vintry.EMALFORMED, "Malformed JSON: %s.", err.Error())
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
