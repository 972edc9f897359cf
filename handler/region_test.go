package handler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"redis-restore/handler"
	"redis-restore/internal/intent"
)

// invokeIn invokes as SCF does from a region: the function context carries
// it (InvokeRequest.TencentcloudRegion).
func (e *env) invokeIn(region string, payload []byte) []intent.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	ctx = functioncontext.NewContext(ctx, &functioncontext.FunctionContext{RequestID: "scf-req-1", FunctionName: "redis-restore", TencentcloudRegion: region})
	ans, err := e.h.Invoke(ctx, payload)
	if err != nil {
		e.t.Fatalf("invoke: %v", err)
	}
	return ans.(handler.Response).Results
}

func TestRegionFromTheInvocationWhenTheEnvironmentHasNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "TENCENTCLOUD_REGION")
	r := onlyResult(t, e.invokeIn("ap-guangzhou", timerEvent(t, time.Now(), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`)))
	if r.Status != intent.Accepted || r.Region != "ap-guangzhou" {
		t.Fatalf("result %+v, want accepted in ap-guangzhou", r)
	}
	if m := e.messages(); len(m) != 1 || !strings.HasPrefix(m[0].Source, "scf/ap-guangzhou/") {
		t.Fatalf("messages %+v, want one from scf/ap-guangzhou/...", m)
	}
}

func TestRegionsThatDisagreeAreAnErrorNamingBoth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := onlyResult(t, e.invokeIn("ap-shanghai", timerEvent(t, time.Now(), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`)))
	if r.Status != intent.Failed || errCode(r.Error) != "InvalidConfiguration" ||
		!strings.Contains(errMessage(r.Error), "ap-guangzhou") || !strings.Contains(errMessage(r.Error), "ap-shanghai") {
		t.Fatalf("result %+v, want InvalidConfiguration naming both regions", r)
	}
	if n := e.emu.Calls("DescribeTaskList") + e.emu.Calls("DescribeInstanceBackups") + e.emu.Calls("RestoreInstance"); n != 0 {
		t.Errorf("%d Redis API calls with disagreeing regions", n)
	}
	// A configuration failure is reported like any other, on the queue of
	// the function's own region.
	if m := e.messages(); len(m) != 1 || m[0].Type != intent.EventTypePrefix+"failed" || errCode(m[0].Data.Error) != "InvalidConfiguration" {
		t.Errorf("messages %+v, want one failed InvalidConfiguration", m)
	}
}

func TestRegionAgreeingOrAbsentFromTheInvocation(t *testing.T) {
	t.Parallel()
	for _, inv := range []string{"ap-guangzhou", ""} {
		e := newEnv(t)
		if r := onlyResult(t, e.invokeIn(inv, timerEvent(t, time.Now(), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`))); r.Status != intent.Accepted {
			t.Fatalf("invocation region %q: %+v", inv, r)
		}
	}
}
