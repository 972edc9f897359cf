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

// warmKind is the figures of one kind of event sent to a warm function, in
// ms: the Invoke round trip as the caller sees it, the time inside the
// emulator's handler meanwhile, the difference, and the function's CPU.
type warmKind struct {
	Name                     string
	Records                  int
	Lat, Emu, Overhead, CPUs []float64
	Calls                    []float64 // emulator requests per invocation
}

func (k *warmKind) add(lat, emu, calls, cpu float64) {
	k.Lat, k.Emu, k.Overhead = append(k.Lat, lat), append(k.Emu, emu), append(k.Overhead, lat-emu)
	k.Calls, k.CPUs = append(k.Calls, calls), append(k.CPUs, cpu)
}

type warmSection struct {
	Kinds []*warmKind
	// Direct is the baseline: the timer's three API calls made straight
	// from the benchmark process with internal/cloud (same SDK, same
	// loopback HTTP), without the function and its RPC.
	Direct    *warmKind
	PingRTT   []float64
	HWMAfter  float64
	Total     int  // invocations sent to the one process, warm-ups included
	Schedstat bool // CPU from /proc/<pid>/task/*/schedstat, else clock ticks
}

// runWarm starts one function process and sends it n events of each
// one-record kind, interleaved (timer, API gateway, CMQ, timer, ...) so
// that the machine's noise falls on every kind alike, then 100-record CMQ
// batches. Each invocation starts gap after the previous one answered: the
// function's client-side pace (20 calls a second per Redis action, 10 for
// the queue's sends, burst 1) would otherwise measure its 100 ms token
// wait, not the function.
func runWarm(bin string, w *world, n int, logf func(string, ...any)) (*warmSection, error) {
	ctx := context.Background()
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin})
	if err != nil {
		return nil, err
	}
	defer fn.Close()
	pid := fn.PID()
	sec := &warmSection{}
	for range 200 {
		t := time.Now()
		if err := fn.Ping(); err != nil {
			return nil, fmt.Errorf("ping: %w", err)
		}
		sec.PingRTT = append(sec.PingRTT, msOf(time.Since(t)))
	}
	env := w.env()
	// Exact per-thread CPU where the kernel has it, else clock ticks
	// (meaningful only summed over many).
	cpuOf := cpuTime
	if _, err := threadCPUTime(pid); err == nil {
		cpuOf, sec.Schedstat = threadCPUTime, true
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
		lat := msOf(time.Since(t))
		e1, c1 := w.timed.snapshot()
		cpu1, cerr := cpuOf(pid)
		sec.Total++
		if err == nil {
			err = cerr
		}
		if err == nil {
			err = checkResult(res, k.Records)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k.Name, err)
		}
		if record {
			k.add(lat, e1-e0, c1-c0, cpu1-cpu0)
		}
		return nil
	}

	timer := &warmKind{Name: "timer", Records: 1}
	apigw := &warmKind{Name: "API gateway (signed webhook)", Records: 1}
	cmq1 := &warmKind{Name: "CMQ, 1 record", Records: 1}
	cmq100 := &warmKind{Name: fmt.Sprintf("CMQ, %d records", records), Records: records}
	sec.Kinds = []*warmKind{timer, apigw, cmq1, cmq100}
	sec.Direct = &warmKind{Name: "baseline: the timer's 3 API calls made directly", Records: 1}
	events := map[*warmKind]func() []byte{timer: w.timerEvent, apigw: w.apigwEvent, cmq1: func() []byte { return w.cmqEvent(1) }}
	direct, err := newDirectCaller(w)
	if err != nil {
		return nil, err
	}
	// Three rounds of warm-up, not recorded: the first invocation dials
	// the emulator and fills the runtime's caches.
	for i := range 3 + n {
		for _, k := range sec.Kinds[:3] {
			if err := invoke(k, events[k](), i >= 3); err != nil {
				return nil, err
			}
		}
		if err := direct.call(sec.Direct, i >= 3); err != nil {
			return nil, err
		}
	}
	logf("warm: %d invocations of each one-record kind, median timer %s", n, ms(summarize(timer.Lat).P50))
	for i := range batches {
		if err := invoke(cmq100, w.cmqEvent(records), true); err != nil {
			return nil, err
		}
		logf("warm: %d-record CMQ batch %d/%d in %s", records, i+1, batches, ms(cmq100.Lat[i]))
	}
	sec.HWMAfter, err = vmHWM(pid)
	return sec, err
}

// directCaller makes, from the benchmark's own process, the API calls a
// timer restore makes (DescribeTaskList, RestoreInstance, SendCmqMsg)
// through the function's own client package.
type directCaller struct {
	w       *world
	session *cloud.Session
}

func newDirectCaller(w *world) (*directCaller, error) {
	u, err := url.Parse(w.url)
	if err != nil {
		return nil, err
	}
	creds := config.Credentials{SecretID: w.demo.SecretID, SecretKey: w.demo.SecretKey, Token: w.demo.Token}
	return &directCaller{w: w, session: cloud.New(cloud.Options{}).Session(creds, u)}, nil
}

// outcomeMessage is an outcome message of the size the function sends.
const outcomeMessage = `{"specversion":"1.0","id":"3b1d6f4e-0000-4000-8000-000000000000","source":"scf/ap-guangzhou/default/redis-restore",` +
	`"type":"com.tencentcloud.redis.restore.accepted","time":"2026-11-29T03:00:00Z","datacontenttype":"application/json",` +
	`"data":{"instanceId":"crs-bench0000000","backupId":"800000000000000000000000","taskId":6954227,"requestId":"b674071e-6019-4d99-85c3-5e3433c2b74c","status":"accepted","region":"ap-guangzhou","trigger":"timer"}}`

// call waits gap, then makes the three calls for a fresh instance and,
// if record, records them in k.
func (d *directCaller) call(k *warmKind, record bool) error {
	ctx, region := context.Background(), d.w.demo.Region
	id, backup := d.w.newTarget()
	time.Sleep(gap)
	e0, c0 := d.w.timed.snapshot()
	t := time.Now()
	_, err := d.session.DescribeRestoreTasks(ctx, region, id, t.Add(-time.Second), t.Add(time.Minute))
	if err == nil {
		_, _, err = d.session.RestoreInstance(ctx, region, id, backup, "")
	}
	if err == nil {
		_, err = d.session.SendQueue(ctx, region, d.w.demo.Queue, outcomeMessage)
	}
	if err != nil {
		return fmt.Errorf("baseline calls: %w", err)
	}
	lat := msOf(time.Since(t))
	e1, c1 := d.w.timed.snapshot()
	if record {
		k.add(lat, e1-e0, c1-c0, 0)
	}
	return nil
}
