package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports (it is part of the ABI).
const clockTicks = 100

// vmHWM is the peak resident set size of a process in bytes, from the
// VmHWM line of /proc/<pid>/status ("high water mark", in kB).
func vmHWM(pid int) (float64, error) { return statusField(pid, "VmHWM:") }

func statusField(pid int, field string) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			fs := strings.Fields(rest)
			if len(fs) != 2 || fs[1] != "kB" {
				return 0, fmt.Errorf("unexpected %q", line)
			}
			kb, err := strconv.ParseFloat(fs[0], 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// cpuTime is the CPU time a process has used so far in ms, user plus
// system, of all its threads, from fields 14 and 15 of /proc/<pid>/stat
// (clock ticks, so 10 ms resolution: meaningful only over many events).
func cpuTime(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// after it, fs[0] is field 3 (state), utime is field 14, stime 15.
	fs := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fs) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(fs[11], 10, 64)
	st, err2 := strconv.ParseInt(fs[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return float64(ut+st) * 1000 / clockTicks, nil
}

// threadCPUTime is the CPU time of a process's live threads in ms: the
// first field (ns) of /proc/<pid>/task/<tid>/schedstat, summed. Unlike
// cpuTime it is exact, so a single invocation can be measured; it misses
// threads that have exited, which a Go program's rarely do.
func threadCPUTime(pid int) (float64, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var ns int64
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if os.IsNotExist(err) {
			continue // the thread exited meanwhile
		} else if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(strings.Fields(string(b) + " x")[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed %s/%s/schedstat", dir, t.Name())
		}
		ns += n
	}
	return float64(ns) / 1e6, nil
}

// machine is what the report says about where it ran.
type machine struct {
	CPUModel, MemTotal, Kernel, LoadStart, LoadEnd string
	CPUs                                           int
}

func readMachine() machine {
	m := machine{CPUModel: "unknown", MemTotal: "unknown", Kernel: "unknown", CPUs: runtime.NumCPU(), LoadStart: loadAvg()}
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, _ := strings.Cut(line, ":"); strings.TrimSpace(k) == "model name" {
			m.CPUModel = strings.Join(strings.Fields(v), " ")
			break
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			m.MemTotal = fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

// loadAvg is the 1, 5 and 15 minute load averages: on a shared machine,
// what else was running while the figures were taken.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if fs := strings.Fields(string(b)); len(fs) >= 3 {
		return strings.Join(fs[:3], " ")
	}
	return "unknown"
}
