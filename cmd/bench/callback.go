package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"redis-restore/internal/chinatime"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/scfdriver"
)

const (
	slowBy      = 2 * time.Second  // how late every Redis and queue call answers
	restoreTask = 10 * time.Second // how long a restore task runs
)

// callbackSection is the answer time of Cloud Monitor alarm callbacks (to
// the function URL, basic auth) while every Redis and queue call answers
// slowBy late: the restore is handed off to the function's own
// asynchronous invocation, and the callback answered at once.
type callbackSection struct {
	Answers  []float64      // ms, the Function.Invoke round trip of each callback
	Statuses map[string]int // the callbacks' results by status
	Restores int            // restores the emulator started
	Messages int            // distinct accepted message ids on the queue
	Wait     float64        // ms until every asynchronous invocation had ended
}

func runCallbacks(bin string, logf func(string, ...any)) (*callbackSection, error) {
	tpl, err := os.ReadFile(filepath.Join(testdata, "functionurl-alarm.json"))
	if err != nil {
		return nil, err
	}
	w, err := newWorld(testdata)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	for _, a := range []string{"DescribeTaskList", "DescribeInstanceBackups", "DescribeInstances", "RestoreInstance", "SendCmqMsg"} {
		w.emu.SetFaults(a, cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Delay: slowBy}}})
	}
	// A restore task runs for a while, as a real one does, and locks the
	// instance meanwhile: the re-sent callback's restore finds it.
	w.emu.SetTaskDuration(restoreTask)
	ctx := context.Background()
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin})
	if err != nil {
		return nil, err
	}
	defer fn.Close()
	env := w.env()
	env["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:bench-password"
	// The asynchronous invocation's timeout is long enough for a slow
	// cloud; the callback's own answer does not wait for it.
	const asyncTimeout = 60 * time.Second
	w.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: int64(asyncTimeout / time.Second)})
	w.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: event, Environment: env, Timeout: asyncTimeout})
		if err == nil && res.Error != nil {
			err = fmt.Errorf("%s", res.Error.Message)
		}
		return err
	})

	sec := &callbackSection{Statuses: map[string]int{}}
	for i := range callbacks {
		id, _ := w.newTarget()
		payload, err := callbackEvent(tpl, id, time.Now().Add(-time.Minute))
		if err != nil {
			return nil, err
		}
		for range 2 { // Cloud Monitor sends a slow callback again
			res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: payload, Environment: env, Timeout: 30 * time.Second})
			if err == nil && res.Error != nil {
				err = fmt.Errorf("callback %d: %s", i, res.Error.Message)
			}
			var rs []result
			if err == nil {
				rs, err = parseAnswer(res.Payload)
			}
			if err != nil {
				return orNil(sec, len(sec.Answers)), err
			}
			sec.Answers = append(sec.Answers, msOf(res.Duration))
			for _, r := range rs {
				sec.Statuses[r.Status]++
			}
		}
	}
	logf("alarm callbacks: %d answered, waiting for their asynchronous restores (every call %s late)", len(sec.Answers), slowBy)
	t := time.Now()
	w.emu.WaitInvocations()
	sec.Wait = msOf(time.Since(t))
	sec.Restores = len(w.emu.RestoreCalls())
	ids := map[string]bool{}
	for _, m := range w.emu.Messages(w.demo.Queue) {
		var ev struct{ ID, Type string }
		if json.Unmarshal([]byte(m.Body), &ev) == nil && strings.HasSuffix(ev.Type, ".accepted") {
			ids[ev.ID] = true
		}
	}
	sec.Messages = len(ids)
	if sec.Restores != callbacks || sec.Messages != callbacks {
		return sec, fmt.Errorf("%d alarms sent twice each made %d restores and %d distinct accepted messages, want %d of each", callbacks, sec.Restores, sec.Messages, callbacks)
	}
	return sec, nil
}

// callbackEvent is testdata/functionurl-alarm.json about instance id,
// firing since first, with the bench's basic auth.
func callbackEvent(tpl []byte, id string, first time.Time) ([]byte, error) {
	ev := decodeTemplate(tpl)
	var alarm map[string]any
	body, _ := ev["body"].(string)
	if err := json.Unmarshal([]byte(body), &alarm); err != nil {
		return nil, fmt.Errorf("functionurl-alarm.json body: %w", err)
	}
	info, _ := alarm["alarmObjInfo"].(map[string]any)
	dims, _ := info["dimensions"].(map[string]any)
	if dims == nil {
		return nil, fmt.Errorf("functionurl-alarm.json: no alarmObjInfo.dimensions")
	}
	dims["instanceid"], dims["objId"] = id, id
	alarm["firstOccurTime"] = chinatime.Format(first)
	ev["body"] = string(mustJSON(alarm))
	headers(ev)["authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte("cloudmonitor:bench-password"))
	return mustJSON(ev), nil
}
