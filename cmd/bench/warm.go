package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/config"
	"redis-restore/internal/scfdriver"
)

// warmKind is the figures of one kind of event sent to a warm function.
type warmKind struct {
	Name     string
	Records  int
	Lat      []time.Duration // RPC round trip of Function.Invoke, as the caller sees it
	Emu      []time.Duration // time inside the emulator's handler during the invocation
	Overhead []time.Duration // Lat - Emu: everything but the emulator's own work
	Calls    []int64         // emulator requests per invocation
	CPU      time.Duration   // the function's CPU time summed over these invocations
	CPUs     []time.Duration // the same, per invocation
}

type warmSection struct {
	Kinds []*warmKind
	// Direct is the baseline: the timer's three API calls made straight
	// from the benchmark process with internal/cloud (same SDK, same
	// loopback HTTP), without the function and its RPC.
	Direct    *warmKind
	PingRTT   []time.Duration
	Gap       time.Duration
	HWMAfter  int64
	RSSAfter  int64
	Total     int // invocations sent to the one process, warm-ups included
	PID       int
	CPUMethod string // "schedstat" or "ticks"
}

// runWarm starts one function process and sends it n events of each
// one-record kind, interleaved (timer, API gateway, CMQ, timer, ...) so
// that the machine's noise falls on every kind alike, then batches
// 100-record CMQ events.
//
// Invocations are paced: each starts gap after the previous one answered.
// The function's client-side limiter allows each API action 20 calls a
// second with a burst of one, so back-to-back invocations would measure
// its 50 ms token wait, not the function; SCF's warm invocations are not
// back to back either.
func runWarm(bin string, w *world, n, batches int, gap time.Duration, logf func(string, ...any)) (*warmSection, error) {
	ctx := context.Background()
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin})
	if err != nil {
		return nil, err
	}
	defer fn.Close()
	pid := fn.PID()
	sec := &warmSection{Gap: gap, PID: pid}

	for range 200 {
		t := time.Now()
		if err := fn.Ping(); err != nil {
			return nil, fmt.Errorf("ping: %w", err)
		}
		sec.PingRTT = append(sec.PingRTT, time.Since(t))
	}

	env := w.env()
	// The function's CPU time: exact per-thread figures where the kernel
	// has them, else clock ticks (meaningful only summed over many).
	cpuOf := threadCPUTime
	if _, err := threadCPUTime(pid); err != nil {
		cpuOf = cpuTime
		sec.CPUMethod = "ticks"
	} else {
		sec.CPUMethod = "schedstat"
	}
	invoke := func(k *warmKind, payload []byte, record bool) error {
		time.Sleep(gap)
		cpu0, err := cpuOf(pid)
		if err != nil {
			return err
		}
		e0, c0 := w.timed.snapshot()
		t := time.Now()
		res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: payload, Environment: env, Timeout: 60 * time.Second})
		lat := time.Since(t)
		e1, c1 := w.timed.snapshot()
		cpu1, cerr := cpuOf(pid)
		sec.Total++
		if err != nil {
			return fmt.Errorf("%s: %w", k.Name, err)
		}
		if cerr != nil {
			return cerr
		}
		if res.Error != nil {
			return fmt.Errorf("%s: function error %s: %s", k.Name, res.Error.Type, res.Error.Message)
		}
		rs, err := parseAnswer(res.Payload)
		if err != nil {
			return fmt.Errorf("%s: %w", k.Name, err)
		}
		if err := checkAccepted(rs, k.Records); err != nil {
			return fmt.Errorf("%s: %w", k.Name, err)
		}
		if record {
			k.Lat = append(k.Lat, lat)
			k.Emu = append(k.Emu, e1-e0)
			k.Overhead = append(k.Overhead, lat-(e1-e0))
			k.Calls = append(k.Calls, c1-c0)
			k.CPU += cpu1 - cpu0
			k.CPUs = append(k.CPUs, cpu1-cpu0)
		}
		return nil
	}

	timer := &warmKind{Name: "timer", Records: 1}
	apigw := &warmKind{Name: "API gateway (signed webhook)", Records: 1}
	cmq1 := &warmKind{Name: "CMQ, 1 record", Records: 1}
	cmq100 := &warmKind{Name: "CMQ, 100 records", Records: 100}
	sec.Kinds = []*warmKind{timer, apigw, cmq1, cmq100}
	kinds := []struct {
		k    *warmKind
		make func() []byte
	}{
		{timer, w.timerEvent},
		{apigw, w.apigwEvent},
		{cmq1, func() []byte { return w.cmqEvent(1) }},
	}
	sec.Direct = &warmKind{Name: "baseline: the timer's 3 API calls made directly", Records: 1}
	direct, err := newDirectCaller(w)
	if err != nil {
		return nil, err
	}
	// Warm-up, not recorded: the first invocation dials the emulator and
	// fills the runtime's caches.
	for range 3 {
		for _, kk := range kinds {
			if err := invoke(kk.k, kk.make(), false); err != nil {
				return nil, err
			}
		}
		if err := direct.call(gap, nil); err != nil {
			return nil, err
		}
	}
	for range n {
		for _, kk := range kinds {
			if err := invoke(kk.k, kk.make(), true); err != nil {
				return nil, err
			}
		}
		if err := direct.call(gap, sec.Direct); err != nil {
			return nil, err
		}
	}
	logf("warm: %d invocations of each one-record kind, median timer %s", n, ms(summarize(durations(timer.Lat)).Median))
	for i := range batches {
		if err := invoke(cmq100, w.cmqEvent(100), true); err != nil {
			return nil, err
		}
		logf("warm: 100-record CMQ batch %d/%d in %s", i+1, batches, cmq100.Lat[len(cmq100.Lat)-1].Round(time.Millisecond))
	}
	if sec.HWMAfter, err = vmHWM(pid); err != nil {
		return nil, err
	}
	if sec.RSSAfter, err = vmRSS(pid); err != nil {
		return nil, err
	}
	return sec, nil
}

// directCaller makes, from the benchmark's own process, the API calls a
// timer restore makes: DescribeTaskList, RestoreInstance, SendCmqMsg,
// through the function's own client package.
type directCaller struct {
	w       *world
	session *cloud.Session
	body    string
}

func newDirectCaller(w *world) (*directCaller, error) {
	u, err := url.Parse(w.url)
	if err != nil {
		return nil, err
	}
	clients := cloud.New(cloud.Options{})
	creds := config.Credentials{SecretID: w.demo.SecretID, SecretKey: w.demo.SecretKey, Token: w.demo.Token}
	// An outcome message of the size the function sends.
	body := `{"specversion":"1.0","id":"3b1d6f4e-0000-4000-8000-000000000000","source":"scf/ap-guangzhou/default/redis-restore",` +
		`"type":"com.tencentcloud.redis.restore.accepted","time":"2026-11-29T03:00:00Z","datacontenttype":"application/json",` +
		`"data":{"instanceId":"crs-bench0000000","backupId":"800000000000000000000000","taskId":6954227,"requestId":"b674071e-6019-4d99-85c3-5e3433c2b74c","status":"accepted","region":"ap-guangzhou","trigger":"timer"}}`
	return &directCaller{w: w, session: clients.Session(creds, u), body: body}, nil
}

// call waits gap, then makes the three calls for a fresh instance and, if k
// is not nil, records them in k.
func (d *directCaller) call(gap time.Duration, k *warmKind) error {
	ctx := context.Background()
	id, backup := d.w.newTarget()
	region := d.w.demo.Region
	time.Sleep(gap)
	e0, c0 := d.w.timed.snapshot()
	t := time.Now()
	if _, err := d.session.DescribeRestoreTasks(ctx, region, id, t.Add(-time.Second), t.Add(time.Minute)); err != nil {
		return fmt.Errorf("baseline DescribeTaskList: %w", err)
	}
	if _, _, err := d.session.RestoreInstance(ctx, region, id, backup, ""); err != nil {
		return fmt.Errorf("baseline RestoreInstance: %w", err)
	}
	if _, err := d.session.SendQueue(ctx, region, d.w.demo.Queue, d.body); err != nil {
		return fmt.Errorf("baseline SendCmqMsg: %w", err)
	}
	lat := time.Since(t)
	e1, c1 := d.w.timed.snapshot()
	if k != nil {
		k.Lat = append(k.Lat, lat)
		k.Emu = append(k.Emu, e1-e0)
		k.Overhead = append(k.Overhead, lat-(e1-e0))
		k.Calls = append(k.Calls, c1-c0)
	}
	return nil
}
