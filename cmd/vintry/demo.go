package main

import (
	"context"
	"fmt"
	"io"

	"github.com/vintry/vintry"
)

// The demo tenant's sign-in. The demo is for trying Vintry out; its password
// is public by design.
const (
	demoTenant   = "demo"
	demoEmail    = "demo@vintry.example"
	demoPassword = "vintry-demo"
)

// demoMaster is the demo's master data: every name the files in
// shared/samples use, so each of them imports against the demo, plus a few
// more of a real winery.
var demoMaster = []struct {
	kind    vintry.Kind
	entries []vintry.MasterEntry
}{
	{vintry.KindLocation, []vintry.MasterEntry{
		{Name: "ZAM-WINERY", Description: "ZAM Apps Winery"},
		{Name: "ZAM-WHS", Description: "ZAM Apps Warehouse"},
	}},
	{vintry.KindLocationArea, []vintry.MasterEntry{
		{Name: "North", ParentName: "ZAM-WINERY", Description: "North Tank Farm"},
		{Name: "South", ParentName: "ZAM-WINERY", Description: "South Tank Farm"},
		{Name: "Barrel Room", ParentName: "ZAM-WINERY", Description: "Barrel Room"},
		{Name: "Storage", ParentName: "ZAM-WHS", Description: "Storage"},
	}},
	{vintry.KindBin, []vintry.MasterEntry{
		{Name: "SS-01", ParentName: "North", Description: "Stainless Steel Tank 01", BinType: "Vessel-Stainless", ExternalSystemID: "BIN-1001"},
		{Name: "SS-02", ParentName: "North", Description: "Stainless Steel Tank 02", BinType: "Vessel-Stainless", ExternalSystemID: "BIN-1002"},
		{Name: "SS-03", ParentName: "South", Description: "Stainless Steel Tank 03", BinType: "Vessel-Stainless", ExternalSystemID: "BIN-1003"},
		{Name: "BBL-117", ParentName: "South", Description: "French oak barrel 117", BinType: "Vessel-Barrel", ExternalSystemID: "BIN-1117"},
		{Name: "BBL-118", ParentName: "Barrel Room", Description: "French oak barrel 118", BinType: "Vessel-Barrel", ExternalSystemID: "BIN-1118"},
		{Name: "FG-GEN-BIN", ParentName: "Storage", Description: "Finished Good Generic Holding Bin", BinType: "FG-BIN", ExternalSystemID: "BIN-2001"},
	}},
	{vintry.KindItem, []vintry.MasterEntry{
		{Name: "ZAMNVCAS19", Description: "Napa Valley Cabernet Sauvignon 2019 (bulk)"},
		{Name: "ZAMNVCAS20", Description: "Napa Valley Cabernet Sauvignon 2020 (bulk)"},
		{Name: "CAB 2019", Description: "Cabernet Sauvignon 2019"},
		{Name: "122-16", Description: "Cabernet Sauvignon 750ml case of 12"},
		{Name: "124", Description: "Chardonnay 750ml case of 12"},
		{Name: "Rosé 2022", Description: "Rosé of Pinot Noir 2022"},
	}},
	{vintry.KindLot, []vintry.MasterEntry{
		{Name: "RM19CASRUT.ZAM", LotStatus: "Aging"},
		{Name: "RM19CASSH.ZAM", LotStatus: "Aging"},
		{Name: "RM20CASRUT.ZAM", LotStatus: "WIP"},
		{Name: "FG-GEN-LOT", LotStatus: "Finished"},
	}},
	{vintry.KindUOM, []vintry.MasterEntry{
		{Name: "Gallon", Abbreviation: "gal"},
		{Name: "9LE Case", Abbreviation: "9LE"},
		{Name: "Liter", Abbreviation: "L"},
	}},
}

// seedDemo creates the demo tenant, its user and master data unless the
// tenant exists, then prints how to use it.
func seedDemo(ctx context.Context, db Store, out io.Writer, baseURL string) error {
	if _, err := db.FindTenantBySlug(ctx, demoTenant); vintry.ErrorCode(err) == vintry.ENOTFOUND {
		if err := createDemo(ctx, db); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	fmt.Fprintf(out, `
Vintry demo is ready.
  Tenant:   %[2]s
  Email:    %[3]s
  Password: %[4]s

Get a token:
  curl -s -X POST '%[1]s/%[2]s/api/v1/tokens/create?email=%[3]s&password=%[4]s'

Import a record (replace TOKEN):
  curl -s -X POST %[1]s/%[2]s/api/v1/inventory/import/process -H 'Authorization: Bearer TOKEN' -H 'Content-Type: application/json' \
    -d '{"source":"api","arguments":{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false},"payload":[{"item_name":"ZAMNVCAS19","bin_name":"SS-01","lot_name":"RM19CASRUT.ZAM","date_filled":"2023-08-01","quantity":5000,"uom":"gal"}]}'

Read the inventory:
  curl -s %[1]s/%[2]s/api/v1/inventory -H 'Authorization: Bearer TOKEN'

`, baseURL, demoTenant, demoEmail, demoPassword)
	return nil
}

func createDemo(ctx context.Context, db Store) error {
	t, err := db.CreateTenant(ctx, demoTenant, "Demo Winery")
	if err != nil {
		return err
	}
	u, err := db.CreateUser(ctx, demoTenant, demoEmail, demoPassword, vintry.RoleAdmin)
	if err != nil {
		return err
	}
	ctx = vintry.NewContextWithPrincipal(ctx, vintry.Principal{TenantID: t.ID, TenantSlug: t.Slug, UserID: u.ID, Role: u.Role})
	for _, m := range demoMaster {
		if _, err := db.UpsertMasterEntries(ctx, m.kind, m.entries); err != nil {
			return err
		}
	}
	return nil
}
