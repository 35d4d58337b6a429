package http_test

import (
	"net/http"
	"testing"
)

func TestImportAndRead(t *testing.T) {
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	res := e.do("POST", "/acme/api/v1/inventory/import/process", tn.MemberToken,
		importBody(true, true, false, rec("ZAMNVCAS19", "SS-01", "RM19CASRUT.ZAM", "2023-08-01", "1234567.123456", "gal")))
	if res.Status != http.StatusOK {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	inv := e.inventory(tn, "")
	if len(inv) != 1 || inv[0]["quantity"] != "1234567.123456" || inv[0]["location_name"] != "ZAM-WINERY" {
		t.Fatalf("inventory = %v", inv)
	}
}
