package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
	"redis-restore/internal/scfdriver"
)

// binary is the function, built once by TestMain for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redis-restore-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "main")
	build := exec.Command("go", "build", "-trimpath", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// world is an emulator with demo data and the built function, started the
// way SCF starts it.
type world struct {
	emu  *cloudemu.Emulator
	demo cloudemu.DemoData
	fn   *scfdriver.Function
	env  map[string]string
}

// backupBeforeTheAlarms is the demo's newest restorable backup before its
// alarms fired, which an alarm restores (newWorld adds a newer one).
const backupBeforeTheAlarms = "678362566696298532848117"

func newWorld(t *testing.T) *world {
	t.Helper()
	emu := cloudemu.New(cloudemu.Options{TaskIDAsString: true})
	demo := cloudemu.SeedDemo(emu)
	// A restorable backup taken after the demo alarms fired (02:00Z), the
	// newest of all: an alarm must restore the one before it.
	emu.AddBackup(demo.InstanceID, cloudemu.Backup{ID: "678362566696298532848119", BackupType: "1", Status: 2, Size: 1 << 20,
		StartTime: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC), EndTime: time.Date(2026, 11, 29, 3, 8, 0, 0, time.UTC)})
	emu.SetTaskDuration(time.Millisecond)
	url, closeEmu, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeEmu() })
	fn, err := scfdriver.Start(context.Background(), scfdriver.Options{Binary: binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fn.Close() })
	w := &world{emu: emu, demo: demo, fn: fn, env: demo.Environment(url)}
	// An HTTP call hands its restore to the function's own asynchronous
	// invocation: the emulator's SCF Invoke delivers it to the function
	// over the same net/rpc, as SCF would.
	emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 20})
	emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: event, Environment: w.env, Timeout: 20 * time.Second})
		if err == nil && res.Error != nil {
			err = fmt.Errorf("%s", res.Error.Message)
		}
		return err
	})
	t.Cleanup(emu.WaitInvocations)
	return w
}

// invoke calls Function.Invoke over net/rpc, with the environment in the
// request as SCF hands it over.
func (w *world) invoke(t *testing.T, payload []byte) []byte {
	t.Helper()
	res, err := w.fn.Invoke(context.Background(), scfdriver.Invocation{Payload: payload, Environment: w.env, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != nil {
		t.Fatalf("function error: %+v", res.Error)
	}
	return res.Payload
}

func decodeResults(t *testing.T, b []byte) []intent.Result {
	t.Helper()
	var r handler.Response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return r.Results
}

// The end-to-end test drives the real binary the way SCF does (net/rpc,
// credentials in each invocation's Environment) against the emulator over
// HTTP, with a timer, an API gateway and a CMQ event.
func TestEndToEndThroughTheSCFRuntime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	emu, demo := w.emu, w.demo
	const secret = "e2e-webhook-secret"
	w.env["RESTORE_WEBHOOK_SECRET"] = secret
	// The timer restores at once here; its safety backup (on by default
	// for timers) is followed in handler/lifecycle_test.go.
	w.env["RESTORE_SAFETY_BACKUP"] = "false"
	// The webhook step here waits for its TaskId; the alarm test below
	// hands off.
	w.env["RESTORE_HANDOFF"] = "off"
	invoke := func(payload []byte) []byte { return w.invoke(t, payload) }
	decode := func(b []byte) []intent.Result { return decodeResults(t, b) }
	// Timer: the demo instance from its newest backup.
	timer, _ := os.ReadFile("testdata/timer.json")
	tr := decode(invoke(timer))
	if len(tr) != 1 || tr[0].Status != intent.Accepted || tr[0].TaskID == 0 {
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
	if resp.StatusCode != 202 || len(gr) != 1 || gr[0].Status != intent.Accepted {
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
	if len(cr) != 1 || cr[0].Status != intent.Duplicate || cr[0].TaskID != tr[0].TaskID {
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
	var first intent.Event
	if err := json.Unmarshal([]byte(msgs[0].Body), &first); err != nil {
		t.Fatal(err)
	}
	if first.Data.TaskID != tr[0].TaskID || first.Data.Trigger != "timer" || first.Type != "com.tencentcloud.redis.restore.accepted" {
		t.Fatalf("first message %+v", first)
	}
	var third intent.Event
	_ = json.Unmarshal([]byte(msgs[2].Body), &third)
	if third.ID != first.ID {
		t.Errorf("the duplicate's message should repeat the accepted one's id: %s vs %s", third.ID, first.ID)
	}
}

// A Cloud Monitor alarm posted to the function URL or API gateway with basic
// auth is answered at once, 200 with its sessionId and retCode 0, and its
// restore (the newest backup before the alarm) runs in the function's own
// asynchronous invocation, through the real binary.
func TestEndToEndAlarmThroughGateway(t *testing.T) {
	t.Parallel()
	for _, fixture := range []string{"apigw-alarm.json", "functionurl-alarm.json"} {
		t.Run(fixture, func(t *testing.T) {
			w := newWorld(t)
			w.env["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password" // as in the fixture
			w.env["RESTORE_SAFETY_BACKUP"] = "false"                           // its life: TestEndToEndAlarmLife
			payload, err := os.ReadFile("testdata/" + fixture)
			if err != nil {
				t.Fatal(err)
			}
			answer := w.invoke(t, payload)
			var resp events.APIGatewayResponse
			if err := json.Unmarshal(answer, &resp); err != nil {
				t.Fatal(err)
			}
			// A function URL's answer has no isBase64Encoded.
			if hasB64 := strings.Contains(string(answer), `"isBase64Encoded"`); hasB64 != (fixture == "apigw-alarm.json") {
				t.Errorf("answer %s", answer)
			}
			rs := decodeResults(t, []byte(resp.Body))
			if resp.StatusCode != 200 || len(rs) != 1 || rs[0].Status != intent.Queued {
				t.Fatalf("status %d results %+v: want the restore handed off", resp.StatusCode, rs)
			}
			w.emu.WaitInvocations()
			calls := w.emu.RestoreCalls()
			if len(calls) != 1 || calls[0].BackupID != backupBeforeTheAlarms {
				t.Fatalf("restores %+v", calls)
			}
			if !strings.Contains(resp.Body, `"sessionId":"xxxxxxxx","retCode":0`) {
				t.Errorf("body %s does not echo the sessionId with retCode 0", resp.Body)
			}
			msgs := w.emu.Messages(w.demo.Queue)
			if len(msgs) != 1 || !strings.Contains(msgs[0].Body, fmt.Sprintf(`"taskId":%d`, calls[0].TaskID)) {
				t.Fatalf("messages %+v", msgs)
			}
		})
	}
}
