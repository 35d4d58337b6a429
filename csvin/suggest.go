package csvin

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// keywords are the header words (normalised: lower case, letters and
// digits only, accents removed) that name a column in exports seen in the
// wild: ERPs, cellar software, spreadsheets, German exports.
var keywords = map[string]string{
	"item": "item_name", "itemname": "item_name", "itemcode": "item_name", "itemno": "item_name",
	"itemnumber": "item_name", "itemid": "item_name", "sku": "item_name", "product": "item_name",
	"productcode": "item_name", "productname": "item_name", "article": "item_name", "artikel": "item_name",
	"material": "item_name", "wine": "item_name", "partno": "item_name", "partnumber": "item_name",

	"bin": "bin_name", "binname": "bin_name", "bincode": "bin_name", "location": "bin_name",
	"locationcode": "bin_name", "warehousebin": "bin_name", "storagebin": "bin_name", "vessel": "bin_name",
	"tank": "bin_name", "lagerplatz": "bin_name",

	"lot": "lot_name", "lotname": "lot_name", "lotno": "lot_name", "lotnumber": "lot_name",
	"lotcode": "lot_name", "batch": "lot_name", "batchno": "lot_name", "batchnumber": "lot_name",
	"batchcode": "lot_name", "charge": "lot_name", "chargennummer": "lot_name",

	"date": "date_filled", "datefilled": "date_filled", "filldate": "date_filled", "filled": "date_filled",
	"fill": "date_filled", "fillingdate": "date_filled", "bottled": "date_filled", "bottling": "date_filled",
	"bottlingdate": "date_filled", "bottleddate": "date_filled", "abfulldatum": "date_filled",
	"abfuelldatum": "date_filled",

	"quantity": "quantity", "qty": "quantity", "amount": "quantity", "volume": "quantity",
	"onhand": "quantity", "qtyonhand": "quantity", "menge": "quantity",

	"uom": "uom", "unit": "uom", "units": "uom", "unitofmeasure": "uom", "unitofmeasurement": "uom",
	"measure": "uom", "einheit": "uom",
}

// Suggestion tiers: lower is a better match.
const (
	tierColumn  = iota // the header is a column name once normalised ("Item-Name")
	tierKeyword        // the whole header is a known name for a column ("Item Code", "Qty")
	tierWord           // one word of it is ("Warehouse Bin")
	tierTypo           // it is a few edits from a column name or a keyword ("Quantitiy")
)

// maxSuggestHeaders bounds the headers Suggest looks at: a real export has
// a few dozen; a 10 MB header line must not make a refusal slow.
const maxSuggestHeaders = 500

// candidate is one possible (header, column) pair and how good it is.
type candidate struct {
	header, col, score int
}

// Suggest proposes a column for each header of the file that no mapping
// uses yet, among the columns nothing maps yet, for error messages and the
// upload page. A header counts as used when mappings gives it a valid
// target or maps it to "" (ignore it), or when it is exactly a column's name
// that mappings does not mention. Each column is suggested for at most one
// header and each header gets at most one column: the best matches win
// (normalised name, then known names, then a known word in the header, then
// a small edit distance), earlier headers first on a tie. Only the first
// maxSuggestHeaders headers are considered. Headers nothing
// resembles get no suggestion; the result maps header (as in the file) to
// column and is empty, never nil, when there is nothing to suggest.
func Suggest(header []string, mappings FieldMappings) map[string]string {
	usedHeader, takenCol := usage(header, mappings)
	var cands []candidate
	for i, h := range header[:min(len(header), maxSuggestHeaders)] {
		name := strings.TrimSpace(h)
		if name == "" || usedHeader[name] {
			continue
		}
		for col, score := range scores(name) {
			if !takenCol[col] {
				cands = append(cands, candidate{header: i, col: col, score: score})
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.score != b.score {
			return a.score - b.score
		}
		if a.header != b.header {
			return a.header - b.header
		}
		return a.col - b.col
	})
	out := map[string]string{}
	doneHeader := map[int]bool{}
	for _, c := range cands {
		if doneHeader[c.header] || takenCol[c.col] {
			continue
		}
		doneHeader[c.header], takenCol[c.col] = true, true
		out[strings.TrimSpace(header[c.header])] = Columns[c.col]
	}
	return out
}

// usage returns the headers a mapping (or an exact name) already uses and
// the columns already taken, as ResolveMapping would resolve them.
func usage(header []string, mappings FieldMappings) (map[string]bool, map[int]bool) {
	idx := headerIndex(header)
	used, taken := map[string]bool{}, map[int]bool{}
	for _, fm := range mappings {
		col := columnIndex(fm.Target)
		_, inFile := idx[fm.Header]
		switch {
		case fm.Target == "":
			used[fm.Header] = true
		case col >= 0 && inFile && !taken[col]:
			used[fm.Header], taken[col] = true, true
		}
	}
	for col, name := range Columns {
		if _, ok := idx[name]; ok && !taken[col] && !mentioned(mappings, name) {
			used[name], taken[col] = true, true
		}
	}
	return used, taken
}

// scores returns, for each column the header resembles, the best score of
// that resemblance (tier*100 plus a tie-breaker within the tier).
func scores(header string) map[int]int {
	words := headerWords(header)
	whole := strings.Join(words, "")
	out := map[int]int{}
	add := func(colName string, score int) {
		col := columnIndex(colName)
		if old, ok := out[col]; !ok || score < old {
			out[col] = score
		}
	}
	for _, c := range Columns {
		if whole == strings.ReplaceAll(c, "_", "") {
			add(c, tierColumn*100)
		}
	}
	if c, ok := keywords[whole]; ok {
		add(c, tierKeyword*100)
	}
	// The last word of an English header is its noun ("Fill Date",
	// "Warehouse Bin"): later words rank first.
	for i, w := range words {
		if c, ok := keywords[w]; ok && len(words) > 1 {
			add(c, tierWord*100+len(words)-1-i)
		}
	}
	n := utf8.RuneCountInString(whole)
	for kw, c := range keywords {
		// The length difference alone rules most keywords out, cheaply.
		limit := maxEdits(len(kw))
		if n-len(kw) > limit || len(kw)-n > limit {
			continue
		}
		if d := editDistance(whole, kw); d > 0 && d <= limit {
			add(c, tierTypo*100+d)
		}
	}
	return out
}

// maxEdits is how many edits a header may be from a keyword of n bytes and
// still suggest it: none for very short names (too many false friends).
func maxEdits(n int) int {
	switch {
	case n <= 2:
		return 0
	case n <= 5:
		return 1
	case n <= 9:
		return 2
	}
	return 3
}

// accents returns a transformer that removes combining marks after
// decomposition ("ü" → "u"). A chain is stateful, so each use makes its own.
func accents() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

// headerWords splits a header into lower-case words of letters and digits:
// at anything else and where a lower-case letter meets an upper-case one
// ("ItemCode" → item, code). Accents are removed.
func headerWords(h string) []string {
	if s, _, err := transform.String(accents(), h); err == nil {
		h = s
	}
	var words []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range h {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			prevLower = false
			continue
		}
		if unicode.IsUpper(r) && prevLower {
			flush()
		}
		cur = append(cur, r)
		prevLower = unicode.IsLower(r)
	}
	flush()
	return words
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and swaps of neighbours), in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return max(len(ra), len(rb)) // long headers resemble no keyword
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
