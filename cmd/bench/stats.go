package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// stat is the order statistics of a sample: nearest rank (p99 of 150
// samples is the 149th smallest), the median the mean of the middle two.
type stat struct {
	N                                 int
	Min, P25, P50, P75, P99, Max, sum float64
}

func summarize(xs []float64) stat {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n == 0 {
		return stat{}
	}
	rank := func(p float64) float64 { return s[max(0, int(math.Ceil(p*float64(n)))-1)] }
	var sum float64
	for _, x := range s {
		sum += x
	}
	return stat{n, s[0], rank(.25), (s[(n-1)/2] + s[n/2]) / 2, rank(.75), rank(.99), s[n-1], sum}
}

func (s stat) mean() float64 { return s.sum / float64(max(1, s.N)) }

// msOf is a duration in float64 milliseconds, the unit of every sample.
func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ms formats milliseconds with a precision that suits their size.
func ms(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.3f s", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func mib(b float64) string   { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
func mibMB(b float64) string { return fmt.Sprintf("%.2f MiB (%.2f MB)", b/(1<<20), b/1e6) }

func yesNo(ok bool) string {
	if ok {
		return "**yes**"
	}
	return "**no**"
}

// table is a Markdown table: a header row, then rows of any values.
type table [][]string

func newTable(head ...string) *table { t := table{head}; return &t }

func (t *table) row(cells ...any) {
	r := make([]string, len(cells))
	for i, c := range cells {
		r[i] = fmt.Sprint(c)
	}
	*t = append(*t, r)
}

func (t *table) String() string {
	var b strings.Builder
	for i, r := range *t {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
		if i == 0 {
			fmt.Fprintf(&b, "|%s\n", strings.Repeat(" --- |", len(r)))
		}
	}
	return b.String()
}
