// Package fleet runs a region-wide incident against the emulator: one
// Cloud Monitor alarm per instance, delivered to many containers of the
// built function at once (scfdriver processes, as SCF runs them), all
// signing with one execution role against an account that enforces the
// documented API limits (cloudemu's LimitAccount). It tells what happened
// to each instance and what the fleet cost in API calls: `make bench`'s
// fleet section and the small fleet of `make test` (e2e_fleet_test.go).
package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"redis-restore/internal/chinatime"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/scfdriver"
)

// Options of a run. Binary, Instances and Containers are required.
type Options struct {
	Binary     string // the built function (make build)
	Instances  int    // one alarm each
	Containers int    // function processes at once: the reserved concurrency
	// Timeout is each invocation's, the function's timeout (serverless.yml:
	// 60 s).
	Timeout time.Duration
	// Attempts bounds the deliveries of one alarm: an invocation that
	// fails is delivered again at once, as SCF retries an asynchronous
	// one (after a minute there; at once here, which is the harder case).
	Attempts int
	// QueueAPI is RESTORE_QUEUE_API: how the outcome messages are sent,
	// through the data flow (config.QueueAPIDataflow, as docs/fleet.md
	// says to for a fleet) or the cloud API; "": the function's default.
	QueueAPI string
	// Env is added to the function's environment, e.g. RESTORE_CONCURRENCY
	// to a wrong value to see what that costs.
	Env map[string]string
	// Log, if set, is told of progress.
	Log func(format string, args ...any)
	// Safety, if set, runs the alarms with safety backups on (the alarms'
	// default) and the sweep timer firing into the same pool; nil: off.
	Safety *Safety
}

// Safety is a run with safety backups on: each alarm takes a safety
// backup (ManualBackupInstance) and the sweep, fired by its timer every
// SweepEvery, starts the restore once the backup is done
// (internal/follow/sweep.go).
type Safety struct {
	// Backup is how long the emulator's ManualBackupInstance task runs
	// (cloudemu Lifecycle.Backup).
	Backup time.Duration
	// SweepEvery is RESTORE_SWEEP_EVERY and the timer's period.
	SweepEvery time.Duration
	// Wait bounds the run after the last alarm was answered: the sweeps
	// stop then even if restores are missing (counted lost). Default 5
	// minutes (RESTORE_SAFETY_DEADLINE's default).
	Wait time.Duration
}

// SafetyResult is what the sweeps of a Safety run did.
type SafetyResult struct {
	Backup, SweepEvery time.Duration
	ManualBackups      int           // safety backups the emulator started
	Sweeps             int           // sweep invocations answered
	SweepsFailed       int           // of which failed (SCF would retry; here the next period's sweep does)
	SweepsFired        int           // timer events fired, answered or not
	SweepQueued        time.Duration // the longest a timer event waited for a free process
	Alarms             time.Duration // from the first delivery to the last alarm answered
	FirstStarted       time.Duration // from the first delivery to the first restore the emulator accepted
	HandOffs           int           // the function's own asynchronous invocations run (hand-offs: none while the sweep hands nothing out), tries again included
	HandOffsFailed     int           // of which failed (the emulator tries again, as SCF does)
}

// StartedPerSecond is the pace of the restores the sweeps started, from
// the first to the last.
func (r Result) StartedPerSecond() float64 {
	if r.Safety == nil || r.RestoredOnce+r.Double < 2 || r.LastAccepted <= r.Safety.FirstStarted {
		return 0
	}
	return float64(r.RestoredOnce+r.Double-1) / (r.LastAccepted - r.Safety.FirstStarted).Seconds()
}

// Result is what a run measured.
type Result struct {
	Instances, Containers int
	Invocations           int            // deliveries, redeliveries included
	Redelivered           int            // invocations that failed and were delivered again
	Statuses              map[string]int // each alarm's last result, by status
	RestoredOnce          int            // instances restored exactly once
	Double                int            // instances restored more than once
	Lost                  int            // instances never restored
	FailedOrUnknown       int            // alarms whose last result is failed or unknown
	Undelivered           int            // restores whose TaskId never reached the queue
	// LastAccepted is the time from the first delivery to the last
	// RestoreInstance the emulator accepted; Wall to the last answer.
	LastAccepted, Wall time.Duration
	Calls              map[string]int // API requests by action, refused ones included
	Throttled          map[string]int // of which refused for the rate (RequestLimitExceeded, the data flow's 4420), by action
	QueueAPI           string         // RESTORE_QUEUE_API as set ("": the default)
	Sent               map[string]int // the queue's messages by the action that sent them
	Safety             *SafetyResult  // a run with safety backups on; nil: off
}

// SafetyTarget is issue 20's target with safety backups on for the time
// to the last restore started: 1.15 times the floor, plus the backup's
// own time and one sweep period.
func (r Result) SafetyTarget() time.Duration {
	if r.Safety == nil {
		return 0
	}
	return time.Duration(1.15*float64(r.Floor())) + r.Safety.Backup + r.Safety.SweepEvery
}

// Floor is the least time the restores can take: N RestoreInstance calls
// at the documented 20 a second.
func (r Result) Floor() time.Duration {
	return time.Duration(float64(r.Instances) / float64(cloudemu.DocumentedLimits["RestoreInstance"].PerSecond) * float64(time.Second))
}

// Ratio is LastAccepted over Floor.
func (r Result) Ratio() float64 { return r.LastAccepted.Seconds() / r.Floor().Seconds() }

// TotalCalls and TotalThrottled sum Calls and Throttled.
func (r Result) TotalCalls() int     { return sum(r.Calls) }
func (r Result) TotalThrottled() int { return sum(r.Throttled) }

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// PerRestore is the API calls per instance, by action, most first.
func (r Result) PerRestore() string {
	actions := slices.SortedFunc(maps.Keys(r.Calls), func(a, b string) int { return r.Calls[b] - r.Calls[a] })
	var parts []string
	for _, a := range actions {
		s := fmt.Sprintf("%s %.2f", a, float64(r.Calls[a])/float64(r.Instances))
		if t := r.Throttled[a]; t > 0 {
			s += fmt.Sprintf(" (%d refused)", t)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// Run runs one fleet against a fresh emulator.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Binary == "" || o.Instances < 1 || o.Containers < 1 {
		return Result{}, errors.New("fleet: Binary, Instances and Containers are required")
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Attempts == 0 {
		o.Attempts = 3
	}
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	res := Result{Instances: o.Instances, Containers: o.Containers, Statuses: map[string]int{}}

	emu := cloudemu.New(cloudemu.Options{})
	demo := cloudemu.SeedDemo(emu)
	emu.LimitAccount()
	emu.SetTaskDuration(time.Second)
	if o.Safety != nil {
		if o.Safety.SweepEvery < time.Second || o.Safety.Backup <= 0 {
			return res, errors.New("fleet: Safety needs a backup time and a sweep period of at least 1s")
		}
		if o.Safety.Wait == 0 {
			o.Safety.Wait = 5 * time.Minute
		}
		emu.SetLifecycle(cloudemu.Lifecycle{Backup: o.Safety.Backup})
		// The function itself, for its own asynchronous invocations (a
		// sweep's hand-outs), tried again 1 s after a failure (SCF: a
		// minute), as RunRequest does.
		emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: int64(o.Timeout / time.Second)})
		emu.SetAsyncRetryDelay(time.Second)
		res.Safety = &SafetyResult{Backup: o.Safety.Backup, SweepEvery: o.Safety.SweepEvery}
	}
	url, closeEmu, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		return res, err
	}
	defer closeEmu()

	env := demo.Environment(url)
	delete(env, "RESTORE_PASSWORD") // the fleet's instances are password-free
	env["RESTORE_SAFETY_BACKUP"] = "false"
	if o.Safety != nil {
		delete(env, "RESTORE_SAFETY_BACKUP") // unset: on, the alarms' default
		env["RESTORE_SWEEP_EVERY"] = o.Safety.SweepEvery.String()
	}
	env["RESTORE_CONCURRENCY"] = fmt.Sprint(o.Containers) // as make deploy sets it with the reserved concurrency
	env["SCF_FUNCTIONNAME"], env["SCF_NAMESPACE"] = "redis-restore", "default"
	if o.QueueAPI != "" {
		env["RESTORE_QUEUE_API"] = o.QueueAPI
	}
	maps.Copy(env, o.Env)
	res.QueueAPI = env["RESTORE_QUEUE_API"]

	// The instances, each with a backup from before the incident.
	now := time.Now()
	ids := addInstances(emu, demo.Region, o.Instances, now)

	fns, err := startContainers(ctx, o.Binary, o.Containers)
	defer func() {
		for _, fn := range fns {
			fn.Close()
		}
	}()
	if err != nil {
		return res, err
	}

	// The deliveries: every alarm at once, each container taking the next
	// when it is free, as SCF hands a container one event at a time. The
	// sweep timer's events (Safety) join the same queue when they fire,
	// behind whatever waits there, as SCF queues an asynchronous
	// invocation beyond the reserved concurrency.
	type delivery struct {
		id      int
		attempt int
		sweep   time.Time // a timer event fired then; zero: an alarm
		event   []byte    // the function's own asynchronous invocation (a sweep's hand-out); nil: not one
		done    chan error
	}
	queue := make(chan delivery, o.Instances*o.Attempts+4096)
	for i := range ids {
		queue <- delivery{id: i, attempt: 1}
	}
	occurred := chinatime.Format(now)
	last := make([]string, o.Instances)
	var (
		mu          sync.Mutex
		outstanding = o.Instances
		failures    []string
		nextLog     = max(1, o.Instances/10)
		wg          sync.WaitGroup
		stop        = make(chan struct{})
		alarmsDone  = make(chan struct{})
	)
	finish := func() {
		outstanding--
		if outstanding == 0 {
			close(alarmsDone)
			if o.Safety == nil {
				close(stop)
			}
		}
	}
	began := time.Now()
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var d delivery
				select {
				case <-stop:
					return // first: timer events left in the queue are not run
				default:
				}
				select {
				case <-stop:
					return
				case d = <-queue:
				}
				if d.event != nil {
					r, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: d.event, Environment: env, Timeout: o.Timeout})
					if err == nil && r.Error != nil {
						err = errors.New(r.Error.Message)
					}
					mu.Lock()
					res.Safety.HandOffs++
					if err != nil {
						res.Safety.HandOffsFailed++
					}
					mu.Unlock()
					d.done <- err
					continue
				}
				if !d.sweep.IsZero() {
					waited := time.Since(d.sweep)
					r, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: sweepTimer(d.sweep), Environment: env, Timeout: o.Timeout})
					mu.Lock()
					res.Safety.Sweeps++
					res.Safety.SweepQueued = max(res.Safety.SweepQueued, waited)
					if err != nil || r.Error != nil {
						res.Safety.SweepsFailed++
					}
					mu.Unlock()
					continue
				}
				payload := alarm(ids[d.id], occurred)
				r, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: payload, Environment: env, Timeout: o.Timeout})
				status, retry := outcome(r, err)
				mu.Lock()
				res.Invocations++
				last[d.id] = status
				if retry != "" && d.attempt < o.Attempts {
					res.Redelivered++
					queue <- delivery{id: d.id, attempt: d.attempt + 1}
				} else {
					if retry != "" && len(failures) < 3 {
						failures = append(failures, ids[d.id]+": "+retry)
					}
					finish()
				}
				done := o.Instances - outstanding
				report := done >= nextLog
				if report {
					nextLog += max(1, o.Instances/10)
				}
				mu.Unlock()
				if report {
					logf("fleet: %d of %d alarms answered after %s", done, o.Instances, time.Since(began).Round(time.Second))
				}
			}
		}()
	}
	if o.Safety != nil {
		// The function's own asynchronous invocations (a sweep hands out
		// what it cannot continue in time) join the same queue; the
		// emulator retries one that fails, as SCF does.
		emu.SetInvoker(func(_ context.Context, _ string, event []byte) error {
			done := make(chan error, 1)
			select {
			case queue <- delivery{event: event, done: done}:
			case <-stop:
				return errors.New("fleet: the run is over")
			}
			select {
			case err := <-done:
				return err
			case <-stop:
				return errors.New("fleet: the run is over")
			}
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.Safety.SweepsFired, res.Safety.Alarms = sweepTimerLoop(emu, o.Safety, o.Instances, began, alarmsDone, stop,
				func(at time.Time) { queue <- delivery{sweep: at} }, logf)
		}()
	}
	wg.Wait()
	res.Wall = time.Since(began)
	if res.Safety != nil {
		res.Safety.ManualBackups = len(emu.ManualBackups())
	}

	for _, s := range last {
		res.Statuses[s]++
		if s == "failed" || s == "unknown" || s == "error" {
			res.FailedOrUnknown++
		}
	}
	calls := res.judge(emu, demo.Queue, ids, began)
	if res.Safety != nil {
		for i, c := range calls {
			if at := c.Time.Sub(began); i == 0 || at < res.Safety.FirstStarted {
				res.Safety.FirstStarted = at
			}
		}
	}
	if len(failures) > 0 {
		logf("fleet: alarms still failing after %d deliveries, e.g. %s", o.Attempts, strings.Join(failures, "; "))
	}
	return res, nil
}

// sweepTimerLoop fires the sweep timer every period from began, handing
// each event to fire, until every instance has a restore accepted and the
// alarms are all answered (then three periods more, so that a sweep that
// would restore twice has the time to), or Wait after the last alarm was
// answered; it closes stop then. It returns the events fired and when the
// last alarm was answered.
func sweepTimerLoop(emu *cloudemu.Emulator, s *Safety, instances int, began time.Time, alarmsDone <-chan struct{}, stop chan struct{},
	fire func(time.Time), logf func(string, ...any)) (fired int, alarms time.Duration) {
	defer close(stop)
	tick := time.NewTicker(s.SweepEvery)
	defer tick.Stop()
	var answered, allRestored time.Time
	nextLog := began.Add(10 * time.Second)
	for at := range tick.C {
		fire(at.UTC().Truncate(time.Second))
		fired++
		select {
		case <-alarmsDone:
			if answered.IsZero() {
				answered = at
				alarms = at.Sub(began)
			}
		default:
		}
		restored := map[string]bool{}
		for _, c := range emu.RestoreCalls() {
			restored[c.InstanceID] = true
		}
		if !at.Before(nextLog) {
			logf("fleet: %d of %d instances restored after %s (sweeps fired %d)", len(restored), instances, at.Sub(began).Round(time.Second), fired)
			nextLog = nextLog.Add(10 * time.Second)
		}
		switch {
		case answered.IsZero():
		case len(restored) >= instances && allRestored.IsZero():
			allRestored = at
		case !allRestored.IsZero() && at.Sub(allRestored) >= 3*s.SweepEvery:
			return fired, alarms
		case at.Sub(answered) >= s.Wait:
			logf("fleet: %d of %d instances restored %s after the last alarm was answered: stopping the sweeps", len(restored), instances, s.Wait)
			return fired, alarms
		}
	}
	return fired, alarms
}

// sweepTimer is the sweep timer's event, as SCF's timer sends it.
func sweepTimer(at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"Type": "Timer", "TriggerName": "sweep", "Time": at.UTC().Format(time.RFC3339), "Message": `{"sweep":true}`})
	return b
}

// startContainers starts n function processes at once, as SCF scales out.
func startContainers(ctx context.Context, bin string, n int) ([]*scfdriver.Function, error) {
	fns := make([]*scfdriver.Function, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fns[i], errs[i] = scfdriver.Start(ctx, scfdriver.Options{Binary: bin})
		}()
	}
	wg.Wait()
	started := slices.DeleteFunc(fns, func(f *scfdriver.Function) bool { return f == nil })
	return started, errors.Join(errs...)
}

// alarm is a Cloud Monitor event alarm about one instance, as
// testdata/alarm-event.json, firing now: its own sessionId, so that each
// is a distinct incident.
func alarm(instanceID, occurred string) []byte {
	b, _ := json.Marshal(map[string]any{
		"sessionId":   "fleet-" + instanceID,
		"alarmStatus": "1",
		"alarmType":   "event",
		"alarmObjInfo": map[string]any{
			"region": "gz", "namespace": "qce/redis", "appId": "1252068037", "uin": cloudemu.DefaultAccount,
			"dimensions": map[string]any{"appid": "1252068037", "instanceid": instanceID, "objId": instanceID},
		},
		"alarmPolicyInfo": map[string]any{
			"policyId": "policy-fleet", "policyType": "redis_event", "policyName": "instance down",
			"conditions": map[string]any{"productName": "redis", "eventName": "instance_down", "eventShowName": "Instance down"},
		},
		"firstOccurTime": occurred,
		"durationTime":   0,
		"recoverTime":    "0",
	})
	return b
}

// outcome reads an invocation's answer: the alarm's result status, and
// why the platform would deliver it again ("" if it would not).
func outcome(r *scfdriver.Result, err error) (status, retry string) {
	if err != nil {
		return "error", err.Error()
	}
	payload := r.Payload
	if r.Error != nil {
		// The function asks for a retry; its message carries the results.
		retry = r.Error.Message
		i := strings.Index(r.Error.Message, `{"results"`)
		if i < 0 {
			return "error", retry
		}
		payload = []byte(r.Error.Message[i:])
	}
	var ans struct {
		Results []struct {
			Status string `json:"status"`
		} `json:"results"`
	}
	if err := json.Unmarshal(payload, &ans); err != nil || len(ans.Results) != 1 {
		// Counted as failed; the platform retries only what failed.
		return "error", retry
	}
	return ans.Results[0].Status, retry
}

// undelivered counts the restores whose TaskId no message carries.
func undelivered(calls []cloudemu.RestoreCall, msgs []cloudemu.Message) int {
	sent := map[int64]bool{}
	for _, m := range msgs {
		var ev struct {
			Data struct {
				TaskID int64 `json:"taskId"`
			} `json:"data"`
		}
		if json.Unmarshal([]byte(m.Body), &ev) == nil && ev.Data.TaskID != 0 {
			sent[ev.Data.TaskID] = true
		}
	}
	n := 0
	for _, c := range calls {
		if !sent[c.TaskID] {
			n++
		}
	}
	return n
}
