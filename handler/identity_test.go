package handler_test

import (
	"net/http"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// A signed webhook is searched for from the time it was signed, not only a
// few minutes back: sent again four minutes after signing (within the
// signature's five), to a fresh container, it finds the restore an earlier
// delivery started ten seconds after signing.
func TestOldSignatureReplayFindsTheRestoreItsTimeCovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	signedAt := time.Now().Add(-4 * time.Minute).Truncate(time.Second)
	task := e.emu.AddTask(cloudemu.Task{InstanceID: "crs-5a4py64p", BackupID: "678362566696298532848117",
		Type: cloudemu.TaskTypeRestore, StartTime: signedAt.Add(10 * time.Second), Duration: time.Second})
	e.h = freshHandler(e)
	_, rs := e.gateway(gatewayEvent(t, body, map[string]string{"x-restore-signature": handler.Sign(webhookSecret, signedAt, []byte(body))}))
	if r := onlyResult(t, rs); r.Status != intent.Duplicate || r.TaskID != task || len(e.emu.RestoreCalls()) != 0 {
		t.Fatalf("%+v, %d restores: want a duplicate of task %d", r, len(e.emu.RestoreCalls()), task)
	}
}

// A basic-auth call without Idempotency-Key has no identity of its own:
// sent again to a fresh container, the restore of the last few minutes is
// taken for its own.
func TestBasicAuthWebhookSentAgainRestoresOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	var deliveries [][]intent.Result
	for _, h := range []*handler.Handler{e.h, freshHandler(e)} {
		ans, err := invokeWith(e, h, gatewayEvent(t, body, basicAuthHeader()))
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := decodeAnswer(t, ans)
		deliveries = append(deliveries, rs)
	}
	exactlyOnce(t, e, deliveries)
}

// A warm container remembers a message by its id: delivered again while
// the task list cannot be read, it is answered from memory as the
// duplicate it is, instead of failing.
func TestWarmContainerRemembersMessagesByTheirID(t *testing.T) {
	t.Parallel()
	for name, ev := range map[string]func(t *testing.T) []byte{
		"cmq":         func(t *testing.T) []byte { return cmqEvent(t, `{"instanceId":"crs-5a4py64p","backupId":"latest"}`) },
		"eventbridge": func(t *testing.T) []byte { return fixture(t, "eventbridge-restore.json") },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			payload := ev(t)
			first := onlyResult(t, e.results(payload))
			e.emu.SetFaults("DescribeTaskList", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "InternalError"}}})
			e.timeout = 3 * time.Second
			ans, err := e.invoke(payload)
			if err != nil {
				t.Fatalf("again, the task list failing: %v", err)
			}
			rs, _ := decodeAnswer(t, ans)
			if again := onlyResult(t, rs); first.Status != intent.Accepted || again.Status != intent.Duplicate || again.TaskID != first.TaskID {
				t.Fatalf("first %+v, again %+v", first, again)
			}
		})
	}
}

// A signature is accepted up to exactly SignatureTolerance from the
// container's clock, either way, and refused a second beyond.
func TestSignatureToleranceIsExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_DRY_RUN"] = "true"
	now := time.Now().Truncate(time.Second)
	e.h.Now = func() time.Time { return now }
	body := `{"instanceId":"crs-5a4py64p","backupId":"latest"}`
	for _, c := range []struct {
		off time.Duration
		ok  bool
	}{
		{-handler.SignatureTolerance, true}, {-handler.SignatureTolerance - time.Second, false},
		{handler.SignatureTolerance, true}, {handler.SignatureTolerance + time.Second, false},
	} {
		resp, _ := e.gateway(gatewayEvent(t, body, map[string]string{"x-restore-signature": handler.Sign(webhookSecret, now.Add(c.off), []byte(body))}))
		if ok := resp.StatusCode != http.StatusUnauthorized; ok != c.ok {
			t.Errorf("signed %s from the container's clock: status %d, want accepted %v", c.off, resp.StatusCode, c.ok)
		}
	}
}

// A record delivered twice in one batch is one event: the second copy is
// answered as the first was, a duplicate of its restore, or the same
// failure, never a restore of its own and never a duplicate of nothing.
func TestSameRecordTwiceInABatchIsAnsweredAsTheFirst(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"restored": `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`,
		"failed":   `{"instanceId":"crs-5a4py64p","backupId":"999999999999999999999999"}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := events.CKafkaRecord{Ckafka: events.CKafkaMessage{Topic: "redis-restore-requests", Partition: 0, Offset: 7, MsgKey: "k", MsgBody: body}}
			ans, err := e.invoke(mustJSON(t, events.CKafkaEvent{Records: []events.CKafkaRecord{rec, rec}}))
			if err != nil {
				t.Fatal(err)
			}
			rs, _ := decodeAnswer(t, ans)
			if len(rs) != 2 {
				t.Fatalf("%d results: %+v", len(rs), rs)
			}
			first, second := rs[0], rs[1]
			switch name {
			case "restored":
				if first.Status != intent.Accepted || second.Status != intent.Duplicate || second.TaskID != first.TaskID || len(e.emu.RestoreCalls()) != 1 {
					t.Errorf("first %+v, second %+v, %d restores", first, second, len(e.emu.RestoreCalls()))
				}
			case "failed":
				if first.Status != intent.Failed || second.Status != intent.Failed || errCode(second.Error) != errCode(first.Error) || errCode(first.Error) == "" {
					t.Errorf("first %+v %+v, second %+v %+v", first, first.Error, second, second.Error)
				}
			}
		})
	}
}
