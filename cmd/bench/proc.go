package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports (it is part of the ABI,
// whatever the kernel's own HZ).
const clockTicks = 100

// vmHWM is the peak resident set size of a process in bytes, from the
// VmHWM line of /proc/<pid>/status ("high water mark", in kB).
func vmHWM(pid int) (int64, error) { return statusField(pid, "VmHWM:") }

// vmRSS is the current resident set size in bytes.
func vmRSS(pid int) (int64, error) { return statusField(pid, "VmRSS:") }

func statusField(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, field); ok {
			fs := strings.Fields(rest)
			if len(fs) != 2 || fs[1] != "kB" {
				return 0, fmt.Errorf("unexpected %q", line)
			}
			kb, err := strconv.ParseInt(fs[0], 10, 64)
			return kb << 10, err
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// cpuTime is the CPU time a process has used so far, user plus system, of
// all its threads, from fields 14 and 15 of /proc/<pid>/stat (clock ticks,
// so 10 ms resolution: meaningful only as a difference over many events).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	fs := strings.Fields(string(b[i+1:]))
	// fs[0] is field 3 (state): utime is field 14, stime field 15.
	if len(fs) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(fs[11], 10, 64)
	st, err2 := strconv.ParseInt(fs[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// threadCPUTime is the CPU time of a process's live threads in
// nanoseconds: the first field of /proc/<pid>/task/<tid>/schedstat, summed.
// Unlike cpuTime it is exact, so a single invocation can be measured; it
// misses threads that have exited, which a Go program's rarely do.
func threadCPUTime(pid int) (time.Duration, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			if os.IsNotExist(err) {
				continue // the thread exited meanwhile
			}
			return 0, err
		}
		fs := strings.Fields(string(b))
		if len(fs) == 0 {
			return 0, fmt.Errorf("malformed %s/%s/schedstat", dir, t.Name())
		}
		ns, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed %s/%s/schedstat", dir, t.Name())
		}
		total += time.Duration(ns)
	}
	return total, nil
}

// machine is what the report says about where it ran.
type machine struct {
	CPUModel  string
	CPUs      int // logical CPUs in /proc/cpuinfo
	GoMaxProc int
	MemTotal  string
	Kernel    string
	GoVersion string
	LoadStart string
	LoadEnd   string
}

func readMachine() machine {
	m := machine{CPUModel: "unknown", CPUs: runtime.NumCPU(), GoMaxProc: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), MemTotal: "unknown", Kernel: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n := 0
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "model name":
				if m.CPUModel == "unknown" {
					m.CPUModel = strings.Join(strings.Fields(v), " ")
				}
			case "processor":
				n++
			}
		}
		if n > 0 {
			m.CPUs = n
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				fs := strings.Fields(rest)
				if kb, err := strconv.ParseFloat(fs[0], 64); err == nil {
					m.MemTotal = fmt.Sprintf("%.1f GiB", kb/(1<<20))
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	m.LoadStart = loadAvg()
	return m
}

// loadAvg is the 1, 5 and 15 minute load averages: on a shared machine,
// what else was running while the figures were taken.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fs := strings.Fields(string(b))
	if len(fs) < 3 {
		return "unknown"
	}
	return strings.Join(fs[:3], " ")
}
