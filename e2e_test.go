package main_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/restore"
	"redis-restore/internal/scfdriver"
)

// The end-to-end test builds the real binary and drives it the way SCF
// does (net/rpc, credentials in each invocation's Environment) against the
// emulator over HTTP.
func TestEndToEndThroughTheSCFRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the function")
	}
	bin := filepath.Join(t.TempDir(), "main")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	emu := cloudemu.New(cloudemu.Options{TaskIDAsString: true})
	demo := cloudemu.SeedDemo(emu)
	emu.SetTaskDuration(time.Millisecond)
	url, closeEmu, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closeEmu()

	ctx := context.Background()
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin})
	if err != nil {
		t.Fatal(err)
	}
	defer fn.Close()

	const secret = "e2e-webhook-secret"
	env := demo.Environment(url)
	env["RESTORE_WEBHOOK_SECRET"] = secret
	invoke := func(payload []byte) []byte {
		t.Helper()
		res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: payload, Environment: env, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if res.Error != nil {
			t.Fatalf("function error: %+v", res.Error)
		}
		return res.Payload
	}
	decode := func(b []byte) []restore.Result {
		t.Helper()
		var r handler.Response
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("answer %s: %v", b, err)
		}
		return r.Results
	}

	// Timer: the demo instance from its newest backup.
	timer, _ := os.ReadFile("testdata/timer.json")
	tr := decode(invoke(timer))
	if len(tr) != 1 || tr[0].Status != restore.Accepted || tr[0].TaskID == 0 {
		t.Fatalf("timer: %+v", tr)
	}

	// API gateway: a signed POST for the password-free instance.
	body := `{"instanceId":"crs-1amp2588","backupId":"678362566696298532850001"}`
	gw, _ := json.Marshal(events.APIGatewayRequest{
		Headers:    map[string]string{"content-type": "application/json", "x-restore-signature": handler.Sign(secret, time.Now(), []byte(body))},
		Body:       body,
		Path:       "/restore",
		HTTPMethod: "POST",
		RequestContext: &events.APIGatewayRequestContext{
			ServiceID: "service-e2e", Path: "/restore", HTTPMethod: "ANY", RequestID: "gw-e2e", Stage: "release",
		},
	})
	var resp events.APIGatewayResponse
	if err := json.Unmarshal(invoke(gw), &resp); err != nil {
		t.Fatal(err)
	}
	gr := decode([]byte(resp.Body))
	if resp.StatusCode != 202 || len(gr) != 1 || gr[0].Status != restore.Accepted {
		t.Fatalf("apigw: %d %+v", resp.StatusCode, gr)
	}

	// CMQ: the same timer request again, as a queue message published
	// before the timer's restore: the instance was restored since, so this
	// is a duplicate and restores nothing.
	cmq, _ := json.Marshal(events.CMQEvent{Records: []events.CMQRecord{{CMQ: events.CMQMessage{
		Type: "queue", TopicOwner: "120000", TopicName: "redis-restore-requests", MsgID: "e2e-1",
		PublishTime: time.Now().Add(-time.Minute),
		MsgBody:     `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848115"}`,
	}}}})
	cr := decode(invoke(cmq))
	if len(cr) != 1 || cr[0].Status != restore.Duplicate || cr[0].TaskID != tr[0].TaskID {
		t.Fatalf("cmq: %+v (timer task %d)", cr, tr[0].TaskID)
	}

	calls := emu.RestoreCalls()
	if len(calls) != 2 || calls[0].InstanceID != demo.InstanceID || calls[0].BackupID != demo.LatestBackupID ||
		calls[1].InstanceID != "crs-1amp2588" {
		t.Fatalf("restores the emulator received: %+v", calls)
	}
	msgs := emu.Messages(demo.Queue)
	if len(msgs) != 3 {
		t.Fatalf("%d messages on the queue, want 3", len(msgs))
	}
	var first restore.Event
	if err := json.Unmarshal([]byte(msgs[0].Body), &first); err != nil {
		t.Fatal(err)
	}
	if first.Data.TaskID != tr[0].TaskID || first.Data.Trigger != "timer" || first.Type != "com.tencentcloud.redis.restore.accepted" {
		t.Fatalf("first message %+v", first)
	}
	var third restore.Event
	_ = json.Unmarshal([]byte(msgs[2].Body), &third)
	if third.ID != first.ID {
		t.Errorf("the duplicate's message should repeat the accepted one's id: %s vs %s", third.ID, first.ID)
	}
}
