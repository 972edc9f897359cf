package scfdriver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// echofn is the path of testdata/echofn, built once in TestMain.
var echofn string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scfdriver-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echofn = filepath.Join(dir, "main")
	// testdata is skipped by ./... patterns but builds fine when named,
	// and it uses this module's go.mod, so scf-go-lib is the pinned one.
	build := exec.Command("go", "build", "-o", echofn, "./testdata/echofn")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build echofn:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for the exec copier goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, opts Options) *Function {
	t.Helper()
	opts.Binary = echofn
	f, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func invoke(t *testing.T, f *Function, inv Invocation) (*Result, map[string]any) {
	t.Helper()
	res, err := f.Invoke(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != nil {
		return res, nil
	}
	var out map[string]any
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("answer %q: %v", res.Payload, err)
	}
	return res, out
}

func TestInvokeRoundTrip(t *testing.T) {
	var stderr syncBuffer
	f := start(t, Options{Stderr: &stderr})
	if f.PID() <= 0 || f.PingReadyAfter() <= 0 {
		t.Fatalf("PID %d, PingReadyAfter %v", f.PID(), f.PingReadyAfter())
	}
	if err := f.Ping(); err != nil {
		t.Fatal(err)
	}

	const envName = "SCFDRIVER_TEST_SECRET"
	if _, set := os.LookupEnv(envName); set {
		t.Fatalf("%s must not be set in the test's own environment", envName)
	}
	timeout := 5 * time.Second
	before := time.Now()
	res, out := invoke(t, f, Invocation{
		Payload:     []byte(`{"hello":"world","env":"` + envName + `"}`),
		RequestID:   "req-1",
		Timeout:     timeout,
		Environment: map[string]string{envName: "s3cret"},
		Region:      "ap-shanghai",
	})

	if res.RequestID != "req-1" || out["requestId"] != "req-1" {
		t.Errorf("request id: result %q, handler saw %v", res.RequestID, out["requestId"])
	}
	if ev, _ := out["event"].(map[string]any); ev["hello"] != "world" {
		t.Errorf("event did not round-trip: %v", out["event"])
	}
	if out["envValue"] != "s3cret" {
		t.Errorf("Environment did not reach the handler: got %v", out["envValue"])
	}
	if out["functionName"] != "redis-restore" || out["namespace"] != "default" ||
		out["region"] != "ap-shanghai" || out["memory"] != float64(64) ||
		out["timeLimitMs"] != float64(timeout.Milliseconds()) {
		t.Errorf("function context: %v", out)
	}
	dl, err := time.Parse(time.RFC3339Nano, fmt.Sprint(out["deadline"]))
	if err != nil {
		t.Fatalf("deadline %v: %v", out["deadline"], err)
	}
	if dl.Before(before.Add(timeout)) || dl.After(time.Now().Add(timeout)) {
		t.Errorf("deadline %v not within [%v, %v] + %v", dl, before, time.Now(), timeout)
	}
	if res.Duration <= 0 {
		t.Errorf("duration %v", res.Duration)
	}
	// The function's stderr is copied by os/exec's goroutine: it may land a
	// moment after the answer.
	for end := time.Now().Add(2 * time.Second); !strings.Contains(stderr.String(), "echofn: invoked") && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "echofn: invoked") {
		t.Errorf("function stderr not passed through: %q", stderr.String())
	}

	// Warm: same process answers again, with a fresh random request id.
	res2, out2 := invoke(t, f, Invocation{Payload: []byte(`{"n":2}`)})
	if out2["pid"] != out["pid"] {
		t.Errorf("second invoke ran in another process: %v vs %v", out2["pid"], out["pid"])
	}
	if len(res2.RequestID) != 36 || out2["requestId"] != res2.RequestID {
		t.Errorf("default request id %q, handler saw %v", res2.RequestID, out2["requestId"])
	}
}

func TestHandlerError(t *testing.T) {
	f := start(t, Options{})
	res, _ := invoke(t, f, Invocation{Payload: []byte(`{"fail":true}`)})
	if res.Error == nil || res.Error.Message != "asked to fail" || res.Error.ShouldExit {
		t.Fatalf("want handler error, got %+v (payload %q)", res.Error, res.Payload)
	}
	res, _ = invoke(t, f, Invocation{Payload: []byte(`{"panic":true}`)})
	if res.Error == nil || !res.Error.ShouldExit || !strings.Contains(res.Error.Message, "asked to panic") {
		t.Fatalf("want panic error with ShouldExit, got %+v", res.Error)
	}
	// The instance still answers after both.
	if _, out := invoke(t, f, Invocation{Payload: []byte(`{}`)}); out == nil {
		t.Fatal("no answer after errors")
	}
}

func TestStartFailsWhenBinaryExits(t *testing.T) {
	start := time.Now()
	t.Setenv("ECHOFN_EXIT", "no config, giving up")
	_, err := Start(context.Background(), Options{Binary: echofn})
	if err == nil {
		t.Fatal("Start succeeded for a binary that exits")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "no config, giving up") {
		t.Errorf("error does not explain the exit: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v: should fail early, not wait for StartTimeout", time.Since(start))
	}
}

func TestStartTimeout(t *testing.T) {
	t.Setenv("ECHOFN_HANG", "1")
	_, err := Start(context.Background(), Options{Binary: echofn, StartTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no Ping answer") {
		t.Fatalf("want timeout error, got %v", err)
	}
}

func TestStartMissingBinary(t *testing.T) {
	_, err := Start(context.Background(), Options{Binary: filepath.Join(t.TempDir(), "nope")})
	if err == nil {
		t.Fatal("Start succeeded for a missing binary")
	}
}

func TestInvokeAfterClose(t *testing.T) {
	f := start(t, Options{})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Invoke(context.Background(), Invocation{Payload: []byte(`{}`)}); err == nil {
		t.Fatal("Invoke succeeded after Close")
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestInvokeWhenProcessDies(t *testing.T) {
	f := start(t, Options{})
	_, err := f.Invoke(context.Background(), Invocation{Payload: []byte(`{"exit":true}`)})
	if err == nil || !strings.Contains(err.Error(), "function exited") || !strings.Contains(err.Error(), "exiting mid-invoke") {
		t.Fatalf("want transport error naming the exit, got %v", err)
	}
	t.Log(err)
}

func TestInvokeTimeout(t *testing.T) {
	f := start(t, Options{})
	_, err := f.Invoke(context.Background(), Invocation{Payload: []byte(`{"sleep":true}`), Timeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer within timeout") {
		t.Fatalf("want timeout error, got %v", err)
	}
	t.Log(err)
}
