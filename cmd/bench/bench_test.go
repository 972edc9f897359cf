package main

// Tests of the benchmark's own arithmetic and parsing, and that its API-call
// count measures. Nothing here is timed.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/fleet"
)

func TestSummarize(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100 .. 1, unsorted on purpose
	}
	s := summarize(xs)
	if s.N != 100 || s.Min != 1 || s.Max != 100 || s.P50 != 50.5 || s.P25 != 25 || s.P75 != 75 || s.P99 != 99 || s.mean() != 50.5 {
		t.Errorf("summarize(1..100) = %+v", s)
	}
	if xs[0] != 100 {
		t.Error("summarize sorted its argument in place")
	}
	if s := summarize([]float64{3}); s.P50 != 3 || s.P99 != 3 || s.P25 != 3 {
		t.Errorf("summarize([3]) = %+v", s)
	}
	if s := summarize(nil); s.N != 0 {
		t.Errorf("summarize(nil) = %+v", s)
	}
}

func TestBenchLine(t *testing.T) {
	for _, c := range []struct {
		line, name   string
		ns, allocs   float64
		unitsWithout int
	}{
		{"BenchmarkDecode/cmq-100-2         \t      46\t   1530082 ns/op\t  16.48 MB/s\t  854820 B/op\t   12256 allocs/op", "BenchmarkDecode/cmq-100", 1530082, 12256, 4},
		{"BenchmarkInvoke/apigw-refused-2 \t    3026\t     34100 ns/op\t    8736 B/op\t     179 allocs/op", "BenchmarkInvoke/apigw-refused", 34100, 179, 3},
		{"BenchmarkX \t 10\t 1.5 ns/op", "BenchmarkX", 1.5, 0, 1},
	} {
		name, units, ok := parseBenchLine(c.line)
		if !ok || name != c.name || units["ns/op"] != c.ns || units["allocs/op"] != c.allocs || len(units) != c.unitsWithout {
			t.Errorf("%q: got %q %v %v", c.line, name, units, ok)
		}
	}
	for _, line := range []string{"PASS", "ok  \tredis-restore/events\t7.980s", "BenchmarkX-2 \t--- FAIL"} {
		if _, _, ok := parseBenchLine(line); ok {
			t.Errorf("non-benchmark line %q matched", line)
		}
	}
}

func TestParseAnswer(t *testing.T) {
	rs, err := parseAnswer([]byte(`{"results":[{"instanceId":"crs-a","status":"accepted"},{"instanceId":"crs-b","status":"failed","error":{"code":"RequestLimitExceeded","message":"slow down"}}]}`))
	if err != nil || len(rs) != 2 || rs[1].Error == nil || rs[1].Error.Code != "RequestLimitExceeded" {
		t.Fatalf("direct answer: %+v, %v", rs, err)
	}
	if err := checkAccepted(rs, 2); err == nil || !strings.Contains(err.Error(), "crs-b") {
		t.Errorf("checkAccepted: %v", err)
	}
	gw := `{"isBase64Encoded":false,"statusCode":202,"headers":{"Content-Type":"application/json"},"body":"{\"results\":[{\"instanceId\":\"crs-a\",\"status\":\"accepted\"}]}"}`
	rs, err = parseAnswer([]byte(gw))
	if err != nil || checkAccepted(rs, 1) != nil {
		t.Errorf("gateway answer: %+v, %v", rs, err)
	}
	if _, err := parseAnswer([]byte(`{"foo":1}`)); err == nil {
		t.Error("an answer without results was accepted")
	}
}

func TestProcOfSelf(t *testing.T) {
	pid := os.Getpid()
	// RSS first: the high-water mark read after it cannot be lower.
	rss, err := statusField(pid, "VmRSS:")
	if err != nil || rss <= 0 {
		t.Errorf("vmRSS: %v, %v", rss, err)
	}
	hwm, err := vmHWM(pid)
	if err != nil || hwm < rss {
		t.Errorf("vmHWM: %v (rss %v), %v", hwm, rss, err)
	}
	if _, err := cpuTime(pid); err != nil {
		t.Errorf("cpuTime: %v", err)
	}
	// Burn some CPU: the exact per-thread figure must see it.
	before, err := threadCPUTime(pid)
	if err != nil {
		t.Skipf("no schedstat here: %v", err)
	}
	x := 0
	for i := range 20_000_000 {
		x += i % 7
	}
	after, err := threadCPUTime(pid)
	if err != nil || after <= before {
		t.Errorf("threadCPUTime: %v then %v (x=%d), %v", before, after, x, err)
	}
}

func TestEventsAreDistinct(t *testing.T) {
	w, err := newWorld("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	seen := map[string]bool{}
	for _, ev := range [][]byte{w.timerEvent(), w.apigwEvent(), w.cmqEvent(2), w.timerEvent()} {
		if seen[string(ev)] {
			t.Errorf("event repeated: %s", ev)
		}
		seen[string(ev)] = true
	}
	if !strings.Contains(string(w.apigwEvent()), "x-restore-signature") {
		t.Error("API gateway event is not signed")
	}
}

func TestReportHasEverySummaryRow(t *testing.T) {
	run := coldRun{Ping: 12, Invoke: 19, HWMIdle: 8e6, HWM: 10e6, CPU: 13}
	k := &warmKind{Name: "timer", Records: 1}
	k.add(5, 2, 4, 3)
	batch := &warmKind{Name: "CMQ, 100 records", Records: 100}
	batch.add(4975, 800, 400, 418)
	direct := &warmKind{Name: "baseline"}
	direct.add(2, 1, 3, 0)
	r := &report{
		machine:  machine{CPUs: 2},
		size:     &sizeSection{Bin: "dist/main", Zip: "dist/x.zip", BinBytes: 9e6, ZipBytes: 4e6},
		cold:     &coldSection{Runs: []coldRun{run, run}, Baseline: []coldRun{run}},
		warm:     &warmSection{Kinds: []*warmKind{k, batch}, Direct: direct, PingRTT: []float64{0.1}, Schedstat: true},
		tput:     &tputSection{Runs: []tputRun{{Wall: 5120, Statuses: map[string]int{"accepted": 100}, HWM: 15e6}}},
		callback: &callbackSection{Answers: []float64{50, 51}, Statuses: map[string]int{"queued": 2}},
		gobench:  &goBenchSection{Results: []*goBench{{Pkg: "redis-restore/events", Name: "BenchmarkDetect/timer", Units: map[string][]float64{"ns/op": {3700}}}}},
	}
	md := r.markdown()
	for _, want := range []string{
		"| Cold start to first answered Ping | median 12.0 ms | < 10 ms | **no** |",
		"| Warm overhead above the emulator, timer | p50 3.00 ms (p99 3.00 ms) | < 1 ms | **no** |",
		"| Peak RSS, one restore |", "| Peak RSS, 100-record CMQ batch |", "| Deployment zip | 3.81 MiB (4.00 MB) | < 6 MB | **yes** |",
		"| 100-record batch at 20 RestoreInstance/s | median 5.120 s | within 10% of 5 s | **yes** |",
		"| RequestLimitExceeded reaching a result | 0 | 0 | **yes** |",
		"| Alarm callback answer, every cloud call 2 s late | median 50.5 ms (p99 51.0 ms) | < 1 s | **yes** |",
		"| events | BenchmarkDetect/timer | 3.7 µs |", "## 7. Alarm callbacks against a slow cloud",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() || os.Getenv("BENCH_SHOW") != "" {
		t.Log(md)
	}
}

// The API-calls section runs the built function against the emulator and
// counts what each restore cost: it asserts only that it measured (every
// case counted, RestoreInstance once each), not what the counts are.
func TestCallsPerRestoreMeasures(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "main")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "../..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	sec, err := runCalls(bin, "../../testdata", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(sec.Cases) != 4 {
		t.Fatalf("%d cases measured, want 4", len(sec.Cases))
	}
	for _, c := range sec.Cases {
		total := c.Total()
		if total["RestoreInstance"] != 1 || c.Restores != 1 || total["SendCmqMsg"] < 1 {
			t.Errorf("%s: calls %v, restores %d; want RestoreInstance once and a message", c.Name, total, c.Restores)
		}
	}
	if safe := sec.Cases[3]; len(safe.Steps) < 2 || safe.Total()["ManualBackupInstance"] != 1 {
		t.Errorf("%s: %d invocations, calls %v; want the request and its sweeps, one safety backup", safe.Name, len(safe.Steps), safe.Total())
	}
	r := &report{calls: sec}
	md := r.markdown()
	for _, c := range sec.Cases {
		if !strings.Contains(md, "| "+c.Name+" |") {
			t.Errorf("report lacks the row of %q", c.Name)
		}
	}
	if t.Failed() || os.Getenv("BENCH_SHOW") != "" {
		t.Log(md)
	}
}

// The fleet's bound is the action whose calls need the most time at the
// role's limit: the queue's sends at a sub-account's 10 a second before
// the Redis actions at 20; unlimited actions are not bounds.
func TestFleetBoundsPutTheQueueAtItsRoleLimit(t *testing.T) {
	f := &fleetSection{fleet.Result{Instances: 1000, Wall: 200 * time.Second,
		Calls: map[string]int{"RestoreInstance": 1000, "DescribeTaskList": 1200, "SendCmqMsg": 1000, "GetSecretValue": 5}}}
	bs := f.bounds()
	if len(bs) != 3 {
		t.Fatalf("bounds %+v: want the three limited actions", bs)
	}
	if b := bs[0]; b.Action != "SendCmqMsg" || b.Limit != 10 || b.Least != 100*time.Second || b.Achieved != 5 {
		t.Errorf("first bound %+v, want SendCmqMsg at 10 a second: 100 s, 5 a second achieved", b)
	}
	if b := bs[1]; b.Action != "DescribeTaskList" || b.Least != 60*time.Second {
		t.Errorf("second bound %+v, want DescribeTaskList: 60 s", b)
	}
	if !strings.Contains(f.boundText(), "`SendCmqMsg`'s 1000 calls (1.00 a restore) at the role's 10 a second need 100.0 s, 2.00 times the floor") {
		t.Errorf("boundText: %s", f.boundText())
	}
}

// The mutation score section, written by hand, survives a new report: it
// is carried over whole, up to the next heading, and nothing else is.
func TestMutationSectionIsKept(t *testing.T) {
	path := t.TempDir() + "/BENCHMARKS.md"
	old := "# Benchmarks\n\n## Machine\nold figures\n\n## Mutation score\n\nscore 80%\nsurvivors\n\n## After\nnot kept\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := keptSection(path), "\n## Mutation score\n\nscore 80%\nsurvivors\n"; got != want {
		t.Errorf("kept %q, want %q", got, want)
	}
	if got := keptSection(t.TempDir() + "/none.md"); got != "" {
		t.Errorf("kept %q from no file", got)
	}
	if err := os.WriteFile(path, []byte("# Benchmarks\n\n## Machine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := keptSection(path); got != "" {
		t.Errorf("kept %q from a report without the section", got)
	}
}

// Through the data flow, the queue's sends are bounded by the queue's
// 5,000 a second, not the role's 10: they are the last bound, not the
// first.
func TestFleetBoundsTakeTheDataflowAtTheQueuesLimit(t *testing.T) {
	f := &fleetSection{fleet.Result{Instances: 1000, Wall: 60 * time.Second,
		Calls: map[string]int{"RestoreInstance": 1000, "DescribeTaskList": 1010, "SendMessage": 1000}}}
	bs := f.bounds()
	if len(bs) != 3 || bs[0].Action != "DescribeTaskList" || bs[2].Action != "SendMessage" {
		t.Fatalf("bounds %+v: want DescribeTaskList first, SendMessage last", bs)
	}
	if b := bs[2]; b.Limit != 5000 || b.Least != 200*time.Millisecond {
		t.Errorf("SendMessage %+v, want the queue's 5000 a second: 0.2 s", b)
	}
}
