package cloud

import (
	"context"
	"math"
	"math/rand/v2"
	"redis-restore/internal/config"
	"testing"
	"time"

	"golang.org/x/time/rate"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

var limitExceeded = tcerr.NewTencentCloudSDKError("RequestLimitExceeded", "slow down", "r1")

func TestShareOfTheLimits(t *testing.T) {
	if l := documentedLimit("SendCmqMsg"); l != 10 {
		t.Errorf("SendCmqMsg: %v a second, want the sub-account's 10", l)
	}
	if l := documentedLimit("PublishCmqMsg"); l != 10 {
		t.Errorf("PublishCmqMsg: %v a second, want the sub-account's 10", l)
	}
	if l := documentedLimit("DescribeTaskList"); l != 20 {
		t.Errorf("DescribeTaskList: %v a second, want 20", l)
	}
	if r, b := share(20, 1); r != 20 || b != 1 {
		t.Errorf("one container: %v a second, burst %d; want the whole 20, burst 1", r, b)
	}
	for _, c := range []struct {
		containers int
		least      float64 // of an even split
		burst      int
	}{{2, 0.95, 2}, {8, 0.9, 2}, {16, 0.9, 2}, {20, 0.95, 1}, {24, 0.82, 1}, {32, 0.75, 1}, {64, 0.65, 1}} {
		r, b := share(20, c.containers)
		even := 20 / float64(c.containers)
		if float64(r) > shareHeadroom*even+1e-9 || float64(r) < c.least*even-1e-9 || b != c.burst {
			t.Errorf("%d containers: %.3f a second (%.1f%% of an even split), burst %d; want %.0f%% to %.0f%%, burst %d",
				c.containers, float64(r), 100*float64(r)/even, b, 100*c.least, 100*shareHeadroom, c.burst)
		}
	}
	// The share is the largest within the target: one step more tops it,
	// unless the share is at its ceiling; and only at its floor is it
	// beyond the target (the queue's 10 a second over 64 containers).
	for _, limit := range []float64{20, 10} {
		for _, c := range []int{2, 3, 6, 8, 12, 16, 24, 32, 64, 1000} {
			r, _ := share(limit, c)
			even := limit / float64(c)
			if got := refusedShare(limit, c, float64(r)); got > refusedTarget && float64(r) > minShare*even+1e-9 {
				t.Errorf("%v a second, %d containers at %.4f: %.3f%% of the calls expected refused, want at most %.1f%%", limit, c, float64(r), 100*got, 100*refusedTarget)
			}
			next := float64(r) + shareStep*even
			if next <= shareHeadroom*even+1e-9 && float64(r) > minShare*even+1e-9 && refusedShare(limit, c, next) <= refusedTarget {
				t.Errorf("%v a second, %d containers at %.4f: a step more (%.4f) is still within the target", limit, c, float64(r), next)
			}
		}
	}
}

// refusedShare against counts done by hand.
func TestRefusedShare(t *testing.T) {
	for _, c := range []struct {
		limit float64
		n     int
		r     float64
		want  float64
	}{
		// 2 containers at 1.5 a second, 2 passing a second: 2, 3 or 4
		// calls a second (chances 1/4, 1/2, 1/4), 1 or 2 refused: on
		// average 1 of 3.
		{2, 2, 1.5, 1.0 / 3},
		{20, 4, 5, 0},        // exactly the limit, every second
		{20, 4, 6, 4.0 / 24}, // 24 calls every second, 4 refused
		{20, 20, 0.95, 0},    // at most one call each a second: never above 20
		// 21 containers at 0.5: refused only when all 21 call, 1 call,
		// with the chance 2^-21, of 10.5 calls a second.
		{20, 21, 0.5, math.Pow(0.5, 21) / 10.5},
	} {
		if got := refusedShare(c.limit, c.n, c.r); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("refusedShare(%v, %d, %v) = %v, want %v", c.limit, c.n, c.r, got, c.want)
		}
	}
}

// The settings reach the pacers: the share of an action already paced
// changes with RESTORE_CONCURRENCY, and a test's own pace wins.
func TestShareLimitsRepacesEveryAction(t *testing.T) {
	c := New(Options{})
	p := c.pacer("DescribeTaskList")
	if p.lim.Limit() != 20 {
		t.Fatalf("before ShareLimits: %v", p.lim.Limit())
	}
	c.ShareLimits(8)
	if want, _ := share(20, 8); p.lim.Limit() != want || p.lim.Burst() != 2 {
		t.Errorf("after ShareLimits(8): %v, burst %d; want %v, burst 2", p.lim.Limit(), p.lim.Burst(), want)
	}
	if want, _ := share(10, 8); c.pacer("SendCmqMsg").lim.Limit() != want {
		t.Errorf("a new action's pace after ShareLimits(8): %v, want the queue's share %v", c.pacer("SendCmqMsg").lim.Limit(), want)
	}
	c.ShareLimits(0)
	if p.lim.Limit() != 20 || p.lim.Burst() != 1 {
		t.Errorf("ShareLimits(0) is one container: %v, burst %d", p.lim.Limit(), p.lim.Burst())
	}
	fixed := New(Options{RequestsPerSecond: 1000})
	fixed.ShareLimits(16)
	if l := fixed.pacer("RestoreInstance").lim.Limit(); l != 1000 {
		t.Errorf("Options.RequestsPerSecond under ShareLimits(16): %v, want 1000", l)
	}
}

// A call marked Alone (a fleet request's admission and hand-out) is paced
// at the whole limit, by a pacer of its own: it neither waits for nor
// spends the container's share, which the other calls keep.
func TestCallsMarkedAloneTakeTheWholeLimit(t *testing.T) {
	c := New(Options{})
	c.ShareLimits(16)
	ctx := context.Background()
	shared, alone := c.pacerFor(ctx, "DescribeInstanceBackups"), c.pacerFor(Alone(ctx), "DescribeInstanceBackups")
	if want, _ := share(20, 16); shared.lim.Limit() != want {
		t.Errorf("unmarked: %v, want the share %v", shared.lim.Limit(), want)
	}
	if alone == shared || alone.lim.Limit() != 20 {
		t.Errorf("marked Alone: %v (its own pacer: %v), want the whole 20 a second", alone.lim.Limit(), alone != shared)
	}
	if l := c.pacerFor(Alone(ctx), "Invoke").lim.Limit(); l != InvokeRequestsPerSecond {
		t.Errorf("Invoke marked Alone: %v, want SCF's %d", l, InvokeRequestsPerSecond)
	}
}

// AIMD: RequestLimitExceeded halves the pace, once per second however
// many calls it refused together, never below a tenth of the share; each
// second after without one gives back a tenth of the share.
func TestPaceAdaptsToRequestLimitExceeded(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	p := newPacer(10, 1, t0, 0, false)
	p.phase = func() float64 { return 0.25 }
	p.observe(limitExceeded, t0)
	// The cut draws a new phase: the next call waits 3/4 of the new
	// interval of 200 ms (its bucket was full, a token, before).
	if tokens := p.lim.TokensAt(t0); math.Abs(tokens-0.25) > 1e-9 {
		t.Fatalf("after the cut, %v tokens, want a quarter: the next call 150 ms away", tokens)
	}
	p.observe(limitExceeded, t0.Add(100*time.Millisecond))
	if l := p.lim.Limit(); l != 5 {
		t.Fatalf("after two refusals in one second: %v, want 5", l)
	}
	for i := 1; i <= 6; i++ {
		p.observe(limitExceeded, t0.Add(time.Duration(i)*time.Second))
	}
	if l := p.lim.Limit(); l != 1 {
		t.Fatalf("after refusals in seven seconds: %v, want the floor 1", l)
	}
	at := t0.Add(6 * time.Second)
	p.observe(nil, at.Add(500*time.Millisecond))
	if l := p.lim.Limit(); l != 1 {
		t.Fatalf("half a second after the last cut: %v, want still 1", l)
	}
	for i := 1; i <= 20; i++ {
		p.observe(nil, at.Add(time.Duration(i)*time.Second))
	}
	if l := p.lim.Limit(); l != 10 {
		t.Fatalf("after 20 quiet seconds: %v, want back at the share 10", l)
	}
	p.observe(errOther, at.Add(30*time.Second))
	if l := p.lim.Limit(); l != 10 {
		t.Fatalf("another error cut the pace: %v", l)
	}
}

var errOther = tcerr.NewTencentCloudSDKError("InternalError", "oops", "r2")

// Containers that each pace an action at their share stay within the
// cloud's limit together: a simulation, on a clock of its own, of C
// containers calling one action as fast as their pacers let them, between
// other work of random length, against the cloud's window (the first 20
// calls of each second pass), five times with other phases and other
// work. With AIMD, as the function runs, RequestLimitExceeded stays under
// 1% of the calls in every run, and the share does not waste the limit:
// the containers together are let through at 85% of it at least, 60%
// beyond 20 containers.
func TestSharesHoldTheLimitTogether(t *testing.T) {
	for _, c := range []int{2, 4, 8, 12, 16, 20, 24, 32, 64} {
		r, b := share(20, c)
		for seed := range uint64(runs) {
			m := simulate(c, 20, 300, r, b, seed, true)
			if m.refusedShare() > 0.01 {
				t.Errorf("%d containers, run %d: %d of %d calls refused (%.2f%%), want at most 1%%", c, seed, m.refused, m.calls, 100*m.refusedShare())
			}
			least := 0.85 // of the limit
			if c > 20 {
				least = 0.6 // the price of many containers: see share
			}
			if m.rate() < least*20 {
				t.Errorf("%d containers, run %d: %.1f calls a second passed, want at least %.0f%% of the 20", c, seed, m.rate(), 100*least)
			}
			if seed == 0 {
				t.Logf("%d containers: %d calls, %d refused, %.1f/s passed", c, m.calls, m.refused, m.rate())
			}
		}
	}
}

// The share holds the limit by itself: without AIMD, which would hide a
// share too large behind its cuts, the simulation refuses no more than
// twice refusedTarget of the calls over its runs (the model's calls are
// not quite even: the work between them moves them). And the test can
// fail: a share a tenth larger refuses more than that, for any number of
// containers up to 32. (Beyond, the calls of a second are nearly a
// Poisson count, whose tail a tenth moves less: 64 containers a tenth
// above their share refuse 0.4%.)
func TestTheShareAloneHoldsTheLimit(t *testing.T) {
	const most = 2 * refusedTarget
	for _, c := range []int{2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 64} {
		r, b := share(20, c)
		if got := refusedAlone(c, r, b); got > most {
			t.Errorf("%d containers at their share (%.3f a second): %.2f%% of the calls refused, want at most %.2f%%", c, float64(r), 100*got, 100*most)
		}
		if c > 32 {
			continue
		}
		if got := refusedAlone(c, r*1.1, b); got <= most {
			t.Errorf("%d containers a tenth above their share (%.3f a second): %.2f%% of the calls refused; the model does not tell a share too large", c, float64(r*1.1), 100*got)
		}
	}
}

// refusedAlone is the share of the calls refused over the simulation's
// runs without AIMD.
func refusedAlone(c int, r rate.Limit, b int) float64 {
	var calls, refused int
	for seed := range uint64(runs) {
		m := simulate(c, 20, 300, r, b, seed, false)
		calls, refused = calls+m.calls, refused+m.refused
	}
	return float64(refused) / float64(calls)
}

// runs is how many times a simulation runs, each with its own phases and
// work.
const runs = 5

// model is what a simulation counted.
type model struct {
	calls, refused, passed int
	seconds                float64
}

func (m model) refusedShare() float64 { return float64(m.refused) / float64(m.calls) }
func (m model) rate() float64         { return float64(m.passed) / m.seconds }

// simulate runs the model: containers calling one action for seconds at r
// a second with burst b each, AIMD on (adapt) or off.
func simulate(containers int, limit float64, seconds int, r rate.Limit, b int, seed uint64, adapt bool) model {
	rng := rand.New(rand.NewPCG(seed, uint64(containers)))
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	end := t0.Add(time.Duration(seconds) * time.Second)
	type box struct {
		p        *pacer
		next     time.Time
		reserved bool
	}
	boxes := make([]*box, containers)
	for i := range boxes {
		// SCF starts the containers together, as a fleet's alarms arrive.
		boxes[i] = &box{p: newPacer(r, b, t0, rng.Float64(), true), next: t0}
		boxes[i].p.phase = rng.Float64
	}
	var m model
	window, count := int64(0), 0
	for {
		var bx *box
		for _, x := range boxes {
			if bx == nil || x.next.Before(bx.next) {
				bx = x
			}
		}
		now := bx.next
		if !now.Before(end) {
			break
		}
		if !bx.reserved {
			if d := bx.p.lim.ReserveN(now, 1).DelayFrom(now); d > 0 {
				bx.next, bx.reserved = now.Add(d), true
				continue
			}
		}
		bx.reserved = false
		m.calls++
		if s := now.Unix(); s != window {
			window, count = s, 0
		}
		var err error
		if float64(count) >= limit {
			err = limitExceeded
			m.refused++
		} else {
			count++
			m.passed++
		}
		if adapt {
			bx.p.observe(err, now)
		}
		// The container's other calls of a restore: 0 to 100 ms.
		bx.next = now.Add(time.Duration(1+rng.IntN(100)) * time.Millisecond)
	}
	m.seconds = end.Sub(t0).Seconds()
	return m
}

// Waits tells whether a call would wait for the container's pace: not
// with a token in hand, yes once the share is spent.
func TestWaitsSaysWhetherTheShareIsSpent(t *testing.T) {
	c := New(Options{})
	s := c.Session(config.Credentials{SecretID: "id", SecretKey: "key"}, nil)
	if s.Waits("DescribeInstanceBackups") {
		t.Fatal("a fresh container alone waits for its first call")
	}
	if err := c.pacer("DescribeInstanceBackups").lim.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !s.Waits("DescribeInstanceBackups") {
		t.Error("the token just spent: the next call does not wait")
	}
	if s.Waits("DescribeTaskList") {
		t.Error("another action's pace is its own")
	}
}
