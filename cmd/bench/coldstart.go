package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"redis-restore/internal/scfdriver"
)

// coldRun is one start of the function, measured from just before the
// process is started.
type coldRun struct {
	Ping    time.Duration // first answered Function.Ping
	Invoke  time.Duration // first answered Function.Invoke (a restore), sent right after the Ping
	HWMIdle int64         // VmHWM after the first Ping
	HWM     int64         // VmHWM after the first Invoke
	CPU     time.Duration // utime+stime after the first Invoke
}

// coldStart starts the binary as SCF does, through internal/scfdriver,
// dialling every poll until the function answers Ping (with a 10 ms
// target, scfdriver's default 5 ms tick would be most of the figure), then
// invokes it once with a restore.
//
// With invoke false it stops after the Ping: for the baseline function,
// which does not restore.
func coldStart(bin string, w *world, poll time.Duration, invoke bool) (coldRun, error) {
	var run coldRun
	ctx := context.Background()
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin, PollInterval: poll})
	if err != nil {
		return run, err
	}
	defer fn.Close()
	run.Ping = fn.PingReadyAfter()
	pid := fn.PID()
	if run.HWMIdle, err = vmHWM(pid); err != nil || !invoke {
		return run, err
	}

	res, err := fn.Invoke(ctx, scfdriver.Invocation{
		Payload:     w.timerEvent(),
		RequestID:   fmt.Sprintf("bench-cold-%d", time.Now().UnixNano()),
		Timeout:     60 * time.Second,
		Environment: w.env(),
		Region:      w.demo.Region,
	})
	if err != nil {
		return run, fmt.Errorf("invoke: %w", err)
	}
	// The Invoke's own round trip, after the Ping: the /proc read above is
	// not in it.
	run.Invoke = run.Ping + res.Duration
	if res.Error != nil {
		return run, fmt.Errorf("invoke answered error %s: %s", res.Error.Type, res.Error.Message)
	}
	rs, err := parseAnswer(res.Payload)
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
