package handler_test

import (
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

const latestOfDemo = `{"instanceId":"crs-5a4py64p","backupId":"latest"}`

func setType(t *testing.T, e *env, typ, status int) {
	t.Helper()
	if !e.emu.UpdateInstance(e.demo.InstanceID, func(in *cloudemu.Instance) { in.Type, in.Status = typ, status }) {
		t.Fatal("no demo instance")
	}
}

func TestNewerEditionsAreRefusedNamingTheEdition(t *testing.T) {
	t.Parallel()
	for typ, name := range map[int]string{
		6:  "Redis 4.0 Memory Edition, Standard Architecture (Type 6)",
		9:  "Redis 5.0 Memory Edition, Cluster Architecture (Type 9)",
		16: "Redis 6.2 Memory Edition, Cluster Architecture (Type 16)",
		17: "Redis 7.0 Memory Edition, Standard Architecture (Type 17)",
		19: "Valkey Memory Edition (Type 19)",
	} {
		e := newEnv(t)
		setType(t, e, typ, 2)
		body := latestOfDemo
		resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
		r := onlyResult(t, rs)
		if r.Status != intent.Failed || errCode(r.Error) != "UnsupportedEdition" || resp.StatusCode != 409 {
			t.Fatalf("type %d: status %d result %+v, want 409 UnsupportedEdition", typ, resp.StatusCode, r)
		}
		if !strings.Contains(errMessage(r.Error), name) || !strings.Contains(errMessage(r.Error), "clon") {
			t.Errorf("type %d: message %q does not name %q and the way out (cloning)", typ, errMessage(r.Error), name)
		}
		if n := e.emu.Calls("RestoreInstance") + e.emu.Calls("DescribeInstanceBackups"); n != 0 {
			t.Errorf("type %d: %d calls after the refusal", typ, n)
		}
		if m := e.messages(); len(m) != 1 || m[0].Type != "com.tencentcloud.redis.restore.failed" {
			t.Errorf("type %d: messages %+v", typ, m)
		}
	}
}

func TestInPlaceEditionsRestore(t *testing.T) {
	t.Parallel()
	for _, typ := range []int{2, 3, 4} {
		e := newEnv(t)
		setType(t, e, typ, 2)
		r := onlyResult(t, e.results(timerEvent(t, time.Now(), latestOfDemo)))
		if r.Status != intent.Accepted || !strings.Contains(r.Reason, "restores in place") {
			t.Fatalf("type %d: %+v, want accepted, in place", typ, r)
		}
		if n := len(e.emu.RestoreCalls()); n != 1 {
			t.Fatalf("type %d: %d restores", typ, n)
		}
	}
}

func TestInstanceNotRunningIsRefusedNamingItsState(t *testing.T) {
	t.Parallel()
	for status, state := range map[int]string{-2: "isolated (Status -2)", 1: "busy with a flow (Status 1)", -3: "to be deleted (Status -3)"} {
		e := newEnv(t)
		setType(t, e, 2, status)
		r := onlyResult(t, e.results(timerEvent(t, time.Now(), latestOfDemo)))
		if r.Status != intent.Failed || errCode(r.Error) != "ResourceUnavailable.InstanceStateError" || !strings.Contains(errMessage(r.Error), state) {
			t.Fatalf("status %d: %+v, want InstanceStateError naming %q", status, r, state)
		}
		if n := e.emu.Calls("RestoreInstance"); n != 0 {
			t.Errorf("status %d: RestoreInstance called %d times", status, n)
		}
	}
}

func TestDryRunShowsTheEditionAndWhetherItRestoresInPlace(t *testing.T) {
	t.Parallel()
	for typ, want := range map[int][]string{
		2:  {"Redis 2.8 Memory Edition, Standard Architecture (Type 2)", "restores in place"},
		15: {"Redis 6.2 Memory Edition, Standard Architecture (Type 15)", "in-place restore not possible"},
	} {
		e := newEnv(t)
		e.vars["RESTORE_DRY_RUN"] = "true"
		setType(t, e, typ, 2)
		r := onlyResult(t, e.results(timerEvent(t, time.Now(), latestOfDemo)))
		if r.Status != intent.DryRun || r.BackupID != e.demo.LatestBackupID {
			t.Fatalf("type %d: %+v, want a dry run of the latest backup", typ, r)
		}
		for _, w := range want {
			if !strings.Contains(r.Reason, w) {
				t.Errorf("type %d: reason %q lacks %q", typ, r.Reason, w)
			}
		}
	}
}
