package vintry_test

import (
	"encoding/base64"
	"math"
	"reflect"
	"testing"

	"github.com/vintry/vintry"
)

func TestCursorRoundTrip(t *testing.T) {
	tests := []vintry.Cursor{
		{AfterID: 1, Offset: 1},
		{AfterID: 1000, Offset: 1000},
		{AfterID: 42, Offset: 0},
		{AfterID: 0, Offset: 7},
		{AfterID: math.MaxInt64, Offset: math.MaxInt32},
	}
	for _, c := range tests {
		index := vintry.EncodeCursor(c)
		if index == "" {
			t.Errorf("EncodeCursor(%+v) is empty", c)
			continue
		}
		req, err := vintry.ParsePageRequest("", index)
		if err != nil {
			t.Errorf("ParsePageRequest(%q) of %+v: %v", index, c, err)
			continue
		}
		if req.Cursor != c || req.PerPage != vintry.MaxPerPage {
			t.Errorf("round trip of %+v = %+v", c, req)
		}
	}
}

func TestEncodeCursorFirstPageIsEmpty(t *testing.T) {
	if got := vintry.EncodeCursor(vintry.Cursor{}); got != "" {
		t.Errorf("EncodeCursor(zero) = %q, want empty", got)
	}
}

func TestParsePageRequest(t *testing.T) {
	raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, perPage, index string
		want                 vintry.PageRequest
		badField             string // the field of the expected error, "" for none
	}{
		{name: "defaults", want: vintry.PageRequest{PerPage: 1000}},
		{name: "per_page 1", perPage: "1", want: vintry.PageRequest{PerPage: 1}},
		{name: "per_page 1000", perPage: "1000", want: vintry.PageRequest{PerPage: 1000}},
		{name: "per_page and cursor", perPage: "50", index: raw("v1:9:50"), want: vintry.PageRequest{PerPage: 50, Cursor: vintry.Cursor{AfterID: 9, Offset: 50}}},

		{name: "per_page 0", perPage: "0", badField: "per_page"},
		{name: "per_page 1001", perPage: "1001", badField: "per_page"},
		{name: "per_page negative", perPage: "-5", badField: "per_page"},
		{name: "per_page text", perPage: "ten", badField: "per_page"},
		{name: "per_page fraction", perPage: "1.5", badField: "per_page"},
		{name: "per_page exponent", perPage: "1e2", badField: "per_page"},
		{name: "per_page space", perPage: " 5", badField: "per_page"},
		{name: "per_page overflow", perPage: "99999999999999999999", badField: "per_page"},

		{name: "index not base64", index: "!!!", badField: "current_index"},
		{name: "index padded base64", index: base64.URLEncoding.EncodeToString([]byte("v1:9:50")), badField: "current_index"},
		{name: "index other version", index: raw("v2:9:5"), badField: "current_index"},
		{name: "index too few parts", index: raw("v1:9"), badField: "current_index"},
		{name: "index too many parts", index: raw("v1:9:5:1"), badField: "current_index"},
		{name: "index negative id", index: raw("v1:-1:5"), badField: "current_index"},
		{name: "index negative offset", index: raw("v1:9:-5"), badField: "current_index"},
		{name: "index text numbers", index: raw("v1:a:b"), badField: "current_index"},
		{name: "index id overflow", index: raw("v1:99999999999999999999:5"), badField: "current_index"},
		{name: "index offset that would overflow", index: raw("v1:0:9223372036854775807"), badField: "current_index"},
		{name: "index empty parts", index: raw("v1::"), badField: "current_index"},
		{name: "index plain number", index: "2", badField: "current_index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := vintry.ParsePageRequest(tt.perPage, tt.index)
			if tt.badField == "" {
				if err != nil {
					t.Fatalf("ParsePageRequest(%q, %q): %v", tt.perPage, tt.index, err)
				}
				if got != tt.want {
					t.Errorf("ParsePageRequest(%q, %q) = %+v, want %+v", tt.perPage, tt.index, got, tt.want)
				}
				return
			}
			if vintry.ErrorCode(err) != vintry.EINVALID {
				t.Fatalf("ParsePageRequest(%q, %q) error = %v, want %s", tt.perPage, tt.index, err, vintry.EINVALID)
			}
			var e *vintry.Error
			e, _ = err.(*vintry.Error)
			if e == nil || len(e.Fields[tt.badField]) == 0 || e.Message == "" {
				t.Errorf("error %+v does not name field %s", err, tt.badField)
			}
		})
	}
}

type item struct{ id int64 }

func itemID(it *item) int64 { return it.id }

func TestPaginate(t *testing.T) {
	req := vintry.PageRequest{PerPage: 3}
	tests := []struct {
		name    string
		req     vintry.PageRequest
		total   int
		fetched []item // as fetched with a limit of PerPage+1
		want    []item
		page    vintry.Page
	}{
		{
			name: "first page of many", req: req, total: 10,
			fetched: []item{{1}, {2}, {4}, {5}}, want: []item{{1}, {2}, {4}},
			page: vintry.Page{Total: 10, From: 1, To: 3, PerPage: 3, NextIndex: vintry.EncodeCursor(vintry.Cursor{AfterID: 4, Offset: 3})},
		},
		{
			name: "middle page", req: vintry.PageRequest{PerPage: 3, Cursor: vintry.Cursor{AfterID: 4, Offset: 3}}, total: 10,
			fetched: []item{{5}, {6}, {7}, {8}}, want: []item{{5}, {6}, {7}},
			page: vintry.Page{Total: 10, From: 4, To: 6, PerPage: 3,
				CurrentIndex: vintry.EncodeCursor(vintry.Cursor{AfterID: 4, Offset: 3}),
				NextIndex:    vintry.EncodeCursor(vintry.Cursor{AfterID: 7, Offset: 6})},
		},
		{
			name: "exactly one full last page", req: req, total: 3,
			fetched: []item{{1}, {2}, {3}}, want: []item{{1}, {2}, {3}},
			page: vintry.Page{Total: 3, From: 1, To: 3, PerPage: 3},
		},
		{
			name: "short last page", req: vintry.PageRequest{PerPage: 3, Cursor: vintry.Cursor{AfterID: 9, Offset: 9}}, total: 10,
			fetched: []item{{10}}, want: []item{{10}},
			page: vintry.Page{Total: 10, From: 10, To: 10, PerPage: 3, CurrentIndex: vintry.EncodeCursor(vintry.Cursor{AfterID: 9, Offset: 9})},
		},
		{
			name: "empty list", req: req, total: 0,
			fetched: nil, want: []item{},
			page: vintry.Page{Total: 0, PerPage: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, page := vintry.Paginate(tt.req, tt.total, tt.fetched, itemID)
			if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("items = %v, want %v", got, tt.want)
			}
			if page != tt.page {
				t.Errorf("page = %+v\nwant   %+v", page, tt.page)
			}
		})
	}
}

// TestPaginateWalk pages through a list the way a client does, passing each
// next_index back as current_index, and checks every record comes exactly once.
func TestPaginateWalk(t *testing.T) {
	var all []item
	for id := int64(1); id <= 23; id++ {
		if id%4 != 0 { // gaps, as after deletes
			all = append(all, item{id})
		}
	}
	fetch := func(req vintry.PageRequest) []item {
		var out []item
		for _, it := range all {
			if it.id > req.Cursor.AfterID && len(out) < req.PerPage+1 {
				out = append(out, it)
			}
		}
		return out
	}
	var seen []item
	index, pages := "", 0
	for {
		req, err := vintry.ParsePageRequest("5", index)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		items, page := vintry.Paginate(req, len(all), fetch(req), itemID)
		pages++
		if page.From != len(seen)+1 || page.To != len(seen)+len(items) || page.CurrentIndex != index {
			t.Fatalf("page %d = %+v after %d records", pages, page, len(seen))
		}
		seen = append(seen, items...)
		if page.NextIndex == "" {
			break
		}
		if pages > len(all) {
			t.Fatal("pagination does not end")
		}
		index = page.NextIndex
	}
	if !reflect.DeepEqual(seen, all) {
		t.Errorf("walked %v, want %v", seen, all)
	}
	if want := (len(all) + 4) / 5; pages != want {
		t.Errorf("pages = %d, want %d", pages, want)
	}
}

func TestPageRequestBeforeID(t *testing.T) {
	if got := (vintry.PageRequest{}).BeforeID(); got != 1<<63-1 {
		t.Errorf("first page: BeforeID = %d, want the largest id", got)
	}
	if got := (vintry.PageRequest{Cursor: vintry.Cursor{AfterID: 42, Offset: 10}}).BeforeID(); got != 42 {
		t.Errorf("later page: BeforeID = %d, want 42", got)
	}
}
