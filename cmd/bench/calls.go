package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
	"redis-restore/internal/scfdriver"
)

// callsSection is the API calls one restore costs, by how it was asked
// for (issue 18: the least a function needs is RestoreInstance and
// SendCmqMsg). Each case is a fresh emulator and a fresh function process,
// so that the emulator's per-action counters hold that restore's calls and
// nothing else.
type callsSection struct {
	Cases []*callCase
}

// callCase is one restore and what it cost.
type callCase struct {
	Name   string
	Safety bool   // with its safety backup (and the sweeps after it)
	Least  int    // the fewest calls a function could make for it
	Why    string // which calls those are
	// Steps are the invocations, in order: the request, then for a
	// safety-backed one each sweep until its succeeded message.
	Steps    []callStep
	Restores int    // RestoreInstance calls the emulator accepted (1)
	Status   string // the request's result
}

// callStep is one invocation and the calls it made: by action, from the
// emulator's counters, and in the order they came.
type callStep struct {
	Name  string
	Calls map[string]int
	Order []string
}

// readsBeforeWork is how many times the step read the task list before
// its first call that starts work (RestoreInstance, ManualBackupInstance),
// or in all if it made none.
func (s callStep) readsBeforeWork() int {
	n := 0
	for _, a := range s.Order {
		switch a {
		case "RestoreInstance", "ManualBackupInstance":
			return n
		case "DescribeTaskList":
			n++
		}
	}
	return n
}

// Total is every call of the case, by action.
func (c *callCase) Total() map[string]int {
	out := map[string]int{}
	for _, s := range c.Steps {
		for a, n := range s.Calls {
			out[a] += n
		}
	}
	return out
}

const (
	callsBackup  = 300 * time.Millisecond // the safety backup's own time (case d)
	callsTask    = 300 * time.Millisecond // a restore task's
	callsTimeout = 30 * time.Second       // each invocation's, and case d's whole life
)

// runCalls measures the four cases with the templates in dir.
func runCalls(bin, dir string, logf func(string, ...any)) (*callsSection, error) {
	tpl, err := os.ReadFile(filepath.Join(dir, "functionurl-alarm.json"))
	if err != nil {
		return nil, err
	}
	sec := &callsSection{}
	cases := []struct {
		name, why string
		least     int
		safety    bool
		run       func(*callWorld) (string, error)
	}{
		{"direct invocation, its backup named", "RestoreInstance, SendCmqMsg (accepted)", 2, false,
			func(w *callWorld) (string, error) { return w.direct(w.backup) }},
		{`direct invocation, backupId "latest"`, "DescribeInstanceBackups (which is latest), RestoreInstance, SendCmqMsg", 3, false,
			func(w *callWorld) (string, error) { return w.direct("latest") }},
		{"Cloud Monitor alarm (function URL, basic auth, RESTORE_HANDOFF=off)", "DescribeInstanceBackups (the last before the alarm), RestoreInstance, SendCmqMsg", 3, false,
			func(w *callWorld) (string, error) { return w.alarm(tpl) }},
		{"Cloud Monitor alarm, safety backup on, to its succeeded message",
			"DescribeInstanceBackups, ManualBackupInstance, SendCmqMsg (accepted) in the request; one look at the backup's end, RestoreInstance, SendCmqMsg (started); one look at the restore's end, SendCmqMsg (succeeded)", 8, true,
			func(w *callWorld) (string, error) { return w.safeAlarm(tpl) }},
	}
	for _, c := range cases {
		cc := &callCase{Name: c.name, Least: c.least, Why: c.why, Safety: c.safety}
		sec.Cases = append(sec.Cases, cc)
		w, err := newCallWorld(bin, dir, cc)
		if err != nil {
			return sec, fmt.Errorf("%s: %w", c.name, err)
		}
		cc.Status, err = c.run(w)
		cc.Restores = len(w.emu.RestoreCalls())
		w.close()
		if err != nil {
			return sec, fmt.Errorf("%s: %w", c.name, err)
		}
		if cc.Restores != 1 {
			return sec, fmt.Errorf("%s: %d RestoreInstance accepted, want 1", c.name, cc.Restores)
		}
		total := cc.Total()
		logf("API calls per restore: %s: %d (%s)", c.name, sum(total), byAction(total))
	}
	return sec, nil
}

// callWorld is one case's emulator and function process.
type callWorld struct {
	*world
	fn     *scfdriver.Function
	fnEnv  map[string]string
	cc     *callCase
	id     string // the instance to restore
	backup string // its one backup
}

func newCallWorld(bin, dir string, cc *callCase) (*callWorld, error) {
	w, err := newWorld(dir)
	if err != nil {
		return nil, err
	}
	w.emu.SetTaskDuration(callsTask)
	w.emu.SetLifecycle(cloudemu.Lifecycle{Backup: callsBackup})
	fn, err := scfdriver.Start(context.Background(), scfdriver.Options{Binary: bin})
	if err != nil {
		w.Close()
		return nil, err
	}
	cw := &callWorld{world: w, fn: fn, fnEnv: w.env(), cc: cc}
	cw.fnEnv["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:bench-password"
	cw.fnEnv["RESTORE_HANDOFF"] = "off" // the alarm's restore runs in its own call
	cw.fnEnv["RESTORE_SAFETY_BACKUP"] = fmt.Sprint(cc.Safety)
	cw.id, cw.backup = w.newTarget()
	return cw, nil
}

func (w *callWorld) close() {
	w.fn.Close()
	w.Close()
}

// invoke sends one event, records the calls it made as a step and returns
// the function's answer.
func (w *callWorld) invoke(step string, payload []byte) ([]byte, error) {
	before := w.emu.CallCounts()
	_, seen := w.timed.actionsSince(0)
	res, err := w.fn.Invoke(context.Background(), scfdriver.Invocation{Payload: payload, Environment: w.fnEnv, Timeout: callsTimeout})
	st := callStep{Name: step, Calls: diffCounts(before, w.emu.CallCounts())}
	st.Order, _ = w.timed.actionsSince(seen)
	w.cc.Steps = append(w.cc.Steps, st)
	if len(st.Order) != sum(st.Calls) {
		return nil, fmt.Errorf("%s: the emulator counted %d calls, %d reached it in order", step, sum(st.Calls), len(st.Order))
	}
	if err != nil {
		return nil, err
	}
	if res.Error != nil {
		return nil, fmt.Errorf("function error %s: %s", res.Error.Type, res.Error.Message)
	}
	return res.Payload, nil
}

// one sends the request and returns its one result's status.
func (w *callWorld) one(payload []byte) (string, error) {
	answer, err := w.invoke("request", payload)
	if err != nil {
		return "", err
	}
	rs, err := parseAnswer(answer)
	if err != nil {
		return "", err
	}
	if len(rs) != 1 {
		return "", fmt.Errorf("%d results, want 1", len(rs))
	}
	if rs[0].Error != nil {
		return rs[0].Status, fmt.Errorf("%s: %s", rs[0].Error.Code, rs[0].Error.Message)
	}
	return rs[0].Status, nil
}

// direct is a direct invocation restoring the instance to backup.
func (w *callWorld) direct(backup string) (string, error) {
	return w.one(mustJSON(map[string]string{"instanceId": w.id, "backupId": backup}))
}

// alarm is a Cloud Monitor alarm about the instance, firing a minute ago,
// posted to the function URL with basic auth.
func (w *callWorld) alarm(tpl []byte) (string, error) {
	ev, err := callbackEvent(tpl, w.id, time.Now().Add(-time.Minute))
	if err != nil {
		return "", err
	}
	return w.one(ev)
}

// safeAlarm is the alarm with its safety backup, followed by the sweep
// timer until the restore's succeeded message is on the queue. A sweep
// judges the cloud as of its timer's Time, which SCF gives to the second
// (an end counts once it is before that Time), so each is fired on the
// first whole second after the backup's or the task's time has passed, as
// a timer a minute apart would find them; a sweep that finds nothing to do
// yet is counted too.
func (w *callWorld) safeAlarm(tpl []byte) (string, error) {
	status, err := w.alarm(tpl)
	if err != nil {
		return status, err
	}
	if n := len(w.emu.ManualBackups()); n != 1 {
		return status, fmt.Errorf("%d safety backups, want 1", n)
	}
	deadline := time.Now().Add(callsTimeout)
	wait := callsBackup
	for sweeps := 1; !w.succeeded(); sweeps++ {
		if time.Now().After(deadline) {
			return status, fmt.Errorf("no succeeded message after %d sweeps", sweeps-1)
		}
		at := time.Now().Add(wait).Truncate(time.Second).Add(time.Second)
		time.Sleep(time.Until(at) + 20*time.Millisecond)
		ev := mustJSON(events.TimerEvent{Type: "Timer", TriggerName: "restore-sweep", Time: at.UTC(), Message: `{"sweep":true}`})
		// A sweep that had nothing to report answers {"results":null}.
		if _, err := w.invoke(fmt.Sprintf("sweep %d", sweeps), ev); err != nil {
			return status, fmt.Errorf("sweep %d: %w", sweeps, err)
		}
		wait = callsTask
	}
	return status, nil
}

// succeeded reports whether the queue holds the restore's succeeded
// message.
func (w *callWorld) succeeded() bool {
	for _, m := range w.emu.Messages(w.demo.Queue) {
		var ev intent.Event
		if json.Unmarshal([]byte(m.Body), &ev) == nil && ev.Type == intent.EventTypePrefix+"succeeded" && ev.Data.InstanceID == w.id {
			return true
		}
	}
	return false
}

// diffCounts is after − before, actions with no calls left out.
func diffCounts(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for a, n := range after {
		if d := n - before[a]; d > 0 {
			out[a] = d
		}
	}
	return out
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// byAction is "Action n, ..." most first, then by name.
func byAction(m map[string]int) string {
	actions := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(actions))
	for i, a := range actions {
		parts[i] = fmt.Sprintf("%s %d", a, m[a])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// table is the section's figures: one row a case.
func (s *callsSection) table() *table {
	t := newTable("restore", "invocations", "API calls by action", "total", "least", "over the least")
	for _, c := range s.Cases {
		total := c.Total()
		n := sum(total)
		t.row(c.Name, len(c.Steps), byAction(total), n, c.Least, fmt.Sprintf("%+d", n-c.Least))
	}
	return t
}

// steps is every invocation's calls, in order.
func (s *callsSection) steps() *table {
	t := newTable("restore", "invocation", "calls", "task list reads before the call that starts work", "the calls in order")
	for _, c := range s.Cases {
		for _, st := range c.Steps {
			t.row(c.Name, st.Name, sum(st.Calls), st.readsBeforeWork(), strings.Join(st.Order, " → "))
		}
	}
	return t
}

// least is what each case's least counts.
func (s *callsSection) least() *table {
	t := newTable("restore", "least", "which calls")
	for _, c := range s.Cases {
		t.row(c.Name, c.Least, c.Why)
	}
	return t
}
