package cloudemu_test

import (
	"strings"
	"testing"
)

// TestSCFRefusesWhatTheDocumentsForbid: each rule a deploy once broke
// without the emulator noticing is refused with the documented code.
func TestSCFRefusesWhatTheDocumentsForbid(t *testing.T) {
	v := newEnv(t)
	v.e.SetFunctionSettleTime(0)
	vars := func(kv ...string) map[string]any {
		var list []map[string]string
		for i := 0; i < len(kv); i += 2 {
			list = append(list, map[string]string{"Key": kv[i], "Value": kv[i+1]})
		}
		return map[string]any{"Variables": list}
	}

	// A first deploy asks for a function that is not there.
	_, err := v.scf("GetFunction", map[string]any{"FunctionName": "fn"})
	wantCode(t, err, "InvalidParameterValue.FunctionName")

	// CreateFunction's description takes a line break; the update's does not.
	v.mustSCF("CreateFunction", map[string]any{"FunctionName": "fn", "Runtime": "Go1", "Handler": "main",
		"Description": "Restores Redis\nCode sha256 0123", "Code": map[string]any{"ZipFile": goZip(t, 0o755)}})
	_, err = v.scf("UpdateFunctionConfiguration", map[string]any{"FunctionName": "fn", "Description": "Restores Redis\nCode sha256 4567"})
	wantCode(t, err, "InvalidParameterValue.Description")
	v.mustSCF("UpdateFunctionConfiguration", map[string]any{"FunctionName": "fn", "Description": "Restores Redis. Code sha256 4567"})

	// The runtime is the creation's: the same one may be repeated, no other.
	_, err = v.scf("UpdateFunctionConfiguration", map[string]any{"FunctionName": "fn", "Runtime": "Python3.9"})
	wantCode(t, err, "InvalidParameterValue.Runtime")
	if f, _ := v.e.FunctionInfo("", "fn"); f.Runtime != "Go1" {
		t.Fatalf("runtime after a refused change: %s", f.Runtime)
	}

	// The environment: no empty value, at most 4 KB, on create and update.
	for _, env := range []map[string]any{
		vars("RESTORE_QUEUE", "q", "RESTORE_DRY_RUN", ""),
		vars("RESTORE_QUEUE", strings.Repeat("q", 4096-len("RESTORE_QUEUE")+1)),
	} {
		_, err = v.scf("UpdateFunctionConfiguration", map[string]any{"FunctionName": "fn", "Environment": env})
		wantCode(t, err, "InvalidParameterValue.Environment")
		_, err = v.scf("CreateFunction", map[string]any{"FunctionName": "fn2", "Runtime": "Go1", "Handler": "main",
			"Environment": env, "Code": map[string]any{"ZipFile": goZip(t, 0o755)}})
		wantCode(t, err, "InvalidParameterValue.Environment")
	}
	v.mustSCF("UpdateFunctionConfiguration", map[string]any{"FunctionName": "fn", "Environment": vars("RESTORE_QUEUE", strings.Repeat("q", 4096-len("RESTORE_QUEUE")))})

	// UpdateTrigger changes timers (and CKafka triggers), not a function URL.
	v.mustSCF("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "u", "Type": "http",
		"TriggerDesc": `{"AuthType":"NONE","NetConfig":{"EnableIntranet":false,"EnableExtranet":true}}`})
	url := v.e.FunctionTriggers("", "fn")[0]
	_, err = v.scf("UpdateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": url.Name, "Type": "http",
		"TriggerDesc": `{"AuthType":"CAM","NetConfig":{"EnableIntranet":false,"EnableExtranet":true}}`})
	wantCode(t, err, "InvalidParameterValue.Type")
	v.mustSCF("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "t", "Type": "timer", "TriggerDesc": "0 0 3 * * * *"})
	v.mustSCF("UpdateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "t", "Type": "timer", "Enable": "CLOSE"})

	// A trigger is bound to a version or alias that exists.
	_, err = v.scf("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "t2", "Type": "timer", "TriggerDesc": "0 0 3 * * * *", "Qualifier": "live"})
	wantCode(t, err, "InvalidParameterValue.Qualifier")
}

// TestSCFVersionsAliasesAndDeletion: a version is a copy of $LATEST that
// later changes leave alone; an alias moves between versions; deleting
// takes triggers, versions and the function away, refusing what is in use.
func TestSCFVersionsAliasesAndDeletion(t *testing.T) {
	v := newEnv(t)
	v.e.SetFunctionSettleTime(0)
	v.createGoFunction("fn")
	fn := func(kv ...any) map[string]any {
		p := map[string]any{"FunctionName": "fn"}
		for i := 0; i < len(kv); i += 2 {
			p[kv[i].(string)] = kv[i+1]
		}
		return p
	}
	if got := v.mustSCF("PublishVersion", fn("Description", "one"))["FunctionVersion"]; got != "1" {
		t.Fatalf("first version %v", got)
	}
	v.mustSCF("UpdateFunctionConfiguration", fn("MemorySize", 256))
	if got := v.mustSCF("PublishVersion", fn())["FunctionVersion"]; got != "2" {
		t.Fatalf("second version %v", got)
	}
	if got := v.mustSCF("GetFunction", fn("Qualifier", "1"))["MemorySize"]; got != float64(64) {
		t.Errorf("version 1's memory %v: a version must keep its copy", got)
	}
	_, err := v.scf("CreateAlias", fn("Name", "live", "FunctionVersion", "9"))
	wantCode(t, err, "ResourceNotFound.Version")
	v.mustSCF("CreateAlias", fn("Name", "live", "FunctionVersion", "2"))
	_, err = v.scf("CreateAlias", fn("Name", "live", "FunctionVersion", "1"))
	wantCode(t, err, "ResourceInUse.Alias")
	v.mustSCF("UpdateAlias", fn("Name", "live", "FunctionVersion", "1"))
	if got, _ := v.e.FunctionAlias("", "fn", "live"); got != "1" {
		t.Fatalf("alias after UpdateAlias: %s", got)
	}
	list := v.mustSCF("ListAliases", fn())
	if list["TotalCount"] != float64(2) { // $DEFAULT and live
		t.Errorf("ListAliases: %v", list)
	}

	v.mustSCF("CreateTrigger", fn("TriggerName", "t", "Type", "timer", "TriggerDesc", "0 0 3 * * * *", "Qualifier", "live"))
	_, err = v.scf("DeleteAlias", fn("Name", "live"))
	wantCode(t, err, "ResourceInUse.Alias")
	_, err = v.scf("DeleteFunction", fn("Qualifier", "1"))
	wantCode(t, err, "ResourceInUse.Version")
	v.mustSCF("DeleteFunction", fn("Qualifier", "2"))
	if got := v.mustSCF("PublishVersion", fn())["FunctionVersion"]; got != "3" {
		t.Errorf("the version after a deleted one is %v, want 3: numbers are not given twice", got)
	}
	v.mustSCF("DeleteTrigger", fn("TriggerName", "t", "Type", "timer"))
	v.mustSCF("DeleteAlias", fn("Name", "live"))
	v.mustSCF("DeleteFunction", fn())
	if _, ok := v.e.FunctionInfo("", "fn"); ok {
		t.Fatal("DeleteFunction left the function")
	}
	_, err = v.scf("DeleteFunction", fn())
	wantCode(t, err, "ResourceNotFound.Function")
}
