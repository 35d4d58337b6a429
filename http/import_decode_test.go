package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/vintry/vintry"
)

// mapPayload is the payload decoding this package had before it walked the
// JSON in place: a []json.RawMessage, then a map and an Unmarshal per value.
// FuzzPayloadDecode checks that both give the same rows and errors.
func mapPayload(raw json.RawMessage) ([]vintry.ImportRow, bool) {
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, false
	}
	rows := make([]vintry.ImportRow, len(entries))
	for i, e := range entries {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(e, &rec); err != nil || rec == nil {
			return nil, false
		}
		row := vintry.ImportRow{Line: i + 1}
		for c := vintry.Column(0); c < vintry.NumColumns; c++ {
			raw, ok := rec[c.String()]
			if !ok || isNull(raw) {
				continue
			}
			raw = bytes.TrimSpace(raw)
			var s string
			switch {
			case json.Unmarshal(raw, &s) == nil:
				row.Values[c] = s
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
		rows[i] = row
	}
	return rows, true
}

func FuzzPayloadDecode(f *testing.F) {
	for _, s := range []string{
		`[{"item_name":"CAB 2019","bin_name":"SS-01","lot_name":"L","date_filled":"2024-02-29","quantity":"5000.000","uom":"gal"}]`,
		` [ { "item_name" : "a\"b\\c\u00e9" , "quantity" : 12.5e1 , "uom" : null } , {"quantity":-1,"quantity":"2"} ] `,
		`[{"item_name":{"x":[1,"]}"]},"bin_name":[1,{"a":"}"}],"lot_name":true,"date_filled":5,"quantity":"1e3","uom":false}]`,
		`[{"item\u005fname":"escaped key","ITEM_NAME":"other case","item_name ":"space"}]`,
		`[{"quantity":true},{"quantity":[1]},{"quantity":"x"},{}]`,
		`[1]`, `[null]`, `["a"]`, `[[]]`, `{}`, `"x"`, `[]`, `[{"uom":"\ud800"}]`, "[{\"uom\":\"\t\"}]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw := []byte(s)
		if !json.Valid(raw) || !isUTF8(raw) {
			return
		}
		want, wantOK := mapPayload(raw)
		var v validation
		got, err := v.payload(raw, 1<<30)
		gotOK := err == nil
		if len(want) == 0 && wantOK { // an empty payload is a field error, not rows
			return
		}
		if gotOK != wantOK {
			t.Fatalf("%s: ok %v, map decoding %v (%v)", s, gotOK, wantOK, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %#v\nwant %#v", s, got, want)
		}
	})
}

func isUTF8(b []byte) bool { return checkJSONText(b) == nil }
