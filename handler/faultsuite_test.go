package handler_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/restore"
)

// TestFaultSuite sends 200 restore requests through timer, API gateway and
// CMQ events (with SCF's retries and CMQ's redeliveries, some to a fresh
// container) against an emulator that fails 30% of every API call, and
// proves the promises: every request ends accepted, duplicate or failed
// with a reason; no instance is restored twice; every accepted TaskId is on
// the queue or in an answer; nothing panics.
func TestFaultSuite(t *testing.T) {
	const requests = 200
	e := newEnv(t)
	// A short timeout, so that slow answers push some invocations past it
	// and SCF's retries (and webhook callers' retries) come into play.
	e.timeout = 600 * time.Millisecond
	delete(e.vars, "RESTORE_PASSWORD")
	rng := rand.New(rand.NewPCG(42, 42))

	// One password-free instance per request, each with two backups.
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	ids := make([]string, requests)
	for i := range ids {
		ids[i] = fmt.Sprintf("crs-fault%03d", i)
		e.emu.AddInstance(cloudemu.Instance{ID: ids[i], Region: "ap-guangzhou", Status: 2})
		e.emu.AddBackup(ids[i], cloudemu.Backup{ID: fmt.Sprintf("5%05d00000000000000001", i), StartTime: base, Status: 2})
		e.emu.AddBackup(ids[i], cloudemu.Backup{ID: fmt.Sprintf("5%05d00000000000000002", i), StartTime: base.Add(time.Hour), Status: 4})
	}
	faults := cloudemu.Faults{Rate: 0.3, Kinds: []cloudemu.Fault{
		{Code: "RequestLimitExceeded"}, {Code: "InternalError"}, {Code: "FailedOperation.SystemError"},
		{HTTPStatus: 503}, {Reset: true}, {Reset: true, AfterCommit: true}, {Code: "InternalError", AfterCommit: true},
		{Code: "ResourceUnavailable.InstanceLockedError"}, {Delay: 2 * time.Millisecond}, {Delay: 500 * time.Millisecond},
	}}
	for _, a := range []string{"RestoreInstance", "DescribeTaskList", "DescribeInstanceBackups", "SendCmqMsg"} {
		e.emu.SetFaults(a, faults)
	}

	// Build the events: a third each of timer, API gateway, CMQ (in
	// batches of four); half the requests ask for "latest".
	type event struct {
		kind    string
		payload []byte
		reqs    []int
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
		switch i % 3 {
		case 0:
			evs = append(evs, event{"timer", timerEvent(t, time.Now().Add(-time.Second), reqBody(i)), []int{i}})
			i++
		case 1:
			body := reqBody(i)
			h := signed(body)
			h["idempotency-key"] = fmt.Sprintf("key-%d", i)
			evs = append(evs, event{"apigw", gatewayEvent(t, body, h), []int{i}})
			i++
		default:
			var bodies []string
			var reqs []int
			for j := 0; j < 4 && i < requests; j++ {
				bodies = append(bodies, reqBody(i))
				reqs = append(reqs, i)
				i++
			}
			evs = append(evs, event{"cmq", cmqEvent(t, bodies...), reqs})
		}
	}

	// Two containers; a retry goes to either.
	containers := []*handler.Handler{e.h, freshHandler(e)}
	final := map[int]restore.Result{}
	answered := map[int64]bool{}
	var invocations, retries, redeliveries, panics int
	deliver := func(ev event) bool {
		h := containers[rng.IntN(len(containers))]
		e.h = h
		invocations++
		ans, err := safeInvoke(e, ev.payload, &panics)
		rs, status := decodeAnswer(t, ans)
		if err != nil {
			// The platform's retry: the answer was an error, its results
			// are in the error text.
			rs = resultsFromError(t, err)
		}
		for k, r := range rs {
			if k < len(ev.reqs) {
				final[ev.reqs[k]] = r
			}
			if r.TaskID != 0 {
				answered[r.TaskID] = true
			}
		}
		// API gateway is not retried by the platform: a careful caller
		// sends the same request (same Idempotency-Key) again after a 5xx.
		return err == nil && status < 500
	}
	for _, ev := range evs {
		ok := deliver(ev)
		// SCF retries an asynchronous trigger twice after an error; the
		// webhook caller does the same.
		for try := 0; !ok && try < 2; try++ {
			retries++
			ok = deliver(ev)
		}
		// At-least-once delivery: a fifth of the events come again anyway.
		if rng.IntN(5) == 0 {
			redeliveries++
			deliver(ev)
		}
	}

	// The figures.
	counts := map[restore.Status]int{}
	reasons := map[string]int{}
	for i := 0; i < requests; i++ {
		r, ok := final[i]
		if !ok {
			t.Errorf("request %d has no outcome", i)
			continue
		}
		counts[r.Status]++
		switch r.Status {
		case restore.Accepted, restore.Duplicate:
		case restore.Failed:
			if r.Error == nil || r.Error.Code == "" || r.Error.Message == "" {
				t.Errorf("request %d failed without a reason: %+v", i, r)
			} else {
				reasons[r.Error.Code]++
			}
		default:
			t.Errorf("request %d ended %s", i, r.Status)
		}
	}
	perInstance := map[string]int{}
	for _, c := range e.emu.RestoreCalls() {
		perInstance[c.InstanceID]++
	}
	double := 0
	for id, n := range perInstance {
		if n > 1 {
			double++
			t.Errorf("%s restored %d times", id, n)
		}
	}
	queued := map[int64]bool{}
	for _, m := range e.emu.Messages(e.demo.Queue) {
		var ev restore.Event
		if json.Unmarshal([]byte(m.Body), &ev) == nil && ev.Data.TaskID != 0 {
			queued[ev.Data.TaskID] = true
		}
	}
	lost := 0
	for _, c := range e.emu.RestoreCalls() {
		if !queued[c.TaskID] && !answered[c.TaskID] {
			lost++
			t.Errorf("TaskId %d of %s reached no one", c.TaskID, c.InstanceID)
		}
	}
	succeeded := counts[restore.Accepted] + counts[restore.Duplicate]
	restored := len(perInstance)
	if restored < succeeded {
		t.Errorf("%d requests ended accepted or duplicate, but only %d instances were restored", succeeded, restored)
	}
	if panics != 0 {
		t.Errorf("%d panics escaped", panics)
	}
	if n := e.emu.FaultsInjected(); n < requests/2 {
		t.Errorf("only %d faults injected: the suite did not test much", n)
	}

	var rs []string
	for code, n := range reasons {
		rs = append(rs, fmt.Sprintf("%s=%d", code, n))
	}
	sort.Strings(rs)
	fmt.Printf("FAULT-SUITE requests=%d events=%d invocations=%d retries=%d redeliveries=%d faults-injected=%d\n",
		requests, len(evs), invocations, retries, redeliveries, e.emu.FaultsInjected())
	fmt.Printf("FAULT-SUITE accepted=%d duplicate=%d failed=%d restores=%d lost=%d double-restores=%d panics=%d\n",
		counts[restore.Accepted], counts[restore.Duplicate], counts[restore.Failed], restored, lost, double, panics)
	fmt.Printf("FAULT-SUITE failure reasons: %s\n", strings.Join(rs, " "))
}

func freshHandler(e *env) *handler.Handler {
	h := handler.New(e.h.Log)
	h.Getenv, h.MinDelay, h.MaxDelay = e.h.Getenv, e.h.MinDelay, e.h.MaxDelay
	h.Clients = cloud.New(cloud.Options{RequestsPerSecond: 1000})
	return h
}

func safeInvoke(e *env, payload []byte, panics *int) (ans any, err error) {
	defer func() {
		if p := recover(); p != nil {
			*panics++
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return e.invoke(payload)
}

// decodeAnswer reads the results of any answer, and API gateway's status.
func decodeAnswer(t testing.TB, ans any) ([]restore.Result, int) {
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
func resultsFromError(t testing.TB, err error) []restore.Result {
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
