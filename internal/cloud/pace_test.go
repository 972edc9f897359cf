package cloud

import (
	"math/rand/v2"
	"testing"
	"time"

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
	}{{2, 0.89, 2}, {8, 0.85, 2}, {16, 0.85, 2}, {32, 0.7, 1}, {64, 0.6, 1}} {
		r, b := share(20, c.containers)
		even := 20 / float64(c.containers)
		if float64(r) > 0.9*even || float64(r) < c.least*even || b != c.burst {
			t.Errorf("%d containers: %.3f a second (%.0f%% of an even split), burst %d; want %.0f%% to 90%%, burst %d",
				c.containers, float64(r), 100*float64(r)/even, b, 100*c.least, c.burst)
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

// AIMD: RequestLimitExceeded halves the pace, once per second however
// many calls it refused together, never below a tenth of the share; each
// second after without one gives back a tenth of the share.
func TestPaceAdaptsToRequestLimitExceeded(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	p := newPacer(10, 1, t0, 0, false)
	p.observe(limitExceeded, t0)
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
// calls of each second pass). RequestLimitExceeded stays under 1% of the
// calls, and the share does not waste the limit: the containers together
// are let through at 80% of it at least, 60% beyond 20 containers.
func TestSharesHoldTheLimitTogether(t *testing.T) {
	for _, c := range []int{2, 4, 8, 12, 16, 20, 24, 32, 64} {
		calls, refused, passed, secs := simulate(t, c, 20, 300)
		if float64(refused) > 0.01*float64(calls) {
			t.Errorf("%d containers: %d of %d calls refused (%.2f%%), want at most 1%%", c, refused, calls, 100*float64(refused)/float64(calls))
		}
		least := 0.8 // of the limit
		if c > 20 {
			least = 0.6 // the price of many containers: see share
		}
		if rate := float64(passed) / secs; rate < least*20 {
			t.Errorf("%d containers: %.1f calls a second passed, want at least %.0f%% of the 20", c, rate, 100*least)
		}
		t.Logf("%d containers: %d calls, %d refused, %.1f/s passed", c, calls, refused, float64(passed)/secs)
	}
}

func simulate(t *testing.T, containers int, limit float64, seconds int) (calls, refused, passed int, secs float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(containers)))
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	end := t0.Add(time.Duration(seconds) * time.Second)
	r, b := share(limit, containers)
	type box struct {
		p        *pacer
		next     time.Time
		reserved bool
	}
	boxes := make([]*box, containers)
	for i := range boxes {
		// SCF starts the containers together, as a fleet's alarms arrive.
		boxes[i] = &box{p: newPacer(r, b, t0, rng.Float64(), true), next: t0}
	}
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
		calls++
		if s := now.Unix(); s != window {
			window, count = s, 0
		}
		var err error
		if float64(count) >= limit {
			err = limitExceeded
			refused++
		} else {
			count++
			passed++
		}
		bx.p.observe(err, now)
		// The container's other calls of a restore: 0 to 100 ms.
		bx.next = now.Add(time.Duration(1+rng.IntN(100)) * time.Millisecond)
	}
	return calls, refused, passed, end.Sub(t0).Seconds()
}
