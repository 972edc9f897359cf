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

// slowBy is how late the slowed emulator answers every Redis and queue call
// in the alarm callback measurement.
const slowBy = 2 * time.Second

// restoreTask is how long a restore task runs in the callback measurement.
const restoreTask = 10 * time.Second

// callbackSection is the answer time of Cloud Monitor alarm callbacks (to
// the function URL, basic auth) while every Redis and queue call answers
// slowBy late: the restore is handed off to the function's own
// asynchronous invocation, and the callback answered at once.
type callbackSection struct {
	Answers  []time.Duration // Function.Invoke round trip of each callback
	Statuses map[string]int  // the callbacks' results by status
	Alarms   int             // distinct alarms (each sent twice, as Cloud Monitor re-sends)
	Restores int             // restores the emulator started
	Messages int             // distinct accepted message ids on the queue
	Wait     time.Duration   // until every asynchronous invocation had ended
}

func runCallbacks(bin, testdata string, alarms int, logf func(string, ...any)) (*callbackSection, error) {
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
	// The asynchronous invocation has a timeout long enough for a slow
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

	sec := &callbackSection{Statuses: map[string]int{}, Alarms: alarms}
	for i := range alarms {
		id, _ := w.newTarget()
		payload, err := callbackEvent(tpl, id, time.Now().Add(-time.Minute))
		if err != nil {
			return nil, err
		}
		for range 2 { // Cloud Monitor sends a slow callback again
			res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: payload, Environment: env, Timeout: 30 * time.Second})
			if err != nil {
				return sec, err
			}
			if res.Error != nil {
				return sec, fmt.Errorf("callback %d: %s", i, res.Error.Message)
			}
			sec.Answers = append(sec.Answers, res.Duration)
			var gw struct{ Body string }
			if err := json.Unmarshal(res.Payload, &gw); err != nil {
				return sec, err
			}
			rs, err := parseAnswer([]byte(gw.Body))
			if err != nil {
				return sec, err
			}
			for _, r := range rs {
				sec.Statuses[r.Status]++
			}
		}
	}
	logf("alarm callbacks: %d answered, waiting for their asynchronous restores (every call %s late)", len(sec.Answers), slowBy)
	t := time.Now()
	w.emu.WaitInvocations()
	sec.Wait = time.Since(t)
	sec.Restores = len(w.emu.RestoreCalls())
	ids := map[string]bool{}
	for _, m := range w.emu.Messages(w.demo.Queue) {
		var ev struct{ ID, Type string }
		if json.Unmarshal([]byte(m.Body), &ev) == nil && strings.HasSuffix(ev.Type, ".accepted") {
			ids[ev.ID] = true
		}
	}
	sec.Messages = len(ids)
	if sec.Restores != alarms || sec.Messages != alarms {
		return sec, fmt.Errorf("%d alarms sent twice each made %d restores and %d distinct accepted messages, want %d of each", alarms, sec.Restores, sec.Messages, alarms)
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
	headers, _ := ev["headers"].(map[string]any)
	if headers == nil {
		headers = map[string]any{}
		ev["headers"] = headers
	}
	headers["authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte("cloudmonitor:bench-password"))
	return mustJSON(ev), nil
}

func (r *report) callbackMarkdown(p func(string, ...any)) {
	p("## 7. Alarm callbacks against a slow cloud")
	p("")
	if r.callback == nil {
		p("Not measured.")
		p("")
		return
	}
	c := r.callback
	s := summarize(durations(c.Answers))
	p("Cloud Monitor waits 5 s for a callback's answer. Here every Redis and queue call the emulator serves answers %s late; %d alarms, each about an instance of its own, are posted to the function URL with basic auth (`testdata/functionurl-alarm.json`), each twice as Cloud Monitor re-sends; a restore task runs %s. The function hands each restore to its own asynchronous invocation (the emulator's SCF `Invoke`, delivered to the same process) and answers at once.", slowBy, c.Alarms, restoreTask)
	p("")
	p("| | |")
	p("| --- | --- |")
	p("| answer time (Function.Invoke round trip), median | %s |", ms(s.Median))
	p("| answer time, p99 | %s |", ms(s.P99))
	p("| answer time, min – max | %s – %s (%d callbacks) |", ms(s.Min), ms(s.Max), s.N)
	p("| the callbacks' results | %s |", statusText(c.Statuses))
	p("| restores started / distinct accepted messages on the queue | %d / %d (for %d alarms) |", c.Restores, c.Messages, c.Alarms)
	p("| until every asynchronous restore had ended | %s |", ms(ms64(c.Wait)))
	p("")
}
