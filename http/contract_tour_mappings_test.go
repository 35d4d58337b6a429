package http_test

import "strings"

// tourMappings covers the import template and saved mapping profiles; its
// upload is a dry run, so the tour's inventory stays as the other parts
// left it.
func tourMappings(e *tourEnv, member string) {
	res := e.send("GET", "/tour/api/v1/inventory/import/template", member, nil, "")
	if res.status != 200 || !strings.HasPrefix(string(res.body), "item_name,bin_name,lot_name,date_filled,quantity,uom\n") {
		e.t.Errorf("template: %d %s", res.status, res.body)
	}
	const path = "/tour/api/v1/imports/mappings"
	profile := `{"name":"Cellar export","field_mappings":{"Item":"item_name","Bin":"bin_name","Lot":"lot_name","Filled":"date_filled","Qty":"quantity","Unit":"uom","Notes":null}}`
	e.wantJSON(201, "POST", path, member, profile)
	e.wantJSON(200, "POST", path, member, strings.Replace(profile, "Cellar export", "cellar EXPORT", 1))
	e.wantJSON(422, "POST", path, member, `{"name":"x","field_mappings":{"Item":"sku"}}`)
	e.wantJSON(400, "POST", path, member, `{"name":`)
	e.want(200, "GET", path+"?per_page=1", member, nil, "")

	const process = "/tour/api/v1/inventory/import/process"
	file := "Item,Bin,Lot,Filled,Qty,Unit,Notes\nZAMNVCAS19,SS-01,FG-GEN-LOT,2022-07-08,12.5,gal,x\n"
	dryRun := `{"allow_record_creation":true,"allow_record_update":true,"should_continue_on_error":false,"dry_run":true}`
	ct, body := tourForm(e.t, [2]string{"file:cellar.csv", file}, [2]string{"arguments", dryRun}, [2]string{"mapping_profile", "Cellar Export"})
	id := tourInt(e.t, jsonAt(e.want(202, "POST", process, member, body, ct), "content", "job_log_id"))
	if done := e.waitJob("tour", member, id); jsonAt(done, "content", "status") != "completed" {
		e.t.Errorf("job with a mapping profile: %v", done)
	}
	ct, body = tourForm(e.t, [2]string{"file:cellar.csv", file}, [2]string{"arguments", dryRun}, [2]string{"mapping_profile", "nope"})
	e.want(422, "POST", process, member, body, ct)
	ct, body = tourForm(e.t, [2]string{"file:cellar.csv", file}, [2]string{"arguments", dryRun})
	if got := e.want(422, "POST", process, member, body, ct); jsonAt(got, "suggestions", "Qty") != "quantity" {
		e.t.Errorf("refused mapping without suggestions: %v", got)
	}

	e.want(200, "DELETE", path+"/cellar%20export", member, nil, "")
	e.want(404, "DELETE", path+"/cellar%20export", member, nil, "")
}
