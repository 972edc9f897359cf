package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// goBenchSection is the output of the Go micro-benchmarks: go test's own
// figures, each benchmark's -count runs gathered.
type goBenchSection struct {
	Args    []string
	Raw     string
	Elapsed time.Duration
	Results []*goBench // in the order first seen
}

// goBench is one benchmark's figures by unit (ns/op, B/op, allocs/op, ...),
// one value a run.
type goBench struct {
	Pkg, Name string
	Units     map[string][]float64
}

func runGoBench() (*goBenchSection, error) {
	args := append([]string{"go", "test", "-run=^$", "-bench=.", "-benchmem", "-benchtime=" + benchtime, "-count=" + strconv.Itoa(count), "-timeout=4m"}, goBenchPkgs...)
	sec := &goBenchSection{Args: args}
	t := time.Now()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	sec.Elapsed, sec.Raw = time.Since(t), string(out)
	byKey := map[string]*goBench{}
	pkg := ""
	for _, line := range strings.Split(sec.Raw, "\n") {
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
		}
		name, units, ok := parseBenchLine(line)
		if !ok {
			continue
		}
		b := byKey[pkg+" "+name]
		if b == nil {
			b = &goBench{Pkg: pkg, Name: name, Units: map[string][]float64{}}
			byKey[pkg+" "+name] = b
			sec.Results = append(sec.Results, b)
		}
		for u, v := range units {
			b.Units[u] = append(b.Units[u], v)
		}
	}
	if err == nil && len(sec.Results) == 0 {
		err = fmt.Errorf("no benchmark results")
	}
	if err != nil {
		return orNil(sec, len(sec.Results)), fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, sec.Raw)
	}
	return sec, nil
}

// parseBenchLine reads a line of the benchmark format: the name (without
// its -GOMAXPROCS suffix), the iterations, then value-unit pairs.
func parseBenchLine(line string) (name string, units map[string]float64, ok bool) {
	fs := strings.Fields(line)
	if len(fs) < 4 || !strings.HasPrefix(fs[0], "Benchmark") || fs[3] != "ns/op" {
		return "", nil, false
	}
	if _, err := strconv.Atoi(fs[1]); err != nil {
		return "", nil, false
	}
	name = fs[0]
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	units = map[string]float64{}
	for i := 2; i+1 < len(fs); i += 2 {
		if v, err := strconv.ParseFloat(fs[i], 64); err == nil {
			units[fs[i+1]] = v
		}
	}
	return name, units, true
}

// nsText formats nanoseconds per operation.
func nsText(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}
