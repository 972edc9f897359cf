package handler_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/chinatime"
	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// TestFaultSuite runs restore requests the way SCF delivers them, against
// an emulator that fails a share of every API call, and proves the
// promises: no instance is restored twice, every started restore's TaskId
// reaches the queue or an answer, every request ends with an outcome and a
// reason, nothing panics.
//
// As in production: each event reaches one to three containers at the same
// moment; restore tasks run for a second while the instance answers
// InstanceLockedError; the lock is retried for the default
// RESTORE_LOCK_RETRY; the cloud answers late after starting a restore,
// answers without a TaskId, or fails after committing; the API limits
// every action to 20 requests a second; asynchronous triggers are retried
// (in another container) after an error, webhook callers retry a 5xx with
// the same Idempotency-Key, signed webhooks are replayed as they were, and
// a fifth of the events come again later anyway.
func TestFaultSuite(t *testing.T) {
	t.Parallel()
	const (
		requests     = 120
		taskDuration = time.Second
		parallel     = 12 // events in flight at once
	)
	e, randN := faultSuiteEnv(t, taskDuration, 42)

	base := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	ids := make([]string, requests)
	for i := range ids {
		ids[i] = fmt.Sprintf("crs-fault%03d", i)
		e.emu.AddInstance(cloudemu.Instance{ID: ids[i], Region: "ap-guangzhou", Status: 2})
		e.emu.AddBackup(ids[i], cloudemu.Backup{ID: fmt.Sprintf("5%05d00000000000000001", i), StartTime: base, Status: 2})
		e.emu.AddBackup(ids[i], cloudemu.Backup{ID: fmt.Sprintf("5%05d00000000000000002", i), StartTime: base.Add(time.Hour), Status: 4})
	}
	_, kinds := injectCloudFaults(e, []string{"DescribeTaskList", "DescribeInstanceBackups", "DescribeInstances", "SendCmqMsg"}, 0.35,
		cloudemu.Fault{Code: "InternalError", AfterCommit: true},
		cloudemu.Fault{Body: `{"Response":{"TaskId":0,"RequestId":"zero-task-id"}}`})

	// The events: timers, webhooks (signed with an Idempotency-Key, signed
	// without one, basic-auth alarms), CMQ batches of three, direct
	// invocations; half the requests ask for "latest".
	type event struct {
		kind  string
		build func() []byte // a delivery's payload (a webhook retry signs anew)
		reqs  []int
		async bool // the platform retries an error
	}
	reqBody := func(i int) string {
		b := fmt.Sprintf("5%05d00000000000000002", i)
		if i%2 == 0 {
			b = "latest"
		}
		return fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, ids[i], b)
	}
	var evs []event
	for i := 0; i < requests; {
		switch i % 6 {
		case 0:
			ev := timerEvent(t, time.Now().Add(-time.Second), reqBody(i))
			evs = append(evs, event{"timer", func() []byte { return ev }, []int{i}, true})
			i++
		case 1:
			body, key := reqBody(i), fmt.Sprintf("key-%d", i)
			evs = append(evs, event{"webhook-key", func() []byte {
				h := signed(body)
				h["idempotency-key"] = key
				return gatewayEvent(t, body, h)
			}, []int{i}, false})
			i++
		case 2:
			// Replayed as it was: the same signature every time.
			ev := gatewayEvent(t, reqBody(i), signed(reqBody(i)))
			evs = append(evs, event{"webhook-replay", func() []byte { return ev }, []int{i}, false})
			i++
		case 3:
			alarm := strings.NewReplacer("crs-5a4py64p", ids[i], "2026-11-29 10:00:00",
				chinatime.Format(time.Now())).Replace(string(fixture(t, "alarm-metric-instanceid.json")))
			auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(alarmBasicAuth))
			ev := gatewayEvent(t, alarm, map[string]string{"authorization": auth})
			evs = append(evs, event{"alarm", func() []byte { return ev }, []int{i}, false})
			i++
		case 4:
			ev := []byte(reqBody(i))
			evs = append(evs, event{"direct", func() []byte { return ev }, []int{i}, true})
			i++
		default:
			var bodies []string
			var reqs []int
			for j := 0; j < 3 && i < requests; j++ {
				bodies = append(bodies, reqBody(i))
				reqs = append(reqs, i)
				i++
			}
			ev := cmqEvent(t, bodies...)
			evs = append(evs, event{"cmq", func() []byte { return ev }, reqs, true})
		}
	}

	var panics int
	// Containers: an idle pool; a delivery takes one (sometimes a cold new
	// one) and gives it back when it has answered, so that no container
	// runs two invocations at once, as in SCF.
	pool := make(chan *handler.Handler, 3*parallel)
	for range cap(pool) {
		pool <- suiteContainer(e)
	}

	var mu sync.Mutex
	outcomes := map[int][]intent.Result{} // every answer per request, in order
	index := map[string]int{}
	for i, id := range ids {
		index[id] = i
	}
	answered := map[int64]bool{}

	// Alarm callbacks hand their restores to the function's own
	// asynchronous invocation: the emulator's SCF Invoke delivers each to
	// a container of the pool, and SCF's retries of a failed one too.
	e.vars["RESTORE_HANDOFF"] = "alarms" // the default: alarm callbacks are handed off, webhook requests wait
	e.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 6})
	e.emu.SetAsyncRetryDelay(taskDuration)
	e.emu.SetFaults("Invoke", cloudemu.Faults{Rate: 0.1, Kinds: []cloudemu.Fault{{Code: "InternalError"}, {Delay: 2 * time.Second}}})
	var handedOff int
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		h := <-pool
		defer func() { pool <- h }()
		var p int
		ans, err := safeInvokeWith(e, h, event, &p)
		rs, _ := decodeAnswer(t, ans)
		if err != nil && p == 0 {
			rs = resultsFromError(t, err)
		}
		mu.Lock()
		defer mu.Unlock()
		handedOff++
		panics += p
		for _, r := range rs {
			if i, ok := index[r.InstanceID]; ok {
				outcomes[i] = append(outcomes[i], r)
			}
			if r.TaskID != 0 {
				answered[r.TaskID] = true
			}
		}
		return err
	})
	var invocations, atOnce, retries, replays, redeliveries int
	deliver := func(ev event, containers int) (retry bool) {
		payload := ev.build()
		var wg sync.WaitGroup
		for range containers {
			h := <-pool
			if randN(4) == 0 {
				h = suiteContainer(e)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { pool <- h }()
				var p int
				ans, err := safeInvokeWith(e, h, payload, &p)
				rs, status := decodeAnswer(t, ans)
				if err != nil && p == 0 {
					rs = resultsFromError(t, err)
				}
				mu.Lock()
				defer mu.Unlock()
				invocations++
				panics += p
				for k, r := range rs {
					if k < len(ev.reqs) {
						outcomes[ev.reqs[k]] = append(outcomes[ev.reqs[k]], r)
					}
					if r.TaskID != 0 {
						answered[r.TaskID] = true
					}
				}
				if err != nil && ev.async || status >= 500 {
					retry = true
				}
			}()
		}
		wg.Wait()
		return retry
	}
	later := func() { time.Sleep(taskDuration + time.Duration(randN(500))*time.Millisecond) }

	sem := make(chan struct{}, parallel)
	var all sync.WaitGroup
	for _, ev := range evs {
		sem <- struct{}{}
		all.Add(1)
		go func() {
			defer all.Done()
			defer func() { <-sem }()
			n := 1 + randN(3)
			mu.Lock()
			if n > 1 {
				atOnce++
			}
			mu.Unlock()
			retry := deliver(ev, n)
			// SCF retries an asynchronous event twice after an error, a
			// minute apart (here: after the task's time); a webhook caller
			// does the same with its Idempotency-Key.
			for try := 0; retry && try < 2; try++ {
				later()
				mu.Lock()
				retries++
				mu.Unlock()
				retry = deliver(ev, 1)
			}
			switch {
			case ev.kind == "webhook-replay":
				later()
				mu.Lock()
				replays++
				mu.Unlock()
				deliver(ev, 1)
			case randN(5) == 0:
				later()
				mu.Lock()
				redeliveries++
				mu.Unlock()
				deliver(ev, 1+randN(2))
			}
		}()
	}
	all.Wait()
	e.emu.WaitInvocations()

	// The figures.
	restoresOf := map[string][]cloudemu.RestoreCall{}
	for _, c := range e.emu.RestoreCalls() {
		restoresOf[c.InstanceID] = append(restoresOf[c.InstanceID], c)
	}
	counts := map[intent.Status]int{}
	reasons := map[string]int{}
	var unknown, unknownResolved int
	finals := make([]intent.Result, requests)
	for i := 0; i < requests; i++ {
		rs := outcomes[i]
		if len(rs) == 0 {
			t.Errorf("request %d has no outcome", i)
			continue
		}
		var final intent.Result
		sawUnknown := false
		for _, r := range rs {
			if r.Status != intent.Queued && (final.Status != intent.Accepted && final.Status != intent.Duplicate) {
				final = r // the last outcome, unless one found the restore
			}
			if r.Status == intent.Unknown {
				sawUnknown = true
			}
			if (r.Status == intent.Accepted || r.Status == intent.Duplicate) && (len(restoresOf[ids[i]]) == 0 || r.TaskID != restoresOf[ids[i]][0].TaskID) {
				t.Errorf("request %d answered %s with task %d, not its instance's restore %+v", i, r.Status, r.TaskID, restoresOf[ids[i]])
			}
		}
		if sawUnknown {
			unknown++
			if final.Status == intent.Accepted || final.Status == intent.Duplicate {
				unknownResolved++
			}
		}
		counts[final.Status]++
		finals[i] = final
		switch final.Status {
		case intent.Accepted, intent.Duplicate, intent.Unknown:
		case intent.Failed:
			if final.Error == nil || errCode(final.Error) == "" || errMessage(final.Error) == "" {
				t.Errorf("request %d failed without a reason: %+v", i, final)
			} else {
				reasons[errCode(final.Error)]++
			}
		default:
			t.Errorf("request %d ended %s", i, final.Status)
		}
	}
	double := 0
	for id, calls := range restoresOf {
		if len(calls) > 1 {
			double++
			// When, and what the function logged of it: a double is a
			// race to explain, not only to count.
			var when []string
			for _, c := range calls {
				when = append(when, fmt.Sprintf("task %d at %s", c.TaskID, c.Time.Format("15:04:05.000")))
			}
			var lines []string
			for _, l := range strings.Split(e.logs.String(), "\n") {
				if strings.Contains(l, id) && (strings.Contains(l, "restore.") || strings.Contains(l, "taskList") || strings.Contains(l, "duplicate")) {
					lines = append(lines, l[:min(len(l), 400)])
				}
			}
			t.Errorf("%s restored %d times (%s); the function's log of it:\n%s", id, len(calls), strings.Join(when, ", "), strings.Join(lines, "\n"))
		}
	}
	// A restore whose every delivery ended unknown (its answer lost, the
	// task list unreadable in the time left, the platform's retries spent)
	// has its TaskId carried by the sweep, which reports the restore's end:
	// the sweep timer fires, as it does every minute, faults and all, once
	// the tasks have ended.
	if unqueued(e, answered) > 0 {
		time.Sleep(taskDuration + time.Second)
		for try := 0; try < 5 && unqueued(e, answered) > 0; try++ {
			_, _ = invokeWith(e, freshHandler(e), timerEvent(t, time.Now().Truncate(time.Second), `{"sweep":true}`))
		}
	}
	lost := lostTaskIDs(t, e, answered)
	if panics != 0 {
		t.Errorf("%d panics escaped", panics)
	}
	if n := e.emu.FaultsInjected(); n < requests/2 {
		t.Errorf("only %d faults injected: the suite did not test much", n)
	}
	if atOnce < requests/4 {
		t.Errorf("only %d events reached several containers at once", atOnce)
	}
	// The floors: what the suite must have exercised besides its zero
	// counts, so that a run where nothing was restored, or nothing went
	// wrong, cannot pass. Requests that met no fault at all, and those
	// whose RestoreInstance calls met none (only reads and the queue
	// failed, which are retried), must nearly all be restored.
	faultsOn := faultFloors(t, e, kinds, ids)
	var clean, cleanRestored, cleanRestore, cleanRestoreRestored, restored int
	var notRestored []string
	for i, r := range finals {
		ok := r.Status == intent.Accepted || r.Status == intent.Duplicate
		if ok {
			restored++
		}
		if faultsOn[ids[i]]["RestoreInstance"] > 0 {
			continue
		}
		cleanRestore++
		if ok {
			cleanRestoreRestored++
		} else {
			notRestored = append(notRestored, fmt.Sprintf("%s %s %s (faults %v)", ids[i], r.Status, errCode(r.Error), faultsOn[ids[i]]))
		}
		if len(faultsOn[ids[i]]) == 0 {
			clean++
			if ok {
				cleanRestored++
			}
		}
	}
	if cleanRestored*10 < clean*8 {
		t.Errorf("floor: %d of %d requests that met no fault were restored, want at least 80%%", cleanRestored, clean)
	}
	if cleanRestore < requests/4 || cleanRestoreRestored*10 < cleanRestore*9 {
		t.Errorf("floor: %d of %d requests whose RestoreInstance met no fault were restored, want at least 90%% of at least %d; not restored: %s",
			cleanRestoreRestored, cleanRestore, requests/4, strings.Join(notRestored, ", "))
	}
	if restored*4 < requests*3 {
		t.Errorf("floor: %d of %d requests were restored, want at least 75%%", restored, requests)
	}
	if handedOff == 0 || retries == 0 || replays == 0 || redeliveries == 0 {
		t.Errorf("floor: handed-off=%d retries=%d replays=%d redeliveries=%d, want each at least 1", handedOff, retries, replays, redeliveries)
	}

	var rs []string
	for code, n := range reasons {
		rs = append(rs, fmt.Sprintf("%s=%d", code, n))
	}
	sort.Strings(rs)
	fmt.Printf("FAULT-SUITE requests=%d events=%d invocations=%d handed-off=%d at-once=%d retries=%d replays=%d redeliveries=%d faults-injected=%d task=%s\n",
		requests, len(evs), invocations, handedOff, atOnce, retries, replays, redeliveries, e.emu.FaultsInjected(), taskDuration)
	fmt.Printf("FAULT-SUITE accepted=%d duplicate=%d failed=%d unknown=%d restores=%d lost=%d double-restores=%d panics=%d\n",
		counts[intent.Accepted], counts[intent.Duplicate], counts[intent.Failed], counts[intent.Unknown], len(restoresOf), lost, double, panics)
	fmt.Printf("FAULT-SUITE unknown outcomes=%d resolved-by-a-later-delivery=%d still-unknown=%d\n", unknown, unknownResolved, unknown-unknownResolved)
	fmt.Printf("FAULT-SUITE floors restored=%d no-fault=%d restored=%d no-restore-fault=%d restored=%d fault-kinds=%d\n",
		restored, clean, cleanRestored, cleanRestore, cleanRestoreRestored, len(kinds))
	fmt.Printf("FAULT-SUITE failure reasons: %s\n", strings.Join(rs, " "))
}

// lostTaskIDs counts, and reports, the restores whose TaskId reached no
// one: neither an accepted message on the queue nor an answer.
func lostTaskIDs(t *testing.T, e *env, answered map[int64]bool) int {
	t.Helper()
	queued := queuedTaskIDs(e)
	lost := 0
	for _, c := range e.emu.RestoreCalls() {
		if !queued[c.TaskID] && !answered[c.TaskID] {
			lost++
			t.Errorf("TaskId %d of %s reached no one", c.TaskID, c.InstanceID)
		}
	}
	return lost
}

// faultSuiteEnv is the setting of the fault suites: the default
// RESTORE_LOCK_RETRY, no RESTORE_PASSWORD, alarms by basic auth, restore
// tasks that run taskDuration, and a seeded random source that goroutines
// may share.
func faultSuiteEnv(t *testing.T, taskDuration time.Duration, seed uint64) (*env, func(n int) int) {
	e := newEnv(t)
	e.timeout = 6 * time.Second
	delete(e.vars, "RESTORE_PASSWORD")
	delete(e.vars, "RESTORE_LOCK_RETRY")
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = alarmBasicAuth
	e.emu.SetTaskDuration(taskDuration)
	rng := rand.New(rand.NewPCG(seed, seed))
	var mu sync.Mutex
	return e, func(n int) int { mu.Lock(); defer mu.Unlock(); return rng.IntN(n) }
}

// injectCloudFaults makes the emulator fail what a real cloud fails: 20%
// of the reads (and of the queue), restoreRate of RestoreInstance calls
// (also after committing, late, without a TaskId, locked, and extra), and
// limits each of those actions to 20 requests a second. It returns the
// kinds of fault it injects into the reads, and into RestoreInstance (the
// reads' and more). Each kind is certain to be injected at least once
// where there are enough restores: the first RestoreInstance calls meet
// every kind in turn, one call in three, before the rate takes over.
func injectCloudFaults(e *env, reads []string, restoreRate float64, extra ...cloudemu.Fault) (readKinds, restoreKinds []cloudemu.Fault) {
	common := []cloudemu.Fault{
		{Code: "RequestLimitExceeded"}, {Code: "InternalError"}, {Code: "FailedOperation.SystemError"},
		{HTTPStatus: 503}, {Reset: true}, {Delay: 2 * time.Millisecond}, {Delay: 300 * time.Millisecond},
	}
	readKinds = append(slices.Clip(common), cloudemu.Fault{Reset: true, AfterCommit: true})
	for _, a := range reads {
		e.emu.SetFaults(a, cloudemu.Faults{Rate: 0.2, Kinds: readKinds})
		e.emu.SetRateLimit(a, 20)
	}
	restoreKinds = append(append(slices.Clip(readKinds),
		cloudemu.Fault{Code: "FailedOperation.Unknown", AfterCommit: true},
		cloudemu.Fault{Body: `{"Response":{"RequestId":"no-task-id"}}`},
		cloudemu.Fault{Late: 5 * time.Second},
		cloudemu.Fault{Code: "ResourceUnavailable.InstanceLockedError"},
	), extra...)
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: eachKindOnce(restoreKinds, 3), Rate: restoreRate, Kinds: restoreKinds})
	e.emu.SetRateLimit("RestoreInstance", 20)
	return readKinds, restoreKinds
}

// eachKindOnce is a fault sequence that injects every kind once, each
// followed by every-1 requests let through.
func eachKindOnce(kinds []cloudemu.Fault, every int) []cloudemu.Fault {
	var seq []cloudemu.Fault
	for _, k := range kinds {
		seq = append(seq, k)
		seq = append(seq, make([]cloudemu.Fault, every-1)...)
	}
	return seq
}

// faultFloors checks that a suite injected every kind of fault it set up,
// and returns, for each instance, how many faults met a call that names it
// (in its parameters, or in a message or hand-off it carries), by action.
func faultFloors(t *testing.T, e *env, kinds []cloudemu.Fault, ids []string) (faultsOn map[string]map[string]int) {
	t.Helper()
	injected := map[cloudemu.Fault]int{}
	faultsOn = map[string]map[string]int{}
	for _, id := range ids {
		faultsOn[id] = map[string]int{}
	}
	for _, f := range e.emu.InjectedFaults() {
		injected[f.Fault]++
		for _, id := range ids {
			if strings.Contains(f.Body, id) {
				faultsOn[id][f.Action]++
			}
		}
	}
	for _, k := range kinds {
		if injected[k] == 0 {
			t.Errorf("floor: fault %q was never injected", k)
		}
	}
	return faultsOn
}

// suiteContainer is a cold container of the fault suites: its own
// clients and backoff, the suite's environment.
func suiteContainer(e *env) *handler.Handler {
	h := handler.New(e.h.Log)
	h.Getenv = e.h.Getenv
	h.MinDelay, h.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	h.Clients = cloud.New(cloud.Options{})
	return h
}

func freshHandler(e *env) *handler.Handler {
	h := handler.New(e.h.Log)
	h.Getenv, h.MinDelay, h.MaxDelay = e.h.Getenv, e.h.MinDelay, e.h.MaxDelay
	h.Clients = cloud.New(cloud.Options{RequestsPerSecond: 1000})
	return h
}

func safeInvokeWith(e *env, h *handler.Handler, payload []byte, panics *int) (ans any, err error) {
	defer func() {
		if p := recover(); p != nil {
			*panics++
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return invokeWith(e, h, payload)
}

// decodeAnswer reads the results of any answer, and API gateway's status.
func decodeAnswer(t testing.TB, ans any) ([]intent.Result, int) {
	if ans == nil {
		return nil, 0
	}
	b, _ := json.Marshal(ans)
	var gw struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if json.Unmarshal(b, &gw) == nil && gw.StatusCode != 0 {
		b = []byte(gw.Body)
	}
	var resp handler.Response
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return resp.Results, gw.StatusCode
}

// resultsFromError reads the results that a failed invocation's error
// carries after its reason.
func resultsFromError(t testing.TB, err error) []intent.Result {
	msg := err.Error()
	i := strings.Index(msg, `{"results":`)
	if i < 0 {
		t.Fatalf("error without results: %v", err)
	}
	var resp handler.Response
	if jerr := json.Unmarshal([]byte(msg[i:]), &resp); jerr != nil {
		t.Fatalf("error results %q: %v", msg[i:], jerr)
	}
	return resp.Results
}

// queuedTaskIDs are the TaskIds some message on the queue carries: its
// acceptance, or the sweep's report of its start or end.
func queuedTaskIDs(e *env) map[int64]bool {
	queued := map[int64]bool{}
	for _, m := range e.emu.Messages(e.demo.Queue) {
		var ev intent.Event
		if json.Unmarshal([]byte(m.Body), &ev) == nil && ev.Data.TaskID != 0 {
			queued[ev.Data.TaskID] = true
		}
	}
	return queued
}

// unqueued counts the restores whose TaskId reached no one yet.
func unqueued(e *env, answered map[int64]bool) int {
	queued, n := queuedTaskIDs(e), 0
	for _, c := range e.emu.RestoreCalls() {
		if !queued[c.TaskID] && !answered[c.TaskID] {
			n++
		}
	}
	return n
}
