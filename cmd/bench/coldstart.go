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

// coldRun is one start of the function, timed from just before exec.
type coldRun struct {
	Ping, Invoke float64 // ms to the first answered Ping, and to the first answered Invoke (a restore) sent right after it
	HWMIdle, HWM float64 // VmHWM after the first Ping, and after the first Invoke
	CPU          float64 // ms of utime+stime after the first Invoke
}

// coldSection is the cold start's figures; Baseline is the same Ping
// measurement of a minimal scf-go-lib function (echofn, built like main):
// the floor that the machine, the Go runtime and the SCF library set.
type coldSection struct {
	Runs, Baseline []coldRun
	BaselineErr    string
}

// coldStart starts the binary through internal/scfdriver, dialling every
// poll until it answers Ping (scfdriver's default 5 ms tick would be most
// of a 10 ms target), then invokes it once with a restore, unless invoke
// is false (the baseline, which does not restore).
func coldStart(bin string, w *world, invoke bool) (coldRun, error) {
	var run coldRun
	ctx := context.Background()
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin, PollInterval: poll})
	if err != nil {
		return run, err
	}
	defer fn.Close()
	run.Ping = msOf(fn.PingReadyAfter())
	pid := fn.PID()
	if run.HWMIdle, err = vmHWM(pid); err != nil || !invoke {
		return run, err
	}
	res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: w.timerEvent(), RequestID: fmt.Sprintf("bench-cold-%d", time.Now().UnixNano()),
		Timeout: 60 * time.Second, Environment: w.env(), Region: w.demo.Region})
	if err != nil {
		return run, fmt.Errorf("invoke: %w", err)
	}
	// The Invoke's own round trip, after the Ping: the /proc read above is not in it.
	run.Invoke = run.Ping + msOf(res.Duration)
	if err := checkResult(res, 1); err != nil {
		return run, fmt.Errorf("first restore: %w", err)
	}
	if run.HWM, err = vmHWM(pid); err != nil {
		return run, err
	}
	run.CPU, err = cpuTime(pid)
	return run, err
}

func runColdStarts(bin, baseline string, w *world, n int, logf func(string, ...any)) (*coldSection, error) {
	sec := &coldSection{}
	// One start of each first, not counted: it brings the binary into the
	// page cache, as it is on an SCF host that has just unzipped it.
	if _, err := coldStart(bin, w, true); err != nil {
		return nil, fmt.Errorf("cold start (warm-up): %w", err)
	}
	if baseline != "" {
		if _, err := coldStart(baseline, w, false); err != nil {
			sec.BaselineErr, baseline = err.Error(), ""
		}
	}
	// Alternate function and baseline, so that both meet the same noise;
	// a pause lets the killed process's exit and the emulator settle.
	for i := range n {
		r, err := coldStart(bin, w, true)
		if err != nil {
			return orNil(sec, len(sec.Runs)), fmt.Errorf("cold start %d: %w", i+1, err)
		}
		sec.Runs = append(sec.Runs, r)
		time.Sleep(20 * time.Millisecond)
		if baseline != "" {
			if b, err := coldStart(baseline, w, false); err != nil {
				sec.BaselineErr, baseline = err.Error(), ""
			} else {
				sec.Baseline = append(sec.Baseline, b)
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	logf("cold start: %d starts, median ping %s", n, ms(summarize(field(sec.Runs, func(r coldRun) float64 { return r.Ping })).P50))
	return sec, nil
}

// field is one figure of every run.
func field[T any](runs []T, f func(T) float64) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

// orNil is a section measured in part, or nil when nothing was measured.
func orNil[T any](sec *T, n int) *T {
	if n == 0 {
		return nil
	}
	return sec
}

// buildBaseline builds the minimal function the cold start is compared
// with, with main's flags, into dir.
func buildBaseline(dir string) (string, error) {
	out := filepath.Join(dir, "echofn")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./internal/scfdriver/testdata/echofn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the baseline function: %v: %s", err, b)
	}
	return out, nil
}
