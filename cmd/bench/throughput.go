package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"redis-restore/internal/scfdriver"
)

// apiLimit is the emulator's limit on RestoreInstance in the throughput
// runs: the documented 20 requests a second.
const apiLimit = 20

// tputRun is one 100-record CMQ batch sent to a fresh function while the
// emulator refuses RestoreInstance above apiLimit a second.
type tputRun struct {
	Wall           time.Duration  // Function.Invoke round trip
	Statuses       map[string]int // results by status
	LimitInResults int            // results whose error is RequestLimitExceeded
	Requests       int            // RestoreInstance requests the emulator received
	Started        int            // restores it started
	Span           time.Duration  // first to last started restore
	HWM            int64          // the function's peak RSS after the batch
	CPU            time.Duration  // the function's CPU time, start to answer
	FuncError      string         // the invocation's error, if it failed
}

type tputSection struct {
	Records int
	Runs    []tputRun
}

func runThroughput(bin, testdata string, records, runs int, logf func(string, ...any)) (*tputSection, error) {
	sec := &tputSection{Records: records}
	for i := range runs {
		r, err := throughputOnce(bin, testdata, records)
		if err != nil {
			return sec, fmt.Errorf("throughput run %d: %w", i+1, err)
		}
		sec.Runs = append(sec.Runs, r)
		logf("throughput: run %d/%d: %d records in %s, statuses %v", i+1, runs, records, r.Wall.Round(time.Millisecond), r.Statuses)
	}
	return sec, nil
}

func throughputOnce(bin, testdata string, records int) (tputRun, error) {
	var r tputRun
	w, err := newWorld(testdata)
	if err != nil {
		return r, err
	}
	defer w.Close()
	w.emu.SetRateLimit("RestoreInstance", apiLimit)
	payload := w.cmqEvent(records)

	ctx := context.Background()
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin})
	if err != nil {
		return r, err
	}
	defer fn.Close()

	t := time.Now()
	res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: payload, Environment: w.env(), Timeout: 60 * time.Second})
	r.Wall = time.Since(t)
	if err != nil {
		return r, err
	}
	if r.HWM, err = vmHWM(fn.PID()); err != nil {
		return r, err
	}
	if r.CPU, err = cpuTime(fn.PID()); err != nil {
		return r, err
	}

	var rs []result
	if res.Error != nil {
		// The function fails an event the platform should retry; its
		// message carries the results' JSON after the reason.
		r.FuncError = res.Error.Message
		if i := strings.Index(res.Error.Message, `{"results"`); i >= 0 {
			rs, _ = parseAnswer([]byte(res.Error.Message[i:]))
		}
	} else if rs, err = parseAnswer(res.Payload); err != nil {
		return r, err
	}
	r.Statuses = map[string]int{}
	for _, x := range rs {
		r.Statuses[x.Status]++
		if x.Error != nil && (strings.Contains(x.Error.Code, "RequestLimitExceeded") || strings.Contains(x.Error.Message, "RequestLimitExceeded")) {
			r.LimitInResults++
		}
	}

	r.Requests = w.emu.Calls("RestoreInstance")
	calls := w.emu.RestoreCalls()
	r.Started = len(calls)
	if len(calls) > 1 {
		sort.Slice(calls, func(i, j int) bool { return calls[i].Time.Before(calls[j].Time) })
		r.Span = calls[len(calls)-1].Time.Sub(calls[0].Time)
	}
	return r, nil
}

// statusText renders a status count map in a stable order.
func statusText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
