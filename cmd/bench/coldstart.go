package main

import (
	"bytes"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
)

// coldRun is one start of the function, measured from just before the
// process is started.
type coldRun struct {
	Ping     time.Duration // first answered Function.Ping
	Invoke   time.Duration // first answered Function.Invoke (a restore), sent right after the Ping
	HWMIdle  int64         // VmHWM after the first Ping
	HWM      int64         // VmHWM after the first Invoke
	CPU      time.Duration // utime+stime after the first Invoke
	Attempts int           // dials until the Ping answered
}

// coldStart starts the binary as SCF does (_LAMBDA_SERVER_PORT), dials and
// pings every poll until the function answers, then invokes it once with a
// restore. It does what internal/scfdriver does, but polls far more often
// than scfdriver's 5 ms: with a 10 ms target, a 5 ms tick would be most of
// the figure. poll is the resolution of the Ping figure.
//
// With invoke false it stops after the Ping: for the baseline function,
// which does not restore.
func coldStart(bin string, w *world, poll time.Duration, invoke bool) (coldRun, error) {
	var run coldRun
	port, err := freePort()
	if err != nil {
		return run, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	stderr := &lockedBuffer{}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "_LAMBDA_SERVER_PORT="+strconv.Itoa(port))
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second

	payload := w.timerEvent()
	envJSON := mustJSON(w.env())

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return run, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	var client *rpc.Client
	for client == nil {
		run.Attempts++
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c := rpc.NewClient(conn)
			if callTimeout(c, "Function.Ping", &messages.PingRequest{}, &messages.PingResponse{}, 5*time.Second) == nil {
				client = c
				break
			}
			c.Close()
		}
		select {
		case <-exited:
			return run, fmt.Errorf("function exited before answering Ping: %s", stderr.String())
		default:
		}
		if time.Since(start) > 10*time.Second {
			return run, fmt.Errorf("no Ping answer within 10s: %s", stderr.String())
		}
		time.Sleep(poll)
	}
	run.Ping = time.Since(start)
	defer client.Close()
	if !invoke {
		run.HWMIdle, err = vmHWM(cmd.Process.Pid)
		return run, err
	}

	deadline := time.Now().Add(60 * time.Second)
	req := &messages.InvokeRequest{
		Payload:            payload,
		RequestId:          fmt.Sprintf("bench-cold-%d", time.Now().UnixNano()),
		Deadline:           messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName:       "redis-restore",
		Namespace:          "default",
		FunctionVersion:    "$LATEST",
		MemoryLimitInMb:    64,
		TimeLimitInMs:      60000,
		Environment:        string(envJSON),
		TencentcloudRegion: w.demo.Region,
	}
	// The ping's idle high-water mark is read after the clock for Invoke
	// started: reading /proc takes a few tens of microseconds, which the
	// Invoke figure then includes, never the Ping figure.
	pid := cmd.Process.Pid
	if run.HWMIdle, err = vmHWM(pid); err != nil {
		return run, err
	}
	var resp messages.InvokeResponse
	if err := callTimeout(client, "Function.Invoke", req, &resp, 70*time.Second); err != nil {
		return run, fmt.Errorf("Invoke: %w: %s", err, stderr.String())
	}
	run.Invoke = time.Since(start)
	if resp.Error != nil {
		return run, fmt.Errorf("Invoke answered error %s: %s", resp.Error.Type, resp.Error.Message)
	}
	rs, err := parseAnswer(resp.Payload)
	if err != nil {
		return run, err
	}
	if err := checkAccepted(rs, 1); err != nil {
		return run, fmt.Errorf("first restore: %w", err)
	}
	if run.HWM, err = vmHWM(pid); err != nil {
		return run, err
	}
	if run.CPU, err = cpuTime(pid); err != nil {
		return run, err
	}
	return run, nil
}

// callTimeout is client.Call that gives up after d: a function that
// accepts but never answers must not hang the benchmark.
func callTimeout(client *rpc.Client, method string, args, reply any, d time.Duration) error {
	c := client.Go(method, args, reply, make(chan *rpc.Call, 1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.Done:
		return c.Error
	case <-t.C:
		return fmt.Errorf("%s: no answer within %s", method, d)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuffer keeps the first 64 KiB of a process's stderr, for errors.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 64<<10 - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(bytes.TrimSpace(b.buf.Bytes()))
}

// coldSection is the cold start section's figures.
type coldSection struct {
	Runs []coldRun
	Poll time.Duration
	// Baseline is the same Ping measurement of a minimal scf-go-lib
	// function (internal/scfdriver/testdata/echofn, built like main): the
	// floor that the machine, the Go runtime and the SCF library set.
	Baseline    []coldRun
	BaselineErr string
}

func runColdStarts(bin, baseline string, w *world, n int, poll time.Duration, logf func(string, ...any)) (coldSection, error) {
	sec := coldSection{Poll: poll}
	// One start of each first, not counted: it brings the binary into the
	// page cache, as it is on an SCF host that has just unzipped it.
	if _, err := coldStart(bin, w, poll, true); err != nil {
		return sec, fmt.Errorf("cold start (warm-up): %w", err)
	}
	if baseline != "" {
		if _, err := coldStart(baseline, w, poll, false); err != nil {
			sec.BaselineErr = err.Error()
			baseline = ""
		}
	}
	// Alternate function and baseline, so that both meet the same noise.
	for i := range n {
		r, err := coldStart(bin, w, poll, true)
		if err != nil {
			return sec, fmt.Errorf("cold start %d: %w", i+1, err)
		}
		sec.Runs = append(sec.Runs, r)
		// Let the killed process's exit and the emulator settle.
		time.Sleep(20 * time.Millisecond)
		if baseline != "" {
			b, err := coldStart(baseline, w, poll, false)
			if err != nil {
				sec.BaselineErr = err.Error()
				baseline = ""
				continue
			}
			sec.Baseline = append(sec.Baseline, b)
			time.Sleep(20 * time.Millisecond)
		}
	}
	logf("cold start: %d starts, median ping %s", n, ms(summarize(durations(pingsOf(sec.Runs))).Median))
	return sec, nil
}

func pingsOf(rs []coldRun) []time.Duration {
	out := make([]time.Duration, len(rs))
	for i, r := range rs {
		out[i] = r.Ping
	}
	return out
}

// buildBaseline builds the minimal function the cold start is compared
// with, with main's flags, into dir.
func buildBaseline(goCmd, dir string) (string, error) {
	out := filepath.Join(dir, "echofn")
	cmd := exec.Command(goCmd, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./internal/scfdriver/testdata/echofn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the baseline function: %v: %s", err, b)
	}
	return out, nil
}
