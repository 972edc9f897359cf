package handler_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// TestLifeSuite is the fault suite of the restore's whole life: restores
// with safety backups (timers, signed webhooks), without (direct
// invocations, CMQ), and clones, each delivered to one to three containers
// at once, against an emulator whose tasks prepare and run for seconds,
// some of which fail, and which fails a share of every call (the new
// actions included, also after committing). The sweep timer fires every
// two seconds (its production minute), sometimes in two containers at once,
// and is retried when it fails. It proves that every accepted restore ends
// in exactly one outcome (succeeded or failed, each sent under one id),
// that no safety backup, clone or restore is made twice for one request,
// and that no secret reaches a message or a log.
func TestLifeSuite(t *testing.T) {
	t.Parallel()
	const (
		requests = 32
		every    = 2 * time.Second // the sweep's period: its production minute
		parallel = 8
	)
	e := newEnv(t)
	e.timeout = 8 * time.Second
	e.vars["RESTORE_SAFETY_BACKUP"] = "" // the default: on for timers and alarms
	e.vars["RESTORE_SWEEP_EVERY"] = every.String()
	e.vars["RESTORE_CLONE"] = "true"
	delete(e.vars, "RESTORE_LOCK_RETRY")
	e.h.MinDelay, e.h.MaxDelay = 50*time.Millisecond, 400*time.Millisecond
	e.emu.SetTaskDuration(2 * time.Second)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Prepare: 300 * time.Millisecond, Backup: 1500 * time.Millisecond, Clone: 2 * time.Second, Settle: 500 * time.Millisecond})
	for i := 0; i < 3; i++ {
		e.emu.FailNextTask("restore", fmt.Sprintf("restore failed: injected %d", i))
	}
	e.emu.FailNextTask("backup", "backup failed: injected")
	e.emu.FailNextTask("clone", "clone failed: injected")

	rng := rand.New(rand.NewPCG(12, 12))
	var rngMu sync.Mutex
	randN := func(n int) int { rngMu.Lock(); defer rngMu.Unlock(); return rng.IntN(n) }

	base := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	ids := make([]string, requests)
	kinds := make([]string, requests)
	for i := range ids {
		ids[i] = fmt.Sprintf("crs-life%04d", i)
		// Redis 2.8 restores in place; the clones (every eighth, from 3)
		// are of Redis 4.0, which restores by cloning.
		typ := 2
		if i%8 == 3 {
			typ = 6
		}
		e.emu.AddInstance(cloudemu.Instance{ID: ids[i], Region: "ap-guangzhou", Status: 2, Type: typ})
		e.emu.AddBackup(ids[i], cloudemu.Backup{ID: fmt.Sprintf("7%05d00000000000000001", i), StartTime: base, Status: 2})
	}
	common := []cloudemu.Fault{
		{Code: "RequestLimitExceeded"}, {Code: "InternalError"}, {HTTPStatus: 503}, {Reset: true}, {Delay: 200 * time.Millisecond},
	}
	for _, a := range []string{"DescribeTaskList", "DescribeInstanceBackups", "DescribeInstances", "DescribeTaskInfo", "DescribeInstanceSecurityGroup", "SendCmqMsg"} {
		e.emu.SetFaults(a, cloudemu.Faults{Rate: 0.2, Kinds: append(common, cloudemu.Fault{Reset: true, AfterCommit: true})})
		e.emu.SetRateLimit(a, 20)
	}
	faultKinds := append(slices.Clip(common),
		cloudemu.Fault{Reset: true, AfterCommit: true}, cloudemu.Fault{Code: "InternalError", AfterCommit: true},
		cloudemu.Fault{Code: "ResourceUnavailable.InstanceLockedError"})
	for _, a := range []string{"RestoreInstance", "ManualBackupInstance", "CloneInstances"} {
		f := cloudemu.Faults{Rate: 0.25, Kinds: faultKinds}
		if a == "RestoreInstance" { // every kind at least once: see the floors
			f.Sequence = eachKindOnce(faultKinds, 2)
		}
		e.emu.SetFaults(a, f)
		e.emu.SetRateLimit(a, 20)
	}

	type event struct {
		build func() []byte
		async bool
	}
	evs := make([]event, requests)
	for i := range evs {
		backup := fmt.Sprintf("7%05d00000000000000001", i)
		switch i % 4 {
		case 0:
			kinds[i] = "timer+safety"
			ev := timerEvent(t, time.Now().Add(-time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, ids[i]))
			evs[i] = event{func() []byte { return ev }, true}
		case 1:
			kinds[i] = "direct"
			ev := []byte(fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, ids[i], backup))
			evs[i] = event{func() []byte { return ev }, true}
		case 2:
			kinds[i] = "webhook+safety"
			body, key := fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"safetyBackup":true}`, ids[i], backup), fmt.Sprintf("life-%d", i)
			evs[i] = event{func() []byte {
				h := signed(body)
				h["idempotency-key"] = key
				return gatewayEvent(t, body, h)
			}, false}
		default:
			mode := ""
			kinds[i] = "cmq"
			if i%8 == 3 {
				mode, kinds[i] = `,"mode":"clone"`, "cmq+clone"
			}
			ev := cmqEvent(t, fmt.Sprintf(`{"instanceId":%q,"backupId":%q%s}`, ids[i], backup, mode))
			evs[i] = event{func() []byte { return ev }, true}
		}
	}

	var invocations, sweeps, sweepRetries, panics atomic.Int64
	var mu sync.Mutex
	answers := map[int][]intent.Result{}
	deliver := func(i int, containers int) (retry bool) {
		payload := evs[i].build()
		var wg sync.WaitGroup
		for range containers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var p int
				ans, err := safeInvokeWith(e, freshHandler(e), payload, &p)
				invocations.Add(1)
				panics.Add(int64(p))
				rs, status := decodeAnswer(t, ans)
				if err != nil && p == 0 {
					rs = resultsFromError(t, err)
				}
				mu.Lock()
				defer mu.Unlock()
				answers[i] = append(answers[i], rs...)
				for _, r := range rs {
					if r.Status == intent.Unknown || r.Status == intent.Failed && r.Kind != 0 && status >= 500 {
						retry = true
					}
				}
				if err != nil && evs[i].async || status >= 500 {
					retry = true
				}
			}()
		}
		wg.Wait()
		return retry
	}

	// The sweep timer: every second, sometimes in two containers at once;
	// a failed sweep is retried with the same Time, as SCF does.
	stop := make(chan struct{})
	var sweepers sync.WaitGroup
	sweepers.Add(1)
	go func() {
		defer sweepers.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				ev := timerEvent(t, now.Truncate(time.Second), `{"sweep":true}`)
				n := 1 + randN(2)
				for range n {
					sweepers.Add(1)
					go func() {
						defer sweepers.Done()
						for try := 0; try < 3; try++ {
							var p int
							_, err := safeInvokeWith(e, freshHandler(e), ev, &p)
							sweeps.Add(1)
							panics.Add(int64(p))
							if err == nil {
								return
							}
							sweepRetries.Add(1)
							time.Sleep(every) // SCF retries a failed timer event a period later
						}
					}()
				}
			}
		}
	}()

	sem := make(chan struct{}, parallel)
	var all sync.WaitGroup
	for i := range evs {
		sem <- struct{}{}
		all.Add(1)
		go func() {
			defer all.Done()
			defer func() { <-sem }()
			retry := deliver(i, 1+randN(3))
			for try := 0; retry && try < 3; try++ {
				time.Sleep(time.Second)
				retry = deliver(i, 1)
			}
			if randN(4) == 0 { // comes again later anyway
				time.Sleep(time.Duration(500+randN(1500)) * time.Millisecond)
				deliver(i, 1)
			}
		}()
	}
	all.Wait()

	// Wait for every accepted request's outcome (or give up after 40 s).
	accepted := func(i int) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range answers[i] {
			if r.Status == intent.Accepted || r.Status == intent.Duplicate {
				return true
			}
		}
		return false
	}
	outcomes := func() map[string]map[string]string { // instance → outcome type → id
		out := map[string]map[string]string{}
		for _, ev := range e.messages() {
			typ := strings.TrimPrefix(ev.Type, intent.EventTypePrefix)
			if typ != "succeeded" && typ != "failed" || ev.Data.Life == nil || ev.Data.Phase == "" {
				continue // a request's own refusal is no completion
			}
			if out[ev.Data.InstanceID] == nil {
				out[ev.Data.InstanceID] = map[string]string{}
			}
			if prev, ok := out[ev.Data.InstanceID][typ+"#"+ev.ID]; !ok || prev == "" {
				out[ev.Data.InstanceID][typ+"#"+ev.ID] = ev.ID
			}
		}
		return out
	}
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		got, missing := outcomes(), 0
		for i, id := range ids {
			if accepted(i) && len(got[id]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a few more sweeps: repeats must keep their ids
	close(stop)
	sweepers.Wait()

	got := outcomes()
	sent := 0
	for _, ev := range e.messages() {
		if t := strings.TrimPrefix(ev.Type, intent.EventTypePrefix); (t == "succeeded" || t == "failed") && ev.Data.Life != nil && ev.Data.Phase != "" {
			sent++
		}
	}
	var acceptedN, succeeded, failed, lost, twoOutcomes, doubleBackups, doubleClones, doubleRestores int
	var reasons []string
	backupsOf, clonesOf, restoresOf := map[string]int{}, map[string]int{}, map[string]int{}
	for _, b := range e.emu.ManualBackups() {
		backupsOf[b.InstanceID]++
	}
	for _, c := range e.emu.Clones() {
		clonesOf[c.InstanceID]++
	}
	for _, r := range e.emu.RestoreCalls() {
		restoresOf[r.InstanceID]++
	}
	for i, id := range ids {
		if backupsOf[id] > 1 {
			doubleBackups++
		}
		if clonesOf[id] > 1 {
			doubleClones++
		}
		if restoresOf[id] > 1 {
			doubleRestores++
		}
		if !accepted(i) {
			mu.Lock()
			last := answers[i][len(answers[i])-1]
			mu.Unlock()
			if last.Error != nil {
				reasons = append(reasons, fmt.Sprintf("%s %s: %s", id, kinds[i], errCode(last.Error)))
			}
			continue
		}
		acceptedN++
		switch o := got[id]; {
		case len(o) == 0:
			lost++
			t.Errorf("%s (%s) was accepted and no completion reached the queue", id, kinds[i])
		case len(o) > 1:
			twoOutcomes++
			t.Errorf("%s (%s) has %d outcomes: %v", id, kinds[i], len(o), o)
		default:
			for k := range o {
				if strings.HasPrefix(k, "succeeded#") {
					succeeded++
				} else {
					failed++
				}
			}
		}
	}
	sort.Strings(reasons)
	t.Logf("LIFE-SUITE requests=%d invocations=%d sweeps=%d sweep-retries=%d faults-injected=%d task=2s backup=1.5s clone=2s",
		requests, invocations.Load(), sweeps.Load(), sweepRetries.Load(), e.emu.FaultsInjected())
	t.Logf("LIFE-SUITE accepted=%d succeeded=%d failed=%d completion-messages=%d (repeats carry the same id) safety-backups=%d clones=%d restores=%d",
		acceptedN, succeeded, failed, sent, len(e.emu.ManualBackups()), len(e.emu.Clones()), len(e.emu.RestoreCalls()))
	fmt.Printf("LIFE-SUITE completions lost: %d\n", lost)
	fmt.Printf("LIFE-SUITE two-outcomes=%d double-safety-backups=%d double-clones=%d double-restores=%d panics=%d\n",
		twoOutcomes, doubleBackups, doubleClones, doubleRestores, panics.Load())
	fmt.Printf("LIFE-SUITE not accepted: %s\n", strings.Join(reasons, "; "))
	if lost+twoOutcomes+doubleBackups+doubleClones+doubleRestores > 0 || panics.Load() > 0 {
		t.Fatal("the life cycle broke a promise (above)")
	}
	if acceptedN < requests*3/4 {
		t.Fatalf("only %d of %d requests were accepted: the faults are too many to prove anything", acceptedN, requests)
	}
	if succeeded == 0 || failed == 0 {
		t.Fatalf("succeeded=%d failed=%d: both outcomes should occur (failures are injected)", succeeded, failed)
	}
	// The floors: what the suite must have exercised. A safety backup for
	// every accepted request that asked for one (timers by default, the
	// webhook by its field), none for the others; a clone for every
	// accepted clone request; each injected task failure reported with
	// its own code; every kind of fault injected.
	var safetyWanted, safetyTaken, clonesWanted, clonesMade int
	for i, id := range ids {
		if !accepted(i) {
			continue
		}
		safety, clone := strings.HasSuffix(kinds[i], "+safety"), kinds[i] == "cmq+clone"
		switch {
		case safety:
			safetyWanted++
			if backupsOf[id] == 1 {
				safetyTaken++
			}
		case backupsOf[id] != 0:
			t.Errorf("floor: %s (%s) took %d safety backups, want none", id, kinds[i], backupsOf[id])
		}
		switch {
		case clone:
			clonesWanted++
			if clonesOf[id] == 1 {
				clonesMade++
			}
		case clonesOf[id] != 0:
			t.Errorf("floor: %s (%s) made %d clones, want none", id, kinds[i], clonesOf[id])
		}
	}
	if safetyWanted < requests/4 || safetyTaken != safetyWanted {
		t.Errorf("floor: %d safety backups for %d accepted requests that want one (at least %d)", safetyTaken, safetyWanted, requests/4)
	}
	if clonesWanted == 0 || clonesMade != clonesWanted {
		t.Errorf("floor: %d clones for %d accepted clone requests", clonesMade, clonesWanted)
	}
	failedCodes := map[string]int{}
	for _, ev := range e.messages() {
		if ev.Type == intent.EventTypePrefix+"failed" && ev.Data.Life != nil && ev.Data.Phase != "" {
			failedCodes[errCode(ev.Data.Error)]++
		}
	}
	for _, code := range []string{"RestoreTaskFailed", "SafetyBackupFailed", "CloneFailed"} {
		if failedCodes[code] == 0 {
			t.Errorf("floor: no failed outcome %s, though such a task failure was injected (failed outcomes: %v)", code, failedCodes)
		}
	}
	faultFloors(t, e, faultKinds, ids)
	fmt.Printf("LIFE-SUITE floors safety-backups=%d/%d clones=%d/%d failed-outcomes=%v fault-kinds=%d\n",
		safetyTaken, safetyWanted, clonesMade, clonesWanted, failedCodes, len(faultKinds))
	msgs, _ := json.Marshal(e.messages())
	assertNoSecret(t, "messages", string(msgs), e.demo.Password, webhookSecret)
	assertNoSecret(t, "logs", e.logs.String(), e.demo.Password, webhookSecret)
}
