package cloudemu_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
)

const scfVersion = "2018-04-16"

// goZip is a deployment zip with an executable "main" at its root.
func goZip(t *testing.T, mode os.FileMode) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "main", Method: zip.Deflate}
	hdr.SetMode(mode)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("\x7fELF not really"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func (v *env) scf(action string, params map[string]any) (map[string]any, error) {
	return v.common("scf", scfVersion, action, params)
}

func (v *env) mustSCF(action string, params map[string]any) map[string]any {
	v.t.Helper()
	resp, err := v.scf(action, params)
	if err != nil {
		v.t.Fatalf("%s: %v", action, err)
	}
	return resp
}

func (v *env) createGoFunction(name string) {
	v.t.Helper()
	v.mustSCF("CreateFunction", map[string]any{
		"FunctionName": name, "Runtime": "Go1", "Handler": "main", "MemorySize": 64, "Timeout": 30,
		"Code":        map[string]any{"ZipFile": goZip(v.t, 0o755)},
		"Environment": map[string]any{"Variables": []map[string]string{{"Key": "RESTORE_QUEUE", "Value": "q"}}},
	})
}

func TestSCFFunctionGoesCreatingToActiveAndRefusesChangesMeanwhile(t *testing.T) {
	v := newEnv(t)
	v.e.SetFunctionSettleTime(3 * time.Second)
	if _, err := v.scf("GetFunction", map[string]any{"FunctionName": "fn"}); code(t, err) != "InvalidParameterValue.FunctionName" {
		t.Fatalf("GetFunction of a missing function: %v", err)
	}
	v.createGoFunction("fn")
	if got := v.mustSCF("GetFunction", map[string]any{"FunctionName": "fn"})["Status"]; got != "Creating" {
		t.Fatalf("Status right after CreateFunction %v, want Creating", got)
	}
	_, err := v.scf("UpdateFunctionConfiguration", map[string]any{"FunctionName": "fn", "MemorySize": 128})
	wantCode(t, err, "FailedOperation.UpdateFunctionConfiguration")
	_, err = v.scf("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "t", "Type": "timer", "TriggerDesc": "0 0 3 * * * *"})
	wantCode(t, err, "FailedOperation.CreateTrigger")

	v.clock.Advance(3 * time.Second)
	if got := v.mustSCF("GetFunction", map[string]any{"FunctionName": "fn"})["Status"]; got != "Active" {
		t.Fatalf("Status after the settle time %v, want Active", got)
	}
	v.mustSCF("UpdateFunctionConfiguration", map[string]any{"FunctionName": "fn", "MemorySize": 128})
	if got := v.mustSCF("GetFunction", map[string]any{"FunctionName": "fn"})["Status"]; got != "Updating" {
		t.Fatalf("Status after UpdateFunctionConfiguration %v, want Updating", got)
	}
	v.clock.Advance(3 * time.Second)
	f, _ := v.e.FunctionInfo("", "fn")
	if f.MemorySize != 128 || f.Timeout != 30 || f.Environment["RESTORE_QUEUE"] != "q" || f.Status != "Active" {
		t.Fatalf("after the update: %+v", f)
	}
}

func TestSCFRefusesBadFunctions(t *testing.T) {
	v := newEnv(t)
	base := func() map[string]any {
		return map[string]any{"FunctionName": "fn", "Runtime": "Go1", "Handler": "main", "Code": map[string]any{"ZipFile": goZip(t, 0o755)}}
	}
	cases := []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"memory", func(p map[string]any) { p["MemorySize"] = 100 }, "InvalidParameterValue.MemorySize"},
		{"timeout", func(p map[string]any) { p["Timeout"] = 901 }, "InvalidParameterValue.Timeout"},
		{"reserved env", func(p map[string]any) {
			p["Environment"] = map[string]any{"Variables": []map[string]string{{"Key": "TENCENTCLOUD_REGION", "Value": "x"}}}
		}, "InvalidParameterValue.Environment"},
		{"handler missing from zip", func(p map[string]any) { p["Handler"] = "bootstrap" }, "InvalidParameterValue.Handler"},
		{"not executable", func(p map[string]any) { p["Code"] = map[string]any{"ZipFile": goZip(t, 0o644)} }, "InvalidParameterValue.ZipFile"},
		{"not base64", func(p map[string]any) { p["Code"] = map[string]any{"ZipFile": "%%%"} }, "InvalidParameterValue.ZipFile"},
		{"description charset", func(p map[string]any) { p["Description"] = "restores: redis" }, "InvalidParameterValue.Description"},
		{"memory as string", func(p map[string]any) { p["MemorySize"] = "64" }, "InvalidParameter"},
	}
	for _, c := range cases {
		p := base()
		c.edit(p)
		_, err := v.scf("CreateFunction", p)
		if got := code(t, err); got != c.want {
			t.Errorf("%s: code %q, want %q (%v)", c.name, got, c.want, err)
		}
	}
	if _, ok := v.e.FunctionInfo("", "fn"); ok {
		t.Fatal("a refused CreateFunction created the function")
	}
}

func TestSCFTriggers(t *testing.T) {
	v := newEnv(t)
	v.e.SetFunctionSettleTime(0)
	v.createGoFunction("fn")

	for _, typ := range []string{"apigw", "cmq"} {
		_, err := v.scf("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "x", "Type": typ, "TriggerDesc": "{}"})
		wantCode(t, err, "InvalidParameterValue.Type")
	}
	_, err := v.scf("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "nightly", "Type": "timer", "TriggerDesc": "0 3 * * *"})
	wantCode(t, err, "InvalidParameterValue.TriggerDesc")

	created := v.mustSCF("CreateTrigger", map[string]any{
		"FunctionName": "fn", "TriggerName": "nightly", "Type": "timer", "TriggerDesc": "0 0 3 * * * *",
		"Enable": "OPEN", "CustomArgument": `{"instanceId":"crs-1"}`,
	})
	info := created["TriggerInfo"].(map[string]any)
	if info["TriggerDesc"] != `{"cron":"0 0 3 * * * *"}` || info["Enable"] != float64(1) || info["Qualifier"] != "$DEFAULT" {
		t.Fatalf("CreateTrigger's TriggerInfo %v", info)
	}
	_, err = v.scf("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "nightly", "Type": "timer", "TriggerDesc": "0 0 4 * * * *"})
	wantCode(t, err, "ResourceInUse.Trigger")

	url := v.mustSCF("CreateTrigger", map[string]any{
		"FunctionName": "fn", "TriggerName": "url", "Type": "http", "Enable": "OPEN",
		"TriggerDesc": `{"AuthType":"NONE","NetConfig":{"EnableIntranet":false,"EnableExtranet":true}}`,
	})["TriggerInfo"].(map[string]any)
	var desc struct {
		AuthType  string
		NetConfig struct {
			EnableExtranet, EnableIntranet bool
			ExtranetUrl, IntranetUrl       string
		}
	}
	if err := json.Unmarshal([]byte(url["TriggerDesc"].(string)), &desc); err != nil {
		t.Fatal(err)
	}
	if desc.AuthType != "NONE" || !desc.NetConfig.EnableExtranet || desc.NetConfig.IntranetUrl != "" ||
		!strings.HasPrefix(desc.NetConfig.ExtranetUrl, "https://") || !strings.HasSuffix(desc.NetConfig.ExtranetUrl, ".ap-guangzhou.tencentscf.com") {
		t.Fatalf("function URL TriggerDesc %s", url["TriggerDesc"])
	}
	_, err = v.scf("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "url2", "Type": "http",
		"TriggerDesc": `{"AuthType":"CAM","NetConfig":{"EnableIntranet":true,"EnableExtranet":false}}`})
	wantCode(t, err, "ResourceInUse.Trigger")

	v.mustSCF("UpdateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "nightly", "Type": "timer", "TriggerDesc": "0 30 3 * * * *", "Enable": "CLOSE"})
	list := v.mustSCF("ListTriggers", map[string]any{"FunctionName": "fn", "Limit": 1})
	if list["TotalCount"] != float64(2) || len(list["Triggers"].([]any)) != 1 {
		t.Fatalf("ListTriggers with Limit 1: %v", list)
	}
	first := list["Triggers"].([]any)[0].(map[string]any)
	if first["TriggerDesc"] != `{"cron":"0 30 3 * * * *"}` || first["Enable"] != float64(0) {
		t.Fatalf("the timer after UpdateTrigger: %v", first)
	}
	second := v.mustSCF("ListTriggers", map[string]any{"FunctionName": "fn", "Offset": 1})["Triggers"].([]any)[0].(map[string]any)
	if second["Type"] != "http" || second["TriggerName"] != url["TriggerName"] {
		t.Fatalf("second page %v", second)
	}
}

// The emulator's answers must carry every field of Tencent's own examples
// with the same JSON type: the deploy's decoders are tested against them.
func TestSCFAnswersHaveTheExamplesShape(t *testing.T) {
	v := newEnv(t)
	v.e.SetFunctionSettleTime(0)
	v.e.SetInvoker(func(context.Context, string, []byte) error { return nil })
	v.createGoFunction("fn")
	answers := map[string]map[string]any{
		"GetFunction": v.mustSCF("GetFunction", map[string]any{"FunctionName": "fn"}),
		"CreateTrigger": v.mustSCF("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "t", "Type": "timer",
			"TriggerDesc": "0 */2 * * * * *", "Enable": "CLOSE"}),
		"UpdateTrigger":               v.mustSCF("UpdateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "t", "Type": "timer", "CustomArgument": "x"}),
		"UpdateFunctionCode":          v.mustSCF("UpdateFunctionCode", map[string]any{"FunctionName": "fn", "Handler": "main", "ZipFile": goZip(t, 0o755)}),
		"UpdateFunctionConfiguration": v.mustSCF("UpdateFunctionConfiguration", map[string]any{"FunctionName": "fn", "Timeout": 100}),
		"Invoke":                      v.mustSCF("Invoke", map[string]any{"FunctionName": "fn", "ClientContext": "{}"}),
	}
	v.mustSCF("CreateTrigger", map[string]any{"FunctionName": "fn", "TriggerName": "u", "Type": "http",
		"TriggerDesc": `{"AuthType":"NONE","NetConfig":{"EnableIntranet":true,"EnableExtranet":false}}`})
	answers["ListTriggers"] = v.mustSCF("ListTriggers", map[string]any{"FunctionName": "fn", "Offset": 1})
	answers["CreateFunction"] = v.mustSCF("CreateFunction", map[string]any{"FunctionName": "fn2", "Handler": "main", "Runtime": "Go1", "Code": map[string]any{"ZipFile": goZip(t, 0o755)}})
	fn := map[string]any{"FunctionName": "fn"}
	with := func(kv ...any) map[string]any {
		p := map[string]any{"FunctionName": "fn"}
		for i := 0; i < len(kv); i += 2 {
			p[kv[i].(string)] = kv[i+1]
		}
		return p
	}
	answers["PublishVersion"] = v.mustSCF("PublishVersion", with("Description", "first"))
	answers["ListVersionByFunction"] = v.mustSCF("ListVersionByFunction", fn)
	answers["CreateAlias"] = v.mustSCF("CreateAlias", with("Name", "live", "FunctionVersion", "1"))
	answers["UpdateAlias"] = v.mustSCF("UpdateAlias", with("Name", "live", "FunctionVersion", "$LATEST"))
	answers["GetAlias"] = v.mustSCF("GetAlias", with("Name", "live"))
	answers["ListAliases"] = v.mustSCF("ListAliases", fn)
	answers["DeleteAlias"] = v.mustSCF("DeleteAlias", with("Name", "live"))
	answers["PutReservedConcurrencyConfig"] = v.mustSCF("PutReservedConcurrencyConfig", with("ReservedConcurrencyMem", 640))
	answers["GetReservedConcurrencyConfig"] = v.mustSCF("GetReservedConcurrencyConfig", fn)
	answers["DeleteTrigger"] = v.mustSCF("DeleteTrigger", with("TriggerName", "t", "Type", "timer"))
	answers["DeleteFunction"] = v.mustSCF("DeleteFunction", fn)

	for action, got := range answers {
		want := readAPIDoc(t, "scf", action).Examples[0].Response.Response
		// The ImageConfig and protocol fields belong to image functions.
		for _, k := range []string{"ImageConfig", "ProtocolParams", "InstanceConcurrencyConfig"} {
			delete(want, k)
		}
		sameShape(t, action, got, want)
		// A function URL's TriggerDesc is itself JSON: compare it too.
		if action == "ListTriggers" {
			var wd, gd map[string]any
			_ = json.Unmarshal([]byte(want["Triggers"].([]any)[0].(map[string]any)["TriggerDesc"].(string)), &wd)
			_ = json.Unmarshal([]byte(got["Triggers"].([]any)[0].(map[string]any)["TriggerDesc"].(string)), &gd)
			sameShape(t, "ListTriggers TriggerDesc", gd, wd)
		}
	}
}

func TestInvokeEventDeliversAsynchronouslyAndRetriesTwice(t *testing.T) {
	v := newEnv(t)
	v.e.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 5})
	v.e.SetAsyncRetryDelay(20 * time.Millisecond)
	release := make(chan struct{})
	var mu sync.Mutex
	var got []string
	v.e.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		<-release // the Invoke answer must not wait for the function
		mu.Lock()
		defer mu.Unlock()
		got = append(got, function+" "+string(event))
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the function ran without its timeout as a deadline")
		}
		return errors.New("boom")
	})
	resp := v.mustSCF("Invoke", map[string]any{"FunctionName": "redis-restore", "InvocationType": "Event", "ClientContext": `{"k":1}`})
	result, _ := resp["Result"].(map[string]any)
	id, _ := result["FunctionRequestId"].(string)
	if len(id) != 36 {
		t.Fatalf("Result %v: want a FunctionRequestId", resp["Result"])
	}
	close(release)
	v.e.WaitInvocations()
	if len(got) != 3 || got[0] != `redis-restore {"k":1}` {
		t.Fatalf("deliveries %q, want the event three times (one try, two retries)", got)
	}
	inv := v.e.Invocations()
	if len(inv) != 1 || inv[0].RequestID != id || inv[0].Attempts != 3 || inv[0].Err != "boom" || !inv[0].Done {
		t.Fatalf("invocations %+v", inv)
	}
	at := inv[0].AttemptTimes()
	if d := at[2].Sub(at[1]); d < 20*time.Millisecond {
		t.Fatalf("retried after %v, before the retry delay", d)
	}
}

func TestInvokeEventStopsRetryingOnSuccess(t *testing.T) {
	v := newEnv(t)
	v.e.AddFunction(cloudemu.Function{Name: "fn", Runtime: "Go1", Handler: "main", Timeout: 5})
	v.e.SetAsyncRetryDelay(time.Millisecond)
	var mu sync.Mutex
	calls := 0
	v.e.SetInvoker(func(context.Context, string, []byte) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return errors.New("first try fails")
		}
		return nil
	})
	v.mustSCF("Invoke", map[string]any{"FunctionName": "fn", "InvocationType": "Event", "ClientContext": `{}`})
	v.e.WaitInvocations()
	if inv := v.e.Invocations(); calls != 2 || inv[0].Err != "" || inv[0].Attempts != 2 {
		t.Fatalf("calls %d, invocation %+v: want success on the second try", calls, inv[0])
	}
}

func TestInvokeRequestResponse(t *testing.T) {
	v := newEnv(t)
	v.e.AddFunction(cloudemu.Function{Name: "fn", Runtime: "Go1", Handler: "main", Timeout: 5})
	v.e.SetInvokerWithResult(func(_ context.Context, _ string, event []byte) ([]byte, error) {
		if string(event) == `"fail"` {
			return nil, errors.New("bad event")
		}
		return []byte(`"hello from scf"`), nil
	})
	res := v.mustSCF("Invoke", map[string]any{"FunctionName": "fn", "ClientContext": `{}`})["Result"].(map[string]any)
	if res["RetMsg"] != `"hello from scf"` || res["InvokeResult"] != float64(0) {
		t.Fatalf("Result %v", res)
	}
	res = v.mustSCF("Invoke", map[string]any{"FunctionName": "fn", "ClientContext": `"fail"`})["Result"].(map[string]any)
	if res["InvokeResult"] == float64(0) || res["ErrMsg"] != "bad event" {
		t.Fatalf("a failing function's Result %v", res)
	}
	_, err := v.scf("Invoke", map[string]any{"FunctionName": "nope", "ClientContext": `{}`})
	wantCode(t, err, "ResourceNotFound.Function")
	_, err = v.scf("Invoke", map[string]any{"FunctionName": "fn", "ClientContext": `not json`})
	wantCode(t, err, "InvalidParameterValue.ClientContext")
	_, err = v.scf("Invoke", map[string]any{"FunctionName": "fn", "InvocationType": "Event", "ClientContext": `"` + strings.Repeat("x", 128<<10) + `"`})
	wantCode(t, err, "InvalidParameterValue.ClientContext")
}
