package cloudemu

import (
	"strings"
	"time"
)

// The cloud's API rate limits, as Tencent's "API 频率限制说明"
// (cloud.tencent.com/document/product/1278/109059) describes them: an
// action's limit counts the requests of one API, one access region and
// one sub-account ("当使用主账号直接请求时,主账号即为子账号": the root account's
// own keys count as one more), and in each second of the server's clock
// the first N requests pass and the rest are refused with
// RequestLimitExceeded ("每一秒钟的前20次请求都能成功到达业务后端"; the window is
// the request's arrival, not its sending). The emulator therefore keeps a
// fixed one-second window per action and principal, aligned to the seconds
// of its clock, rather than a token bucket: a token bucket would refuse
// bursts the cloud lets through at a second's start, and let through
// nothing that the cloud refuses, so a client tuned against it would be
// tuned against the wrong thing. The emulator has one access region (its
// address), so the region drops out.

// Principal is who signs a request, as the limits count it: a sub-account
// or a role of an account, or the account's root (Name "").
type Principal struct {
	Account string // the root account's UIN
	Name    string // the sub-account or role; "" for the root account itself
}

// Root reports whether p is the root account's own identity.
func (p Principal) Root() bool { return p.Name == "" }

func (p Principal) String() string {
	if p.Root() {
		return p.Account + " (root)"
	}
	return p.Account + "/" + p.Name
}

// DefaultAccount is the account of every credential the emulator has, and
// DefaultPrincipal the identity AddCredential's keys belong to: the
// execution role, a sub-account as the limits see it.
const DefaultAccount = "100000000001"

var DefaultPrincipal = Principal{Account: DefaultAccount, Name: "roleName/RedisRestoreRole"}

// RateLimit is an action's limit in requests per second per principal.
type RateLimit struct {
	PerSecond int // the root account's keys, and sub-accounts unless SubAccount is set
	// SubAccount is a lower limit for each sub-account and role, where the
	// document gives one (TDMQ CMQ's sends: 20 for the root account, 10
	// for a sub-account); 0 means PerSecond.
	SubAccount int
}

// DocumentedLimits are the limits of the API documents, for the actions
// the function calls: 20 a second for every Redis action (RestoreInstance's
// page, the seed document; DescribeInstanceBackups allows 20 to 50 by page
// size, 20 is the floor), and for TDMQ CMQ's SendCmqMsg and PublishCmqMsg
// 20 per root account and 10 per sub-account (the announcement of
// 2024-08-15, ../shared/platform.md); Cloud Monitor's GetMonitorData 20
// ("Using API to Pull Tencent Cloud Service Monitoring Data", and the
// FAQ of 2024-11: "默认调用频率上限为 20次/秒"; its API page of 2024-04 says 50,
// the lower is taken); SCF's Invoke 100. SSM and STS are not limited here:
// the function calls them a few times per container, not per restore.
var DocumentedLimits = map[string]RateLimit{
	"RestoreInstance":               {PerSecond: 20},
	"DescribeInstanceBackups":       {PerSecond: 20},
	"DescribeTaskInfo":              {PerSecond: 20},
	"DescribeTaskList":              {PerSecond: 20},
	"DescribeInstances":             {PerSecond: 20},
	"ManualBackupInstance":          {PerSecond: 20},
	"CloneInstances":                {PerSecond: 20},
	"DescribeInstanceSecurityGroup": {PerSecond: 20},
	"SendCmqMsg":                    {PerSecond: 20, SubAccount: 10},
	"PublishCmqMsg":                 {PerSecond: 20, SubAccount: 10},
	"GetMonitorData":                {PerSecond: 20},
	"TagResources":                  {PerSecond: 20},
	// SCF Invoke (its API page, 583/17243): a fleet's hand-out, the
	// webhooks' hand-offs.
	"Invoke": {PerSecond: 100},
}

// window counts one principal's requests of one action in one second.
type window struct {
	second int64 // unix second of the emulator's clock
	n      int
}

type windowKey struct {
	action    string
	principal Principal
}

// SetRateLimit limits an action to perSecond requests in each second of
// the emulator's clock (Options.Now, so that a frozen test clock throttles
// deterministically) for each principal; beyond it requests get
// RequestLimitExceeded. 0 switches the limit off.
func (e *Emulator) SetRateLimit(action string, perSecond int) {
	e.SetLimit(action, RateLimit{PerSecond: perSecond})
}

// SetLimit sets an action's limit, with its sub-account's own where there
// is one. A zero RateLimit switches it off.
func (e *Emulator) SetLimit(action string, l RateLimit) {
	defer e.lock()()
	if l.PerSecond <= 0 {
		delete(e.limits, action)
		return
	}
	e.limits[action] = l
}

// LimitAccount switches on DocumentedLimits and the data flow's limit of
// each queue and topic (DataflowPerSecond): the account as the cloud
// enforces it.
func (e *Emulator) LimitAccount() {
	for action, l := range DocumentedLimits {
		e.SetLimit(action, l)
	}
	e.SetDataflowLimit(DataflowPerSecond)
}

// Throttled counts, by action, the requests refused with
// RequestLimitExceeded by the limits (not those of injected faults).
func (e *Emulator) Throttled() map[string]int {
	defer e.lock()()
	out := make(map[string]int, len(e.throttled))
	for k, v := range e.throttled {
		out[k] = v
	}
	return out
}

// CallCounts returns Calls for every action that was called.
func (e *Emulator) CallCounts() map[string]int {
	defer e.lock()()
	out := make(map[string]int, len(e.calls))
	for k, v := range e.calls {
		if k != "" {
			out[k] = v
		}
	}
	return out
}

// principal is the owner of a SecretId. Caller holds e.mu.
func (e *Emulator) principal(secretID string) Principal {
	if c, ok := e.creds[secretID]; ok && c.owner != (Principal{}) {
		return c.owner
	}
	return DefaultPrincipal
}

// throttle admits or refuses one authenticated request. Caller holds e.mu.
func (e *Emulator) throttle(action, secretID string, now time.Time) *apiError {
	l, ok := e.limits[action]
	if !ok {
		return nil
	}
	p := e.principal(secretID)
	limit := l.PerSecond
	if !p.Root() && l.SubAccount > 0 {
		limit = l.SubAccount
	}
	k := windowKey{action: action, principal: p}
	w := e.windows[k]
	if sec := now.Unix(); w.second != sec {
		w = window{second: sec}
	}
	if w.n >= limit {
		e.throttled[action]++
		return errf("RequestLimitExceeded", "the action %s is limited to %d requests per second for %s", action, limit, p)
	}
	w.n++
	e.windows[k] = w
	return nil
}

// roleOwner is the principal of the credentials AssumeRole issues for a
// role ARN such as qcs::cam::uin/100000000001:roleName/RedisRestoreRole:
// the role, in the account the ARN names.
func roleOwner(arn string) Principal {
	_, rest, ok := strings.Cut(arn, "uin/")
	if !ok {
		return Principal{Account: DefaultAccount, Name: arn}
	}
	account, name, _ := strings.Cut(rest, ":")
	return Principal{Account: account, Name: name}
}
