// Package scfdriver runs a built SCF Go function locally the way the SCF
// runtime does: it starts the binary with _LAMBDA_SERVER_PORT set, waits for
// Function.Ping to answer, and calls Function.Invoke over net/rpc with a
// messages.InvokeRequest. Nothing about the function is faked: what answers
// here is the same code path (scf-go-lib's cloudfunction.Start) that answers
// in the cloud.
package scfdriver

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"

	"redis-restore/internal/uuid"
)

const (
	stderrTailSize = 64 << 10
	// invokeGrace is how long past the deadline Invoke still waits for an
	// answer: a handler that honours its context needs a moment to return.
	invokeGrace = 2 * time.Second
)

// Options says which binary to run and where its output goes.
type Options struct {
	Binary         string        // path to the built function
	Stdout, Stderr io.Writer     // the function's output (nil: discarded; the last 64 KiB of stderr is kept for errors)
	StartTimeout   time.Duration // how long to wait for the first Ping; default 10s
	// PollInterval is how often a starting function is dialled; default
	// 5ms. It bounds the resolution of PingReadyAfter: a cold-start
	// benchmark sets it far lower.
	PollInterval time.Duration
}

// Function is one running instance of a function binary.
type Function struct {
	cmd       *exec.Cmd
	client    *rpc.Client
	stderr    *tailBuffer
	readyIn   time.Duration
	exited    chan struct{} // closed when the process has been reaped
	waitErr   error         // valid after exited is closed
	closeOnce sync.Once
}

// Start launches the binary and returns once Function.Ping has answered.
// ctx bounds only this wait; the process lives until Close.
func Start(ctx context.Context, opts Options) (*Function, error) {
	opts.StartTimeout = cmp.Or(opts.StartTimeout, 10*time.Second)
	opts.PollInterval = cmp.Or(opts.PollInterval, 5*time.Millisecond)
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("scfdriver: pick a port: %w", err)
	}

	f := &Function{stderr: &tailBuffer{max: stderrTailSize}, exited: make(chan struct{})}
	cmd := exec.Command(opts.Binary)
	cmd.Env = append(os.Environ(), "_LAMBDA_SERVER_PORT="+strconv.Itoa(port))
	cmd.Stdout = opts.Stdout
	if opts.Stderr != nil {
		cmd.Stderr = io.MultiWriter(f.stderr, opts.Stderr)
	} else {
		cmd.Stderr = f.stderr
	}
	// If the function leaves a child holding its output pipes, don't let
	// Close hang on them forever.
	cmd.WaitDelay = time.Second
	f.cmd = cmd

	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("scfdriver: start %s: %w", opts.Binary, err)
	}
	go func() {
		f.waitErr = cmd.Wait()
		close(f.exited)
	}()

	client, err := f.waitReady(ctx, port, opts.StartTimeout, opts.PollInterval)
	if err != nil {
		f.Close()
		return nil, err
	}
	f.client = client
	f.readyIn = time.Since(started)
	return f, nil
}

// waitReady dials and pings until the function answers, the process exits,
// ctx ends or the timeout passes. cloudfunction.Start only listens once the
// Go runtime and the function's init() have run, so the first answered Ping
// is the honest "cold start done" moment.
func (f *Function) waitReady(ctx context.Context, port int, timeout, poll time.Duration) (*rpc.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var lastErr error
	for {
		client, err := dialAndPing(ctx, addr)
		if err == nil {
			return client, nil
		}
		lastErr = err
		select {
		case <-f.exited:
			return nil, fmt.Errorf("scfdriver: function exited before answering Ping (%v)%s", f.waitErr, f.stderrNote())
		case <-ctx.Done():
			return nil, fmt.Errorf("scfdriver: no Ping answer within %v: %w (last error: %v)%s", timeout, ctx.Err(), lastErr, f.stderrNote())
		case <-tick.C:
		}
	}
}

func dialAndPing(ctx context.Context, addr string) (*rpc.Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	client := rpc.NewClient(conn)
	if err := call(ctx, client, "Function.Ping", &messages.PingRequest{}, &messages.PingResponse{}); err != nil {
		client.Close()
		return nil, err
	}
	return client, nil
}

// call is client.Call that gives up when ctx ends. The abandoned call is
// left to net/rpc, which drops its answer if one ever arrives.
func call(ctx context.Context, client *rpc.Client, method string, args, reply any) error {
	c := client.Go(method, args, reply, make(chan *rpc.Call, 1))
	select {
	case <-c.Done:
		return c.Error
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ping calls Function.Ping on the running function.
func (f *Function) Ping() error {
	return f.client.Call("Function.Ping", &messages.PingRequest{}, &messages.PingResponse{})
}

// Invocation is one event for the function, with the metadata SCF sends
// along. Zero fields take the defaults noted.
type Invocation struct {
	Payload                         []byte
	RequestID                       string            // default: random UUID
	Timeout                         time.Duration     // default 30s; becomes Deadline and TimeLimitInMs
	Environment                     map[string]string // marshalled into InvokeRequest.Environment
	FunctionName, Namespace, Region string            // defaults "redis-restore", "default", "ap-guangzhou"
	MemoryLimitInMb                 int32             // default 64
}

// Result is what the function answered.
type Result struct {
	Payload   []byte                         // the handler's answer (JSON)
	Error     *messages.InvokeResponse_Error // the handler's error, if any; ShouldExit means it panicked
	RequestID string
	Duration  time.Duration
}

// Invoke sends one event and waits for the answer. It returns an error only
// for transport problems (process gone, connection broken, ctx ended, no
// answer shortly after the deadline); the handler's own error is in
// Result.Error.
func (f *Function) Invoke(ctx context.Context, inv Invocation) (*Result, error) {
	// The defaults are a function as deployed for this project.
	inv.RequestID, inv.Timeout = cmp.Or(inv.RequestID, uuid.New()), cmp.Or(inv.Timeout, 30*time.Second)
	inv.FunctionName, inv.Namespace = cmp.Or(inv.FunctionName, "redis-restore"), cmp.Or(inv.Namespace, "default")
	inv.Region, inv.MemoryLimitInMb = cmp.Or(inv.Region, "ap-guangzhou"), cmp.Or(inv.MemoryLimitInMb, 64)
	if inv.Environment == nil {
		inv.Environment = map[string]string{}
	}
	envJSON, err := json.Marshal(inv.Environment)
	if err != nil {
		return nil, fmt.Errorf("scfdriver: marshal environment: %w", err)
	}

	start := time.Now()
	deadline := start.Add(inv.Timeout)
	req := &messages.InvokeRequest{
		Payload:            inv.Payload,
		RequestId:          inv.RequestID,
		Deadline:           messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName:       inv.FunctionName,
		Namespace:          inv.Namespace,
		FunctionVersion:    "$LATEST",
		MemoryLimitInMb:    inv.MemoryLimitInMb,
		TimeLimitInMs:      int32(inv.Timeout.Milliseconds()),
		Environment:        string(envJSON),
		TencentcloudRegion: inv.Region,
	}

	// Unlike SCF we don't kill a handler that overruns; we stop waiting
	// for it and report a timeout, and the caller decides (usually Close).
	waitCtx, cancel := context.WithDeadline(ctx, deadline.Add(invokeGrace))
	defer cancel()
	var resp messages.InvokeResponse
	err = call(waitCtx, f.client, "Function.Invoke", req, &resp)
	dur := time.Since(start)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, fmt.Errorf("scfdriver: request %s: no answer within timeout %v (+%v grace): %w", inv.RequestID, inv.Timeout, invokeGrace, err)
		}
		if f.exitedSoon() {
			return nil, fmt.Errorf("scfdriver: request %s: function exited (%v): %w%s", inv.RequestID, f.waitErr, err, f.stderrNote())
		}
		return nil, fmt.Errorf("scfdriver: request %s: %w", inv.RequestID, err)
	}
	return &Result{Payload: resp.Payload, Error: resp.Error, RequestID: inv.RequestID, Duration: dur}, nil
}

// Close kills the process and waits for it. It is safe to call more than once.
func (f *Function) Close() error {
	var err error
	f.closeOnce.Do(func() {
		if f.client != nil {
			f.client.Close()
		}
		// A process already reaped answers ErrProcessDone: nothing to kill.
		if kerr := f.cmd.Process.Kill(); kerr != nil && !errors.Is(kerr, os.ErrProcessDone) {
			err = kerr
		}
		<-f.exited
	})
	return err
}

// PID is the function process's id.
func (f *Function) PID() int { return f.cmd.Process.Pid }

// PingReadyAfter is the time from process start to the first answered Ping:
// the cold start as SCF would see it (minus download and unzip).
func (f *Function) PingReadyAfter() time.Duration { return f.readyIn }

// exitedSoon reports whether the process exits within a moment: when the
// connection breaks, the kernel closes the socket before Wait reaps the
// process, so "has it exited" right away would often say no.
func (f *Function) exitedSoon() bool {
	select {
	case <-f.exited:
		return true
	case <-time.After(200 * time.Millisecond):
		return false
	}
}

func (f *Function) stderrNote() string {
	if s := f.stderr.String(); s != "" {
		return "\nfunction stderr (tail):\n" + s
	}
	return ""
}

// freePort asks the kernel for a free port. It is released again before the
// function binds it, so another process could take it in between; on a dev
// machine that race is rare enough, and a failure is loud (Start errors out).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
