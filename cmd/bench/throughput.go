package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/scfdriver"
)

// apiLimit is the emulator's limit on RestoreInstance in the throughput
// runs: the documented 20 requests a second.
const apiLimit = 20

// tputRun is one CMQ batch of records sent to a fresh function while the
// emulator refuses RestoreInstance above apiLimit a second.
type tputRun struct {
	Wall           float64        // ms, the Function.Invoke round trip
	Statuses       map[string]int // results by status
	LimitInResults int            // results whose error is RequestLimitExceeded
	Requests       int            // RestoreInstance requests the emulator received
	Started        int            // restores it started
	Span           float64        // ms from the first to the last started restore
	HWM, CPU       float64        // the function's peak RSS and CPU ms, start to answer
	FuncError      string         // the invocation's error, if it failed
}

type tputSection struct{ Runs []tputRun }

func runThroughput(bin string, logf func(string, ...any)) (*tputSection, error) {
	sec := &tputSection{}
	for i := range tputRuns {
		r, err := throughputOnce(bin)
		if err != nil {
			return orNil(sec, len(sec.Runs)), fmt.Errorf("throughput run %d: %w", i+1, err)
		}
		sec.Runs = append(sec.Runs, r)
		logf("throughput: run %d/%d: %d records in %s, statuses %v", i+1, tputRuns, records, ms(r.Wall), r.Statuses)
	}
	return sec, nil
}

func throughputOnce(bin string) (tputRun, error) {
	r := tputRun{Statuses: map[string]int{}}
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
	r.Wall = msOf(time.Since(t))
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
	for _, x := range rs {
		r.Statuses[x.Status]++
		if x.Error != nil && strings.Contains(x.Error.Code+x.Error.Message, "RequestLimitExceeded") {
			r.LimitInResults++
		}
	}
	r.Requests = w.emu.Calls("RestoreInstance")
	calls := w.emu.RestoreCalls()
	r.Started = len(calls)
	if len(calls) > 1 {
		byTime := func(a, b cloudemu.RestoreCall) int { return a.Time.Compare(b.Time) }
		r.Span = msOf(slices.MaxFunc(calls, byTime).Time.Sub(slices.MinFunc(calls, byTime).Time))
	}
	return r, nil
}

// statusText renders a status count map in a stable order.
func statusText(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
