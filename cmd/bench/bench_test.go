package main

// Tests of the benchmark's own arithmetic and parsing. Nothing here is timed.

import (
	"os"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100 .. 1, unsorted on purpose
	}
	s := summarize(xs)
	if s.N != 100 || s.Min != 1 || s.Max != 100 || s.Median != 50.5 || s.P25 != 25 || s.P75 != 75 || s.P99 != 99 || s.Mean != 50.5 {
		t.Errorf("summarize(1..100) = %+v", s)
	}
	if xs[0] != 100 {
		t.Error("summarize sorted its argument in place")
	}
	if s := summarize([]float64{3}); s.Median != 3 || s.P99 != 3 || s.P25 != 3 {
		t.Errorf("summarize([3]) = %+v", s)
	}
	if s := summarize(nil); s.valid {
		t.Errorf("summarize(nil) = %+v", s)
	}
}

func TestBenchLine(t *testing.T) {
	for _, c := range []struct {
		line, name, ns string
		rest           string
	}{
		{"BenchmarkDecode/cmq-100-2         \t      46\t   1530082 ns/op\t  16.48 MB/s\t  854820 B/op\t   12256 allocs/op", "BenchmarkDecode/cmq-100", "1530082", "12256 allocs/op"},
		{"BenchmarkInvoke/apigw-refused-2 \t    3026\t     34100 ns/op\t    8736 B/op\t     179 allocs/op", "BenchmarkInvoke/apigw-refused", "34100", "179 allocs/op"},
		{"BenchmarkX \t 10\t 1.5 ns/op", "BenchmarkX", "1.5", ""},
	} {
		m := benchLine.FindStringSubmatch(c.line)
		if m == nil || m[1] != c.name || m[2] != c.ns || !strings.HasSuffix(strings.TrimSpace(m[3]), c.rest) {
			t.Errorf("%q: got %q", c.line, m)
		}
	}
	if benchLine.MatchString("PASS") || benchLine.MatchString("ok  \tredis-restore/events\t7.980s") {
		t.Error("non-benchmark line matched")
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
	rss, err := vmRSS(pid)
	if err != nil || rss <= 0 {
		t.Errorf("vmRSS: %d, %v", rss, err)
	}
	hwm, err := vmHWM(pid)
	if err != nil || hwm < rss {
		t.Errorf("vmHWM: %d (rss %d), %v", hwm, rss, err)
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
