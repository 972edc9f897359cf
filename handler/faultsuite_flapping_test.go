package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// TestFaultSuiteFlapping is the fault suite's flapping section (issue 14):
// alarms that fire, recover and fire again, ten times each, every firing a
// new event that first occurs after the previous restore started. Each
// firing reaches one to three containers at once, through API gateway or
// the function URL (basic auth), CMQ, CKafka, direct invocation or
// EventBridge (an event alarm) in turn; failed asynchronous
// deliveries are retried, alarm callbacks over HTTP are handed off to the
// function's own asynchronous invocation (RESTORE_HANDOFF's default) and
// their failures retried by it, a 5xx alarm callback is sent again, a fifth of
// the firings come again later; the emulator fails a share of every call
// as in TestFaultSuite. Under the default RESTORE_BUDGET (1/1h) each
// instance is restored at most once, and the other firings are held.
func TestFaultSuiteFlapping(t *testing.T) {
	t.Parallel()
	const (
		instances    = 8
		firings      = 10
		taskDuration = time.Second
	)
	e, randN := faultSuiteEnv(t, taskDuration, 14)

	base := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	ids := make([]string, instances)
	for i := range ids {
		ids[i] = fmt.Sprintf("crs-flap%04d", i)
		e.emu.AddInstance(cloudemu.Instance{ID: ids[i], Region: "ap-guangzhou", Status: 2})
		e.emu.AddBackup(ids[i], cloudemu.Backup{ID: fmt.Sprintf("6%05d00000000000000001", i), StartTime: base, Status: 2})
	}
	kinds, _ := injectCloudFaults(e, []string{"DescribeTaskList", "DescribeInstanceBackups", "SendCmqMsg"}, 0.3)

	var mu sync.Mutex
	var invocations, atOnce, retries, redeliveries, panics, handedOff int
	answered := map[int64]bool{}
	outcomes := map[string][]intent.Result{} // by firing, every outcome
	firingOf := map[string]string{}          // alarm body -> firing, for hand-offs
	record := func(key string, rs []intent.Result) {
		for _, r := range rs {
			if r.TaskID != 0 {
				answered[r.TaskID] = true
			}
			if r.Status != intent.Queued { // a hand-off's answer is no outcome
				outcomes[key] = append(outcomes[key], r)
			}
		}
	}

	// Alarm callbacks over HTTP hand their restores to the function's own
	// asynchronous invocation, as by default in production: the emulator's
	// SCF Invoke runs each in a fresh container, and retries a failed one.
	e.vars["RESTORE_HANDOFF"] = "alarms"
	e.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 6})
	e.emu.SetAsyncRetryDelay(taskDuration)
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		var p int
		ans, err := safeInvokeWith(e, suiteContainer(e), event, &p)
		rs, _ := decodeAnswer(t, ans)
		if err != nil && p == 0 {
			rs = resultsFromError(t, err)
		}
		var ev events.HandoffEvent
		_ = json.Unmarshal(event, &ev)
		mu.Lock()
		defer mu.Unlock()
		handedOff++
		panics += p
		record(firingOf[ev.Handoff.Body], rs)
		return err
	})
	deliver := func(key, trigger string, payload []byte, containers int) (retry bool) {
		var wg sync.WaitGroup
		for range containers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var p int
				ans, err := safeInvokeWith(e, suiteContainer(e), payload, &p)
				rs, status := decodeAnswer(t, ans)
				if err != nil && p == 0 {
					rs = resultsFromError(t, err)
				}
				mu.Lock()
				defer mu.Unlock()
				invocations++
				panics += p
				record(key, rs)
				if err != nil && trigger != "apigw" && trigger != "functionurl" || status >= 500 {
					retry = true
				}
			}()
		}
		wg.Wait()
		return retry
	}
	later := func() { time.Sleep(taskDuration + time.Duration(randN(300))*time.Millisecond) }

	triggers := flapTriggers
	var all sync.WaitGroup
	for i, id := range ids {
		all.Add(1)
		go func() {
			defer all.Done()
			var sent [][]byte
			for k := 0; k < firings; k++ {
				// A new firing first occurs after everything before it,
				// so after any restore an earlier firing started, and
				// before it is delivered.
				first := nextFiring()
				trigger := triggers[(i+k)%len(triggers)]
				key := fmt.Sprintf("%s/%d", id, k)
				payload := flapVia(t, trigger, id, first)
				mu.Lock()
				firingOf[flapFiring(t, id, first)] = key
				mu.Unlock()
				sent = append(sent, payload)
				n := 1 + randN(3)
				if n > 1 {
					mu.Lock()
					atOnce++
					mu.Unlock()
				}
				retry := deliver(key, trigger, payload, n)
				for try := 0; retry && try < 2; try++ {
					later()
					mu.Lock()
					retries++
					mu.Unlock()
					retry = deliver(key, trigger, payload, 1)
				}
				if randN(5) == 0 {
					// An earlier firing delivered again: still one restore.
					j := randN(len(sent))
					mu.Lock()
					redeliveries++
					mu.Unlock()
					deliver(fmt.Sprintf("%s/%d", id, j), triggers[(i+j)%len(triggers)], sent[j], 1)
				}
			}
		}()
	}
	all.Wait()
	e.emu.WaitInvocations()

	restoresOf := map[string]int{}
	for _, c := range e.emu.RestoreCalls() {
		restoresOf[c.InstanceID]++
	}
	beyond := 0
	for id, n := range restoresOf {
		if n > 1 {
			beyond += n - 1
			t.Errorf("%s restored %d times by its flapping alarm", id, n)
		}
	}
	counts := map[string]int{}
	heldFirings := 0
	for _, id := range ids {
		for k := 0; k < firings; k++ {
			rs := outcomes[fmt.Sprintf("%s/%d", id, k)]
			if len(rs) == 0 {
				t.Errorf("%s firing %d has no outcome", id, k)
				continue
			}
			final, held := rs[len(rs)-1], false
			for _, r := range rs {
				switch {
				case r.Status == intent.Accepted || r.Status == intent.Duplicate:
					final = r
				case r.Status == intent.Skipped && (r.Error == nil || errCode(r.Error) != intent.CodeBudgetExceeded):
					t.Errorf("%s firing %d skipped without RestoreBudgetExceeded: %+v", id, k, r)
				case r.Status == intent.Skipped:
					held = true
				}
			}
			if held {
				heldFirings++
			}
			s := string(final.Status)
			if final.Status == intent.Skipped {
				s = "held"
			}
			counts[s]++
		}
	}
	heldIDs := map[string]bool{}
	for _, m := range e.emu.Messages(e.demo.Queue) {
		var ev intent.Event
		if json.Unmarshal([]byte(m.Body), &ev) == nil && ev.Type == intent.EventTypePrefix+"held" {
			heldIDs[ev.ID] = true
		}
	}
	lost := lostTaskIDs(t, e, answered)
	faultFloors(t, e, kinds, ids)
	if panics != 0 {
		t.Errorf("%d panics escaped", panics)
	}
	// Not vacuous: most later firings must have met a spent budget.
	if heldFirings < instances*(firings-1)/2 {
		t.Errorf("only %d firings were held: the budget was hardly tested", heldFirings)
	}
	if len(heldIDs) == 0 || len(heldIDs) > heldFirings {
		t.Errorf("%d held message ids for %d held firings", len(heldIDs), heldFirings)
	}

	var cs []string
	for s, n := range counts {
		cs = append(cs, fmt.Sprintf("%s=%d", s, n))
	}
	sort.Strings(cs)
	fmt.Printf("FAULT-SUITE flapping instances=%d firings=%d invocations=%d handed-off=%d at-once=%d retries=%d redeliveries=%d faults-injected=%d budget=1/1h\n",
		instances, instances*firings, invocations, handedOff, atOnce, retries, redeliveries, e.emu.FaultsInjected())
	fmt.Printf("FAULT-SUITE flapping final %s restores=%d held-firings=%d held-messages=%d lost=%d panics=%d\n",
		strings.Join(cs, " "), len(e.emu.RestoreCalls()), heldFirings, len(heldIDs), lost, panics)
	fmt.Printf("FAULT-SUITE flapping restores beyond budget: %d\n", beyond)
}
