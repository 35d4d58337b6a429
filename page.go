package vintry

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// MaxPerPage is the largest page of any list endpoint, as Claret pages.
const MaxPerPage = 1000

// PageRequest asks for one page of a list ordered by id.
type PageRequest struct {
	PerPage int
	Cursor  Cursor
}

// Cursor is a position in a list: the last id seen and how many records came
// before the page it starts. The zero Cursor is the first page.
type Cursor struct {
	AfterID int64
	Offset  int
}

// BeforeID is where a page of a newest-first list starts: below the last id
// seen, or at the top for the first page.
func (r PageRequest) BeforeID() int64 {
	if r.Cursor.AfterID == 0 {
		return 1<<63 - 1
	}
	return r.Cursor.AfterID
}

// Page describes one page of a list, in Claret's pagination shape.
type Page struct {
	Total        int
	From         int // 1-based position of the first record; 0 when the page is empty
	To           int
	PerPage      int
	CurrentIndex string
	NextIndex    string // "" on the last page
}

// maxCursorOffset bounds a cursor's offset, far above any real list, so
// that From and To (offset + page size) cannot overflow.
const maxCursorOffset = 1 << 53

// EncodeCursor returns the opaque form of c used as current_index/next_index.
func EncodeCursor(c Cursor) string {
	if c == (Cursor{}) {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("v1:%d:%d", c.AfterID, c.Offset)))
}

// ParsePageRequest validates the per_page and current_index query values.
func ParsePageRequest(perPage, index string) (PageRequest, error) {
	req := PageRequest{PerPage: MaxPerPage}
	if perPage != "" {
		n, err := strconv.Atoi(perPage)
		if err != nil || n < 1 || n > MaxPerPage {
			return req, FieldError("per_page", fmt.Sprintf("The per_page must be an integer between 1 and %d.", MaxPerPage))
		}
		req.PerPage = n
	}
	if index == "" {
		return req, nil
	}
	bad := FieldError("current_index", "The current_index is not a valid page index; use the next_index of a previous response.")
	raw, err := base64.RawURLEncoding.DecodeString(index)
	if err != nil {
		return req, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != "v1" {
		return req, bad
	}
	id, err1 := strconv.ParseInt(parts[1], 10, 64)
	off, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || id < 0 || off < 0 || off > maxCursorOffset {
		return req, bad
	}
	req.Cursor = Cursor{AfterID: id, Offset: off}
	return req, nil
}

// NewPage builds the Page for n records fetched after req's cursor, where
// lastID is the id of the last record and more tells whether records follow.
func NewPage(req PageRequest, total, n int, lastID int64, more bool) Page {
	p := Page{Total: total, PerPage: req.PerPage, CurrentIndex: EncodeCursor(req.Cursor)}
	if n > 0 {
		p.From = req.Cursor.Offset + 1
		p.To = req.Cursor.Offset + n
	}
	if more && n > 0 {
		p.NextIndex = EncodeCursor(Cursor{AfterID: lastID, Offset: req.Cursor.Offset + n})
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Paginate trims items, fetched with a limit of PerPage+1 after req's cursor,
// to one page and describes that page. id returns an item's id.
func Paginate[T any](req PageRequest, total int, items []T, id func(*T) int64) ([]T, Page) {
	more := len(items) > req.PerPage
	items = items[:min(len(items), req.PerPage)]
	var lastID int64
	if len(items) > 0 {
		lastID = id(&items[len(items)-1])
	}
	return items, NewPage(req, total, len(items), lastID, more)
}
