package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// fleetEnv is an env with n instances (crs-fleet0001, ...) allowed by a
// pattern, each with one restorable backup from an hour ago, and the
// function's own asynchronous invocations delivered to fresh containers,
// as SCF does: a fleet's members and its watch run there.
type fleetEnv struct {
	*env
	ids   []string
	mu    sync.Mutex
	async []string // each asynchronous invocation's kind, and its error
}

func newFleetEnv(t *testing.T, n int) *fleetEnv {
	e := &fleetEnv{env: newEnv(t)}
	e.vars["RESTORE_ALLOWED_INSTANCES"] = "crs-fleet*"
	e.vars["RESTORE_SWEEP_EVERY"] = "1s" // the watch's period
	// Restores take time, as on the cloud (minutes there): a restore task
	// that ends before a second delivery's call arrives holds no lock, and
	// the never-twice rule counts on the lock while the call is on its way.
	e.emu.SetTaskDuration(1500 * time.Millisecond)
	e.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 10})
	e.emu.SetAsyncRetryDelay(100 * time.Millisecond)
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range n {
		id := fmt.Sprintf("crs-fleet%04d", i+1)
		e.ids = append(e.ids, id)
		e.emu.AddInstance(cloudemu.Instance{ID: id, Region: e.demo.Region, Status: 2})
		e.emu.AddBackup(id, cloudemu.Backup{ID: fmt.Sprintf("8%023d", i+1), StartTime: start, EndTime: start.Add(time.Minute), Status: 2, BackupType: "1", Size: 1 << 20})
	}
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		_, err := invokeWith(e.env, freshHandler(e.env), event)
		kind := "handoff"
		if strings.Contains(string(event), events.FleetWatchField) {
			kind = "watch"
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if err != nil {
			kind += " error: " + err.Error()
		}
		e.async = append(e.async, kind)
		return err
	})
	t.Cleanup(e.emu.WaitInvocations)
	return e
}

// fleetMessages are the fleet's own messages on the queue, by type.
func (e *fleetEnv) fleetMessages() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, m := range e.emu.Messages(e.demo.Queue) {
		var ev struct {
			ID   string         `json:"id"`
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if json.Unmarshal([]byte(m.Body), &ev) != nil || !strings.Contains(ev.Type, ".fleet.") {
			continue
		}
		ev.Data["_id"] = ev.ID
		typ := strings.TrimPrefix(ev.Type, intent.EventTypePrefix)
		out[typ] = append(out[typ], ev.Data)
	}
	return out
}

func (e *fleetEnv) restoredOnce(t *testing.T) {
	t.Helper()
	n := map[string]int{}
	for _, c := range e.emu.RestoreCalls() {
		n[c.InstanceID]++
	}
	for _, id := range e.ids {
		if n[id] != 1 {
			t.Errorf("%s restored %d times, want once", id, n[id])
		}
	}
	if len(n) != len(e.ids) {
		t.Errorf("restored %v, want exactly the fleet's %d members", n, len(e.ids))
	}
}

func fleetOf(t *testing.T, rs []intent.Result) intent.Result {
	t.Helper()
	r := onlyResult(t, rs)
	if r.Fleet == nil || r.FleetID == "" || r.Fleet.ID != r.FleetID {
		t.Fatalf("not a fleet's answer: %+v", r)
	}
	return r
}

// One request restores every allowed instance that matches its pattern,
// each once, fanned out to the function's own asynchronous invocations;
// each member's message names the fleet, progress is reported, and one
// completed message ends it with every member done.
func TestFleetRequestRestoresEveryMemberOnceAndCompletes(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 23)
	req := fmt.Sprintf(`{"fleet": {"instances": "crs-fleet*", "before": %q}}`, time.Now().UTC().Format(time.RFC3339))
	r := fleetOf(t, e.results([]byte(req)))
	if r.Status != intent.Accepted || len(r.Fleet.Members) != 23 {
		t.Fatalf("fleet %+v, members %d", r, len(r.Fleet.Members))
	}
	for _, m := range r.Fleet.Members {
		if m.BackupID == "" || !strings.HasPrefix(m.BackupID, "8") {
			t.Errorf("member %+v: want its own backup chosen", m)
		}
	}
	e.emu.WaitInvocations()
	e.restoredOnce(t)
	accepted := 0
	for _, m := range e.messages() {
		if m.Type == intent.EventTypePrefix+"accepted" {
			accepted++
			if m.Data.FleetID != r.FleetID {
				t.Errorf("member message %+v does not name fleet %s", m.Data, r.FleetID)
			}
		}
	}
	fm := e.fleetMessages()
	if accepted != 23 || len(fm["fleet.progress"]) == 0 || len(fm["fleet.completed"]) != 1 {
		t.Fatalf("accepted %d, progress %d, completed %d; invocations %v", accepted, len(fm["fleet.progress"]), len(fm["fleet.completed"]), e.async)
	}
	done := fm["fleet.completed"][0]["counts"].(map[string]any)
	if done["done"] != float64(23) || done["failed"] != float64(0) || done["total"] != float64(23) {
		t.Errorf("completed counts %v", done)
	}
	// The same request again (a redelivery) restores nothing more: a
	// direct invocation has no identity, so its every member's restore
	// of the last minutes is this event's, and the fleet a duplicate.
	again := fleetOf(t, e.results([]byte(req)))
	e.emu.WaitInvocations()
	e.restoredOnce(t)
	if again.Status != intent.Duplicate {
		t.Errorf("the same fleet again: %s %+v", again.Status, again)
	}
}

// With RESTORE_APPROVAL, a fleet waits for one approval: the requester is
// shown every member and its backup but not the token, which goes to the
// queue; the approvers' credential applies it to every member, and a
// token changed in any byte applies nothing.
func TestFleetIsApprovedAsAWhole(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 5)
	e.vars["RESTORE_APPROVAL"] = "invoke"
	r := fleetOf(t, e.results([]byte(`{"fleet": {"instances": ["crs-fleet0001", "crs-fleet0003", "crs-fleet0005"]}}`)))
	if r.Status != intent.Planned || r.Fleet.Plan == nil || r.Fleet.Plan.Token != "" || len(r.Fleet.Plan.Members) != 3 {
		t.Fatalf("planned fleet %+v plan %+v", r, r.Fleet.Plan)
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores before approval", n)
	}
	planned := e.fleetMessages()["fleet.planned"]
	if len(planned) != 1 {
		t.Fatalf("planned messages %v", planned)
	}
	token := planned[0]["plan"].(map[string]any)["token"].(string)
	forged := token[:len(token)-2] + "xx"
	// Not by a link: a fleet's plan takes an approver's credential.
	link := mustJSON(t, map[string]any{"httpMethod": "POST", "path": "/", "queryString": map[string]any{"approve": token}, "headers": map[string]string{}, "body": ""})
	if _, rs := e.functionURL(link); onlyResult(t, rs).Status != intent.Failed || !strings.Contains(errMessage(rs[0].Error), "webhook") {
		t.Fatalf("a fleet plan's link: %+v", rs)
	}
	body := fmt.Sprintf(`{"approve": %q}`, forged)
	_, rs := e.gateway(gatewayEvent(t, body, signedByApprover(body)))
	if onlyResult(t, rs).Status != intent.Failed || len(e.emu.RestoreCalls()) != 0 {
		t.Fatalf("forged approval %+v", rs)
	}
	body = fmt.Sprintf(`{"approve": %q}`, token)
	_, rs = e.gateway(gatewayEvent(t, body, signedByApprover(body)))
	if a := fleetOf(t, rs); a.Status != intent.Accepted || a.FleetID != r.FleetID {
		t.Fatalf("approval %+v", a)
	}
	e.emu.WaitInvocations()
	e.ids = []string{"crs-fleet0001", "crs-fleet0003", "crs-fleet0005"}
	e.restoredOnce(t)
}

// A fleet's dry run lists every member and its backup, and starts nothing.
func TestFleetDryRunListsEveryMemberAndStartsNothing(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 4)
	r := fleetOf(t, e.results([]byte(`{"fleet": {"instances": "*", "dryRun": true}}`)))
	if r.Status != intent.DryRun || r.Fleet.Plan == nil || len(r.Fleet.Plan.Members) != 4 || r.Fleet.Plan.Members[0].BackupID == "" {
		t.Fatalf("dry run %+v", r.Fleet)
	}
	if n, inv := len(e.emu.RestoreCalls()), len(e.emu.Invocations()); n != 0 || inv != 0 {
		t.Fatalf("a dry run restored %d and invoked %d", n, inv)
	}
}

// The budget holds a fleet as a whole: one member's budget is spent, and
// none is restored; the fleet ends at once with its completed message.
func TestFleetIsHeldAsAWholeByAMembersBudget(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 3)
	e.vars["RESTORE_BUDGET_REQUESTS"] = "1/1h"
	first := onlyResult(t, e.results([]byte(`{"instanceId": "crs-fleet0002", "backupId": "latest"}`)))
	if first.Status != intent.Accepted {
		t.Fatalf("first restore %+v", first)
	}
	// A timer's fleet: its event time is its own, so that the earlier
	// restore is not taken for one of this event's (as an untimed
	// invocation's restores of the last minutes are).
	time.Sleep(1100 * time.Millisecond)
	r := fleetOf(t, e.results(timerEvent(t, time.Now(), `{"fleet": {"instances": "crs-fleet*", "safetyBackup": false}}`)))
	if r.Status != intent.Skipped || errCode(r.Error) != intent.CodeBudgetExceeded || !strings.Contains(errMessage(r.Error), "crs-fleet0002") {
		t.Fatalf("fleet %+v", r)
	}
	e.emu.WaitInvocations()
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Errorf("%d restores, want only the first", n)
	}
	if c := e.fleetMessages()["fleet.completed"]; len(c) != 1 || c[0]["status"] != string(intent.Skipped) {
		t.Errorf("completed %v", c)
	}
}

// A fleet refuses as a whole what it may not do: a listed instance outside
// the allow-list, a pattern that matches nothing, an unknown field.
func TestFleetRefusesByName(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 2)
	for body, field := range map[string]string{
		`{"fleet": {"instances": ["crs-fleet0001", "crs-other001"]}}`: "instances",
		`{"fleet": {"instances": "crs-nomatch*"}}`:                    "instances",
		`{"fleet": {"instances": "*", "password": "x"}}`:              "fleet.password",
		`{"fleet": {"instances": "*", "backupId": "12345"}}`:          "fleet.backupId",
		`{"fleet": {"instances": "*", "mode": "clone"}}`:              "fleet.mode",
		`{"fleet": {"instances": []}}`:                                "fleet.instances",
	} {
		r := onlyResult(t, e.results([]byte(body)))
		if r.Status != intent.Failed || !strings.Contains(errMessage(r.Error), strings.TrimPrefix(field, "fleet.")) {
			t.Errorf("%s: %+v", body, r)
		}
	}
	// A member whose edition cannot restore in place refuses the fleet
	// as a whole, naming it.
	e.emu.AddInstance(cloudemu.Instance{ID: "crs-fleet4000", Region: e.demo.Region, Status: 2, Type: 6})
	r := onlyResult(t, e.results([]byte(`{"fleet": {"instances": "*"}}`)))
	if r.Status != intent.Failed || !strings.Contains(errMessage(r.Error), "crs-fleet4000 (Redis 4.0") {
		t.Errorf("a fleet with a Redis 4.0 member: %+v", r)
	}
	if n := len(e.emu.RestoreCalls()) + len(e.emu.Invocations()); n != 0 {
		t.Errorf("%d calls", n)
	}
}

// Only the function's own seal makes a fleet's member or watch: anyone
// may invoke the function with their shapes.
func TestForgedFleetHandOffAndWatchAreRefused(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 2)
	handoff := mustJSON(t, events.HandoffEvent{Handoff: events.HandoffCall{Trigger: "direct", Channel: "invoke", Since: time.Now(),
		Body: `{"restores":[{"instanceId":"crs-fleet0001","backupId":"latest","force":true}]}`, Fleet: "fleet-x", Seal: "forged"}})
	watch := mustJSON(t, events.FleetWatchEvent{Watch: events.FleetWatch{ID: "fleet-x", Region: e.demo.Region, Since: time.Now(), Start: time.Now(),
		Members: []string{"crs-fleet0001"}, Seal: "forged"}})
	for _, p := range [][]byte{handoff, watch} {
		r := onlyResult(t, e.results(p))
		if r.Status != intent.Failed || errCode(r.Error) == "" {
			t.Errorf("forged %s: %+v", p, r)
		}
	}
	if n := len(e.emu.RestoreCalls()) + len(e.emu.Messages(e.demo.Queue)); n != 0 {
		t.Errorf("%d restores and messages", n)
	}
}

// A fleet meets a hostile platform: a third of the Invoke calls that hand
// out its members and its watch fail, half of them after the invocation
// was queued (the answer lost), and every failed request is delivered
// again, as the platform retries a timer. Every member is restored once,
// and the fleet ends with one completed message that counts every member
// done.
func TestFleetWithLostHandOutsRestoresEachMemberOnce(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 30)
	e.emu.SetFaults("Invoke", cloudemu.Faults{Rate: 0.33, Kinds: []cloudemu.Fault{{Code: "InternalError"}, {AfterCommit: true}}})
	at := time.Now().Truncate(time.Second)
	ev := timerEvent(t, at, `{"fleet": {"instances": "crs-fleet*", "safetyBackup": false}}`)
	var last intent.Result
	deliveries := 0
	for ; deliveries < 10; deliveries++ {
		ans, err := e.invoke(ev)
		if err == nil {
			last = fleetOf(t, ans.(handler.Response).Results)
			break
		}
	}
	if deliveries == 10 || last.Status != intent.Accepted && last.Status != intent.Duplicate {
		t.Fatalf("after %d deliveries: %+v", deliveries, last)
	}
	e.emu.SetFaults("Invoke", cloudemu.Faults{})
	e.emu.WaitInvocations()
	e.restoredOnce(t)
	c := e.fleetMessages()["fleet.completed"]
	ids := map[string]bool{}
	for _, m := range c {
		ids[m["_id"].(string)] = true
		if counts := m["counts"].(map[string]any); counts["done"] != float64(30) {
			t.Errorf("completed %v", counts)
		}
	}
	if len(c) == 0 || len(ids) != 1 {
		t.Fatalf("completed messages %d with %d ids, want every copy under one id; invocations %v", len(c), len(ids), e.async)
	}
	t.Logf("FLEET-FAULTS deliveries=%d invokes=%d restores=%d completed-copies=%d", deliveries+1, len(e.emu.Invocations()), len(e.emu.RestoreCalls()), len(c))
}

// A fleet sent to the webhook where every call is handed off
// (RESTORE_HANDOFF=all) is admitted in the call itself, which hands out its
// members: never handed off whole to an invocation that would refuse it.
func TestWebhookFleetIsHandedOutNotHandedOff(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 3)
	e.vars["RESTORE_HANDOFF"] = "all"
	e.vars["RESTORE_ALLOWED_INSTANCES"] = "*"
	body := `{"fleet": {"instances": "crs-fleet*"}}`
	_, rs := e.gateway(gatewayEvent(t, body, signed(body)))
	if r := fleetOf(t, rs); r.Status != intent.Accepted || len(r.Fleet.Members) != 3 {
		t.Fatalf("webhook fleet %+v", r)
	}
	e.emu.WaitInvocations()
	e.restoredOnce(t)
}

// Under the role make policy writes (task and backup lists granted on the
// allowed instances only), a fleet reads its members' tasks and backups
// one by one where the region-wide lists are refused, admission and watch
// alike, and restores each member once to its end.
func TestFleetUnderTheLeastPrivilegeRole(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 4)
	leastPrivilege(t, e.env, e.ids...)
	r := fleetOf(t, e.results([]byte(`{"fleet": {"instances": "*"}}`)))
	if r.Status != intent.Accepted || len(r.Fleet.Members) != 4 || r.Fleet.Members[3].BackupID == "" {
		t.Fatalf("fleet %+v %+v", r, r.Error)
	}
	e.emu.WaitInvocations()
	e.restoredOnce(t)
	c := e.fleetMessages()["fleet.completed"]
	if len(c) == 0 || c[0]["counts"].(map[string]any)["done"] != float64(4) {
		t.Fatalf("completed %v; invocations %v", c, e.async)
	}
}
