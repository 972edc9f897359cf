package cloud

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// Pacing. The cloud limits each action per access region and per identity
// ("API + 接入地域 + 子账号", cloud.tencent.com/document/product/1278/109059),
// counting the first N requests of each second of its own clock. Every
// container of the function signs with the same execution role, so all of
// them share one limit per action: a fleet of restores delivered to many
// containers at once meets it together.
//
// The containers share it without talking to each other: each takes its
// share from the function's reserved concurrency, the most containers SCF
// runs at once (RESTORE_CONCURRENCY, set by whoever sets the reserved
// concurrency; see docs/fleet.md), and paces each action at that share
// with a rate.Limiter. That needs no coordinator and, when the setting is
// right, keeps RequestLimitExceeded rare by construction rather than by
// meeting it. Adapting alone (AIMD on RequestLimitExceeded, no share) was
// the alternative: it needs no setting, but it finds the limit by crossing
// it, again and again, in every container and for every action: in
// TestSharesHoldTheLimitTogether's model, 8 containers with this AIMD and
// no share had 66% of their calls refused, 16 had 79%; in internal/fleet,
// 300 alarms over 16 containers told RESTORE_CONCURRENCY=1, 19% of the
// calls (355 of 1,855, all DescribeTaskList, each restore's first), where
// RequestLimitExceeded may be 1% at most. So the share sets the pace and
// AIMD only guards it: a RequestLimitExceeded (one of the few the share
// expects, another client of the role, the console, a setting that is too
// low) halves the action's rate in this container and draws its phase
// again, and each second without one gives back a tenth of the share. The
// refused call itself is retried by the restore's one retry loop
// (internal/restore/retry.go), after an exponential, jittered pause
// (smithy-go's waiter.ComputeDelay, with smithy-go's rand).

// RequestsPerSecond is the documented limit of every Redis action the
// function calls (RestoreInstance's document: 20 a second), and of Cloud
// Monitor's GetMonitorData (20 a second by its FAQ and its guide to
// pulling data).
const RequestsPerSecond = 20

// QueueRequestsPerSecond is TDMQ CMQ's limit on SendCmqMsg and
// PublishCmqMsg for the function's identity. The queue allows 20 a second
// to a root account and 10 to a sub-account (the announcement of
// 2024-08-15, cloud.tencent.com/document/product/1496/109809). The function
// signs with its execution role's temporary credentials, never the root
// account's keys, and the cloud counts a request against the identity that
// signed it (the root account only when its own keys sign), so the lower
// one applies.
const QueueRequestsPerSecond = 10

// Share is one container's pace, calls a second, of an action limited to
// limit a second for the role, when containers of the function run at
// once (see share): for reports, such as make bench's.
func Share(limit float64, containers int) float64 {
	r, _ := share(limit, containers)
	return float64(r)
}

// documentedLimit is an action's limit per second for the function's role.
func documentedLimit(action string) float64 {
	switch action {
	case "SendCmqMsg", "PublishCmqMsg":
		return QueueRequestsPerSecond
	case "Invoke":
		return InvokeRequestsPerSecond
	}
	return RequestsPerSecond
}

// InvokeRequestsPerSecond is SCF Invoke's limit (its API page,
// cloud.tencent.com/document/api/583/17243: "默认接口请求频率限制：100次/秒"),
// the pace of a fleet's hand-out and of the webhooks' hand-offs.
const InvokeRequestsPerSecond = 100

// share is one container's pace of an action: its limit, and the burst.
//
// With more than one container it is not simply limit/containers. Each
// container paces itself evenly, but the cloud counts fixed seconds, and
// a container at 1.25 calls a second puts one call in three seconds of
// four and two in the fourth; over many containers, whose phases nobody
// chooses (newPacer makes them random), the calls of one second add up
// like coin tosses, and at an even split a third of the seconds or more
// top the limit. What counts is not the seconds but the calls:
// RequestLimitExceeded may answer 1% of them at most. So the share is the
// largest one, up to 95% of an even split, below which the calls the
// cloud is expected to refuse (refusedShare: the calls beyond the limit
// in each second, on average, of all the calls) stay within
// refusedTarget, a third of that 1%. For 20 a second that is 95% of an
// even split for 2 to 4 containers, 91% for 8, 90% for 16, 83% for 24,
// 75% for 32; for the queue's 10 a second, 86% for 8 containers and 61%
// for 16. (Two standard deviations, the bound before, gave 87% for 16
// containers, where about one second in a hundred tops the limit; at 90%
// one in twenty-five does, by a call or two, and 0.3% of the calls are
// refused.) Many containers cost throughput: see docs/fleet.md on sizing
// the reserved concurrency.
//
// The burst: a container runs one event at a time, each restore calling
// several actions in turn. With a burst of one, every call would wait its
// full interval (almost a second at 16 containers' shares) even when the
// container had not called that action for a while; two let it spend
// what it saved while it waited on the other actions, and still hold its
// average to its share. Below one call a second a burst of two would put
// two calls in one second that the share gives one, so it stays one.
func share(limit float64, containers int) (rate.Limit, int) {
	if containers <= 1 {
		// One container alone: the whole limit, evenly (a burst would put
		// more than the limit in the second it is spent in).
		return rate.Limit(limit), 1
	}
	even := limit / float64(containers)
	steps := 0 // of shareStep above minShare
	for steps < shareSteps && refusedShare(limit, containers, (minShare+float64(steps+1)*shareStep)*even) <= refusedTarget {
		steps++
	}
	r := (minShare + float64(steps)*shareStep) * even
	if r < 1 {
		return rate.Limit(r), 1
	}
	return rate.Limit(r), shareBurst
}

const (
	shareHeadroom = 0.95                                   // of an even split: the cloud's clock is not ours, nor the network's delay constant
	minShare      = 0.5                                    // of an even split, however many containers
	shareStep     = 0.005                                  // of an even split
	shareSteps    = (shareHeadroom - minShare) / shareStep // 90
	refusedTarget = 0.003                                  // of the calls: a third of the 1% allowed
	shareBurst    = 2
)

// refusedShare is the fraction of the calls the cloud is expected to
// refuse when n containers each call an action evenly at r a second, each
// at a random phase, against limit calls a fixed second. Such a container
// puts floor(r) calls in a second, or one more with the chance of r's
// fraction q; so the calls of one second are n·floor(r) plus a binomial
// count of n tosses of q, and the calls refused in it are those beyond the
// limit.
func refusedShare(limit float64, n int, r float64) float64 {
	base := math.Floor(r)
	q := r - base
	over := func(k int) float64 { return float64(n)*base + float64(k) - limit }
	if q == 0 {
		return max(0, over(0)) / (float64(n) * r)
	}
	lnN, _ := math.Lgamma(float64(n + 1))
	var excess float64
	for k := max(0, int(math.Floor(limit-float64(n)*base))+1); k <= n; k++ {
		lnK, _ := math.Lgamma(float64(k + 1))
		lnRest, _ := math.Lgamma(float64(n - k + 1))
		p := math.Exp(lnN - lnK - lnRest + float64(k)*math.Log(q) + float64(n-k)*math.Log1p(-q))
		excess += p * over(k)
		if float64(k) > float64(n)*q && p < 1e-12 {
			break // past the mean, the rest adds nothing
		}
	}
	return excess / (float64(n) * r)
}

// AIMD's steps: halve on RequestLimitExceeded, at most once a second (the
// calls in flight when the limit was met are all refused together: that
// is one signal, not many); give back a tenth of the share each second
// after; never below a tenth of it. A halving also draws the pace's phase
// again (observe): the containers refused in one second are those that
// called late in it, and halved together they would call in step, and be
// refused together, for as long as their pace recovers. In
// TestSharesHoldTheLimitTogether's model of 24 containers that lock-step
// refused 2.2% of the calls in one of its runs; with the phase drawn
// again, none of its runs comes near 1%.
const (
	cutEvery   = time.Second
	raiseEvery = time.Second
	raiseStep  = 0.1
	floorShare = 0.1
)

// pacer paces one action in this container.
type pacer struct {
	lim *rate.Limiter

	mu      sync.Mutex
	ceiling rate.Limit     // the container's share
	changed time.Time      // when the rate was last cut or raised
	phase   func() float64 // a random phase, 0 to 1: rand.Float64, or a test's
}

// newPacer starts a pacer at now. When the limit is shared by more than
// one container, it starts empty, its first call 1 − phase of an interval
// after now (phase is random, 0 to 1): containers that SCF starts together
// for a fleet would otherwise all spend their first tokens in the same
// second, and keep calling in step after it. A container's pacers share
// its first call's now and its phase (Clients.pacer): a restore's first
// calls of each action come one after the other, and a phase of their own
// would make each wait for its first token in turn, up to an interval
// each, before the container's first RestoreInstance.
func newPacer(ceiling rate.Limit, burst int, now time.Time, phase float64, shared bool) *pacer {
	p := &pacer{lim: rate.NewLimiter(ceiling, burst), ceiling: ceiling, phase: rand.Float64}
	if shared && ceiling > 0 && ceiling != rate.Inf {
		interval := time.Duration(float64(time.Second) / float64(ceiling))
		p.lim.ReserveN(now.Add(-time.Duration(phase*float64(interval))), burst)
	}
	return p
}

// reshare sets a new share, at once (a setting changed).
func (p *pacer) reshare(ceiling rate.Limit, burst int, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ceiling == ceiling && p.lim.Burst() == burst {
		return
	}
	p.ceiling = ceiling
	p.lim.SetLimitAt(now, ceiling)
	p.lim.SetBurstAt(now, burst)
	p.changed = now
}

// observe adapts the pace to a call's answer: cut on RequestLimitExceeded,
// raise back toward the share after a second without one.
func (p *pacer) observe(err error, now time.Time) {
	limited := isLimitExceeded(err)
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := p.lim.Limit()
	switch {
	case limited && now.Sub(p.changed) >= cutEvery:
		cut := max(cur/2, p.ceiling*floorShare)
		p.lim.SetLimitAt(now, cut)
		p.changed = now
		// A new phase: take away 1 − phase of a token. A reservation dated
		// phase of an interval ago takes a whole token and gives back what
		// would have accrued since (the limiter counts from that date).
		interval := float64(time.Second) / float64(cut)
		p.lim.ReserveN(now.Add(-time.Duration(p.phase()*interval)), 1)
	case !limited && cur < p.ceiling && now.Sub(p.changed) >= raiseEvery:
		p.lim.SetLimitAt(now, min(cur+p.ceiling*raiseStep, p.ceiling))
		p.changed = now
	}
}

// isLimitExceeded reports whether the cloud refused a call for its rate:
// RequestLimitExceeded and its sub-codes (UinLimitExceeded,
// GlobalRegionUinLimitExceeded, ...).
func isLimitExceeded(err error) bool {
	var sdk *tcerr.TencentCloudSDKError
	return errors.As(err, &sdk) && strings.HasPrefix(sdk.Code, "RequestLimitExceeded")
}

// pacer is the container's pacer of one action.
func (c *Clients) pacer(action string) *pacer {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pacers[action]
	if !ok {
		if c.started.IsZero() {
			c.started, c.phase = time.Now(), rand.Float64()
		}
		limit, burst := c.shareOf(action)
		p = newPacer(limit, burst, c.started, c.phase, c.perSec == 0 && c.containers > 1)
		c.pacers[action] = p
	}
	return p
}

// aloneKey marks a context whose calls are paced as if this container ran
// alone (Alone).
type aloneKey struct{}

// Alone marks ctx: its calls are paced at the whole of each action's limit
// (what one container alone may take), not at this container's share of
// it. For a fleet request's admission and hand-out, the few calls its
// members wait for: until they are made no member has started, so the
// containers whose shares make up the limit are idle for it; paced at one
// share, a thousand members would wait about nine seconds for a dozen
// reads. Work of other requests running meanwhile may meet
// RequestLimitExceeded for those few calls, and slows down as it is
// answered (observe).
func Alone(ctx context.Context) context.Context { return context.WithValue(ctx, aloneKey{}, true) }

// pacerFor is the pacer of one call: the container's share, or the
// whole limit for a call marked Alone.
func (c *Clients) pacerFor(ctx context.Context, action string) *pacer {
	if alone, _ := ctx.Value(aloneKey{}).(bool); !alone || c.perSec > 0 {
		return c.pacer(action)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.alone[action]
	if !ok {
		limit, burst := share(documentedLimit(action), 1)
		p = newPacer(limit, burst, time.Now(), 0, false)
		c.alone[action] = p
	}
	return p
}

// Waits reports whether a call of the action would wait now for this
// container's pace (a call it may leave out, where it would).
func (s *Session) Waits(action string) bool {
	return s.clients.pacer(action).lim.TokensAt(time.Now()) < 1
}

// shareOf is an action's pace in this container. Caller holds c.mu.
func (c *Clients) shareOf(action string) (rate.Limit, int) {
	if c.perSec > 0 {
		return c.perSec, 1 // Options.RequestsPerSecond: a test's own pace
	}
	return share(documentedLimit(action), c.containers)
}

// ShareLimits says how many containers of the function may run at once
// (RESTORE_CONCURRENCY, the function's reserved concurrency), so that this
// container paces every action at its share of the role's limits. The
// handler calls it with every invocation's configuration; it costs nothing
// when the number has not changed.
func (c *Clients) ShareLimits(containers int) {
	containers = max(containers, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.containers == containers {
		return
	}
	c.containers = containers
	now := time.Now()
	for action, p := range c.pacers {
		limit, burst := c.shareOf(action)
		p.reshare(limit, burst, now)
	}
}
