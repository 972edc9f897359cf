package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// summary describes a sample: the figures the report shows.
type summary struct {
	N                int
	Min, Max         float64
	P25, Median, P75 float64
	P99              float64
	Mean             float64
	valid            bool
}

// summarize sorts a copy of xs and takes its order statistics (nearest
// rank: p99 of 150 samples is the 149th smallest).
func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	return summary{
		N: len(s), Min: s[0], Max: s[len(s)-1],
		P25: rank(s, 0.25), Median: median(s), P75: rank(s, 0.75), P99: rank(s, 0.99),
		Mean: sum / float64(len(s)), valid: true,
	}
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func rank(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// durations converts durations to float64 milliseconds.
func durations(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}

// ms formats milliseconds with a precision that suits their size.
func ms(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v >= 1000:
		return fmt.Sprintf("%.3f s", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

// mib formats bytes as MiB, with the decimal MB alongside when asked.
func mib(b float64) string {
	return fmt.Sprintf("%.1f MiB", b/(1<<20))
}

func mibMB(b float64) string {
	return fmt.Sprintf("%.2f MiB (%.2f MB)", b/(1<<20), b/1e6)
}

func yesNo(ok bool) string {
	if ok {
		return "**yes**"
	}
	return "**no**"
}
