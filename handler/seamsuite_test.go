package handler_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// TestSeamsSuite tries the features together, as a hostile user and a
// hostile cloud would, each scenario on its own instances, delivered to
// up to three containers at once while the sweep runs, stops for longer
// than the safety deadline (an outage), and runs again:
//
//   - forged: a hand-off shaped by hand, and a backup whose remark reads
//     like a safety backup's: neither may restore anything;
//   - future: a Cloud Monitor event dated ahead of its arrival, delivered
//     three times at once and once more later;
//   - clone plan / safety plan: held by RESTORE_APPROVAL=webhook, approved
//     with the token from the queue, twice, in two containers;
//   - other region: refused before any call;
//   - timer: safety-backed restores, some taken while ManualBackupInstance's
//     answer is lost; late-timer: the same, their backups ending during
//     the outage.
//
// It counts what must never happen (restores that were never asked for,
// double safety backups, clones or restores, an accepted intent with no
// outcome or two, a TaskId that reached no one) and what it must have
// exercised (an expiry from the outage, a success, an approved clone).
func TestSeamsSuite(t *testing.T) {
	const instances = 24
	e := newEnv(t)
	e.timeout = 8 * time.Second
	e.vars["RESTORE_SAFETY_BACKUP"] = "" // the default: on for alarms and timers
	e.vars["RESTORE_SWEEP_EVERY"] = "1s"
	e.vars["RESTORE_SAFETY_DEADLINE"] = "4s"
	e.vars["RESTORE_CLONE"] = "true"
	e.vars["RESTORE_MAX_CLONES"] = "10"
	e.vars["RESTORE_APPROVAL"] = "webhook"
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
	e.h.MinDelay, e.h.MaxDelay = 50*time.Millisecond, 300*time.Millisecond
	e.emu.SetTaskDuration(1500 * time.Millisecond)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Prepare: 200 * time.Millisecond, Clone: 1500 * time.Millisecond})
	// Two safety backups whose answers are lost after they were taken.
	e.emu.SetFaults("ManualBackupInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Reset: true, AfterCommit: true}, {}, {Reset: true, AfterCommit: true}}})

	scenario := func(i int) string {
		return []string{"forged-handoff", "forged-remark", "future", "clone-plan", "safety-plan", "other-region", "timer", "late-timer"}[i%8]
	}
	ids := make([]string, instances)
	backups := make([]string, instances)
	base := time.Now().Add(-2 * time.Hour)
	for i := range ids {
		ids[i] = fmt.Sprintf("crs-seam%04d", i)
		typ := 2
		if scenario(i) == "clone-plan" {
			typ = 6
			e.emu.SetSecurityGroups(ids[i], "sg-seam0001")
		}
		e.emu.AddInstance(cloudemu.Instance{ID: ids[i], Region: "ap-guangzhou", Status: 2, Type: typ})
		backups[i] = fmt.Sprintf("8%05d00000000000000001", i)
		e.emu.AddBackup(ids[i], cloudemu.Backup{ID: backups[i], StartTime: base, Status: 2})
	}

	var mu sync.Mutex
	accepted := map[string]bool{} // instance → an intent of it was accepted
	var panics atomic.Int64
	note := func(id string, rs []intent.Result) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rs {
			if r.Status == intent.Accepted || r.Status == intent.Duplicate {
				accepted[id] = true
			}
		}
	}
	// deliver sends one event to n containers at once and notes what they
	// answered; an invocation that fails is retried once, as SCF does.
	deliver := func(id string, ev []byte, n int) {
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for try := 0; try < 2; try++ {
					var p int
					ans, err := safeInvokeWith(e, freshHandler(e), ev, &p)
					panics.Add(int64(p))
					if err == nil {
						rs, _ := decodeAnswer(t, ans)
						note(id, rs)
						return
					}
					if strings.Contains(err.Error(), `{"results":`) {
						note(id, resultsFromError(t, err))
					}
					time.Sleep(300 * time.Millisecond)
				}
			}()
		}
		wg.Wait()
	}
	request := func(i int) string {
		return fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, ids[i], backups[i])
	}

	sweeping := atomic.Bool{}
	sweeping.Store(true)
	stop := make(chan struct{})
	var sweeper sync.WaitGroup
	sweeps := atomic.Int64{}
	sweeper.Add(1)
	go func() {
		defer sweeper.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				if !sweeping.Load() {
					continue
				}
				var p int
				_, _ = safeInvokeWith(e, freshHandler(e), timerEvent(t, now.Truncate(time.Second), `{"sweep":true}`), &p)
				panics.Add(int64(p))
				sweeps.Add(1)
			}
		}
	}()

	var all sync.WaitGroup
	for i := range ids {
		all.Add(1)
		go func() {
			defer all.Done()
			id := ids[i]
			switch scenario(i) {
			case "forged-handoff":
				deliver(id, mustJSON(t, map[string]any{"redisRestoreHandoff": map[string]any{
					"trigger": "functionurl", "channel": "signed", "since": time.Now().Add(24 * time.Hour), "body": request(i)}}), 2)
			case "forged-remark":
				e.emu.AddBackup(id, cloudemu.Backup{ID: fmt.Sprintf("1657%05d-5832225-1", i), StartTime: time.Now().Add(-time.Second), Status: 2,
					Remark: "redis-restore undo point; restores " + backups[i] + "; console"})
			case "future":
				ev := eventBridgeAlarm(t, id, time.Now().Add(10*time.Minute))
				deliver(id, ev, 3)
				time.Sleep(700 * time.Millisecond)
				deliver(id, ev, 1)
			case "clone-plan", "safety-plan":
				body := request(i)
				if scenario(i) == "clone-plan" {
					body = strings.TrimSuffix(body, "}") + `,"mode":"clone"}`
				} else {
					body = strings.TrimSuffix(body, "}") + `,"safetyBackup":true}`
				}
				_, rs := e.gateway(gatewayEvent(t, body, signed(body)))
				if len(rs) != 1 || rs[0].Status != intent.Planned || rs[0].Plan == nil {
					t.Errorf("%s: %+v", id, rs)
					return
				}
				p := withQueuedToken(t, e, rs[0].Plan)
				approval := approvalBody(p.Token)
				deliver(id, gatewayEvent(t, approval, signedByApprover(approval)), 2)
			case "other-region":
				deliver(id, timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","region":"ap-shanghai"}`, id)), 1)
			case "timer":
				deliver(id, timerEvent(t, time.Now().Truncate(time.Second), request(i)), 1+i%3)
			}
		}()
	}
	all.Wait()
	time.Sleep(4 * time.Second) // the sweep continues the safety backups taken so far
	// Then timers whose safety backups end during an outage: no sweep for
	// longer than the safety deadline; then the sweep is back.
	for i, id := range ids {
		if scenario(i) == "late-timer" {
			all.Add(1)
			go func() {
				defer all.Done()
				deliver(id, timerEvent(t, time.Now().Truncate(time.Second), request(i)), 1+i%3)
			}()
		}
	}
	sweeping.Store(false)
	all.Wait()
	time.Sleep(6 * time.Second)
	sweeping.Store(true)

	// Wait for every accepted intent's one terminal outcome (or 30 s).
	terminal := func() map[string]map[string]bool { // instance → outcome ids
		out := map[string]map[string]bool{}
		for _, m := range e.messages() {
			typ := strings.TrimPrefix(m.Type, intent.EventTypePrefix)
			if typ != "succeeded" && typ != "failed" && typ != "expired" || m.Data.Life == nil || m.Data.Phase == "" {
				continue
			}
			if out[m.Data.InstanceID] == nil {
				out[m.Data.InstanceID] = map[string]bool{}
			}
			out[m.Data.InstanceID][m.ID] = true
		}
		return out
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		got, missing := terminal(), 0
		mu.Lock()
		for id := range accepted {
			if len(got[id]) == 0 {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // more sweeps: repeats must keep their ids
	close(stop)
	sweeper.Wait()

	got := terminal()
	perInstance := func(calls []string) map[string]int {
		n := map[string]int{}
		for _, id := range calls {
			n[id]++
		}
		return n
	}
	var restoredIDs, backupIDs, cloneIDs []string
	for _, r := range e.emu.RestoreCalls() {
		restoredIDs = append(restoredIDs, r.InstanceID)
	}
	for _, b := range e.emu.ManualBackups() {
		backupIDs = append(backupIDs, b.InstanceID)
	}
	for _, c := range e.emu.Clones() {
		cloneIDs = append(cloneIDs, c.InstanceID)
	}
	restores, safety, clones := perInstance(restoredIDs), perInstance(backupIDs), perInstance(cloneIDs)
	queued := map[int64]bool{}
	for _, m := range e.messages() {
		queued[m.Data.TaskID] = true
	}
	var forged, otherRegion, doubleRestores, doubleBackups, doubleClones, dropped, twoOutcomes, lost, expired, succeeded int
	for i, id := range ids {
		switch scenario(i) {
		case "forged-handoff", "forged-remark":
			forged += restores[id] + safety[id]
		case "other-region":
			otherRegion += restores[id] + safety[id]
		}
		if restores[id] > 1 {
			doubleRestores++
		}
		if safety[id] > 1 {
			doubleBackups++
		}
		if clones[id] > 1 {
			doubleClones++
		}
		if accepted[id] {
			switch n := len(got[id]); {
			case n == 0:
				dropped++
				t.Errorf("%s (%s) was accepted and never reached an outcome", id, scenario(i))
			case n > 1:
				twoOutcomes++
				t.Errorf("%s (%s) has %d outcomes", id, scenario(i), n)
			}
		}
	}
	for _, r := range e.emu.RestoreCalls() {
		if !queued[r.TaskID] {
			lost++
			t.Errorf("TaskId %d of %s reached no one", r.TaskID, r.InstanceID)
		}
	}
	for _, m := range e.messages() {
		switch strings.TrimPrefix(m.Type, intent.EventTypePrefix) {
		case "expired":
			expired++
		case "succeeded":
			succeeded++
		}
	}
	fmt.Printf("SEAMS-SUITE instances=%d sweeps=%d accepted=%d restores=%d safety-backups=%d clones=%d expired-messages=%d succeeded-messages=%d faults-injected=%d\n",
		instances, sweeps.Load(), len(accepted), len(restoredIDs), len(backupIDs), len(cloneIDs), expired, succeeded, e.emu.FaultsInjected())
	fmt.Printf("SEAMS-SUITE forged-restored=%d other-region-calls=%d double-restores=%d double-safety-backups=%d double-clones=%d two-outcomes=%d silently-dropped=%d lost=%d panics=%d\n",
		forged, otherRegion, doubleRestores, doubleBackups, doubleClones, twoOutcomes, dropped, lost, panics.Load())
	if forged+otherRegion+doubleRestores+doubleBackups+doubleClones+twoOutcomes+dropped+lost > 0 || panics.Load() > 0 {
		t.Fatal("a seam broke a promise (above)")
	}
	// Floors: what the suite must have exercised to prove anything.
	if expired == 0 || succeeded == 0 || len(cloneIDs) == 0 || len(accepted) < instances/2 {
		t.Fatalf("exercised too little: expired=%d succeeded=%d clones=%d accepted=%d of %d", expired, succeeded, len(cloneIDs), len(accepted), instances)
	}
	if code, _ := e.statusGet(map[string]string{"instanceId": ids[5]}); code != http.StatusNotFound {
		t.Errorf("status of the other-region instance: %d", code)
	}
}
