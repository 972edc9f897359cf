package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// goBenchSection is the output of the Go micro-benchmarks.
type goBenchSection struct {
	Args    []string
	Raw     string
	Elapsed time.Duration
	Results []*goBench // in the order first seen
}

// goBench is one benchmark over its -count runs.
type goBench struct {
	Pkg, Name string
	NsOp      []float64
	BytesOp   []float64
	AllocsOp  []float64
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)$`)

// runGoBench runs the packages' benchmarks with go test and parses the
// standard benchmark format.
func runGoBench(goCmd string, pkgs []string, benchtime string, count int) (*goBenchSection, error) {
	args := []string{"test", "-run=^$", "-bench=.", "-benchmem", "-benchtime=" + benchtime, "-count=" + strconv.Itoa(count), "-timeout=4m"}
	args = append(args, pkgs...)
	sec := &goBenchSection{Args: append([]string{goCmd}, args...)}
	cmd := exec.Command(goCmd, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	t := time.Now()
	err := cmd.Run()
	sec.Elapsed = time.Since(t)
	sec.Raw = out.String()
	if err != nil {
		return sec, fmt.Errorf("%s: %w\n%s", strings.Join(sec.Args, " "), err, sec.Raw)
	}
	byKey := map[string]*goBench{}
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(sec.Raw))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := pkg + " " + m[1]
		b := byKey[key]
		if b == nil {
			b = &goBench{Pkg: pkg, Name: m[1]}
			byKey[key] = b
			sec.Results = append(sec.Results, b)
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		b.NsOp = append(b.NsOp, ns)
		fs := strings.Fields(m[3])
		for i := 0; i+1 < len(fs); i += 2 {
			v, err := strconv.ParseFloat(fs[i], 64)
			if err != nil {
				continue
			}
			switch fs[i+1] {
			case "B/op":
				b.BytesOp = append(b.BytesOp, v)
			case "allocs/op":
				b.AllocsOp = append(b.AllocsOp, v)
			}
		}
	}
	if len(sec.Results) == 0 {
		return sec, fmt.Errorf("no benchmark results in the output of %s", strings.Join(sec.Args, " "))
	}
	return sec, nil
}

// nsText formats nanoseconds per operation.
func nsText(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}
