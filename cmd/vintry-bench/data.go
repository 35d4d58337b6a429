package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"
)

// The seeded master data: one location with five areas, and the counts the
// issue asks for.
const (
	numItems = 100
	numBins  = 50
	numLots  = 200
	numAreas = 5

	tenantSlug = "bench"
	userEmail  = "bench@vintry.example"
	location   = "BENCH-CELLAR"
)

// uoms are the seeded units; records name them by name or by abbreviation.
var uoms = [5]struct{ name, abbr string }{
	{"gallon", "gal"}, {"liter", "l"}, {"case-9l", "cs"}, {"bottle-750ml", "btl"}, {"barrel", "bbl"},
}

func itemName(n int) string { return fmt.Sprintf("ITEM-%03d", n) }
func binName(n int) string  { return fmt.Sprintf("BIN-%02d", n) }
func lotName(n int) string  { return fmt.Sprintf("LOT-%03d", n) }
func areaName(n int) string { return fmt.Sprintf("AREA-%d", n+1) }

// firstDay is the date_filled of key 0; keys advance it one day per
// numItems*numBins*numLots keys, so every key index is a distinct record key.
var firstDay = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// record is one import record, every value as the client sends it.
type record struct {
	Item     string `json:"item_name"`
	Bin      string `json:"bin_name"`
	Lot      string `json:"lot_name"`
	Date     string `json:"date_filled"`
	Quantity string `json:"quantity"`
	UOM      string `json:"uom"`
}

// keyParts are the master data indexes and date of key i.
type keyParts struct {
	item, bin, lot, uom int
	date                string
}

// partsAt maps key index i to a distinct record key: consecutive keys walk
// items fastest, then bins, then lots, then days, so a batch of 1000 names
// 100 items, 10 bins and one or two lots, as an ERP export of one cellar would.
func partsAt(i int) keyParts {
	return keyParts{
		item: i % numItems,
		bin:  (i / numItems) % numBins,
		lot:  (i / (numItems * numBins)) % numLots,
		uom:  i % len(uoms),
		date: firstDay.AddDate(0, 0, i/(numItems*numBins*numLots)).Format(time.DateOnly),
	}
}

// quantityAt is the quantity of key i in version v of the data: distinct
// for every version, so an update run always changes every record.
func quantityAt(i, v int) string {
	q := strconv.Itoa(1 + i%1000 + 1000*v)
	if i%2 == 1 {
		q += ".25"
	}
	return q
}

// recordAt is key i's record in version v.
func recordAt(i, v int) record {
	p := partsAt(i)
	uom := uoms[p.uom].name
	if (i/len(uoms))%2 == 1 {
		uom = uoms[p.uom].abbr // both ways of naming a UOM are exercised
	}
	return record{Item: itemName(p.item), Bin: binName(p.bin), Lot: lotName(p.lot), Date: p.date,
		Quantity: quantityAt(i, v), UOM: uom}
}

// keyspace hands out ranges of fresh key indexes; it is safe for concurrent use.
type keyspace struct{ next atomic.Int64 }

// take reserves n fresh keys and returns the first.
func (k *keyspace) take(n int) int { return int(k.next.Add(int64(n))) - n }

// importArgs are the arguments of every benchmark import: create and update,
// all-or-nothing.
var importArgs = map[string]bool{"allow_record_creation": true, "allow_record_update": true, "should_continue_on_error": false}

// jsonBody is a JSON import of keys [first, first+n) in version v.
func jsonBody(first, n, v int) []byte {
	payload := make([]record, n)
	for j := range payload {
		payload[j] = recordAt(first+j, v)
	}
	return jsonBodyOf(payload)
}

// jsonBodyOf is a JSON import of records.
func jsonBodyOf(payload []record) []byte {
	body, err := json.Marshal(map[string]any{"source": "api", "arguments": importArgs, "payload": payload})
	if err != nil {
		panic(err) // strings and booleans always marshal
	}
	return body
}

// csvHeader is the header of every benchmark CSV file: the exact column names.
const csvHeader = "item_name,bin_name,lot_name,date_filled,quantity,uom\n"

// writeCSV writes a CSV import of keys [first, first+n) in version v.
func writeCSV(w io.Writer, first, n, v int) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString(csvHeader)
	for i := first; i < first+n; i++ {
		r := recordAt(i, v)
		for _, s := range [...]string{r.Item, ",", r.Bin, ",", r.Lot, ",", r.Date, ",", r.Quantity, ",", r.UOM, "\n"} {
			bw.WriteString(s)
		}
	}
	return bw.Flush()
}

// masterData is the seed, per kind as the API path names it, in the order
// the API needs it (parents first).
func masterData() []masterBatch {
	areas := make([]map[string]string, numAreas)
	for n := range areas {
		areas[n] = map[string]string{"name": areaName(n), "parent_name": location}
	}
	bins := make([]map[string]string, numBins)
	for n := range bins {
		bins[n] = map[string]string{"name": binName(n), "parent_name": areaName(n % numAreas), "bin_type": "Vessel-Stainless"}
	}
	items := make([]map[string]string, numItems)
	for n := range items {
		items[n] = map[string]string{"name": itemName(n), "description": "Benchmark wine " + strconv.Itoa(n)}
	}
	lots := make([]map[string]string, numLots)
	for n := range lots {
		lots[n] = map[string]string{"name": lotName(n), "lot_status": "Aging"}
	}
	units := make([]map[string]string, len(uoms))
	for n, u := range uoms {
		units[n] = map[string]string{"name": u.name, "abbreviation": u.abbr}
	}
	return []masterBatch{
		{"locations", []map[string]string{{"name": location, "description": "Benchmark cellar"}}},
		{"location-areas", areas}, {"bins", bins}, {"items", items}, {"lots", lots}, {"uoms", units},
	}
}

// masterBatch is one upsert request of master data.
type masterBatch struct {
	kind    string
	entries []map[string]string
}
