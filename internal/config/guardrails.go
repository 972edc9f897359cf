package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/intent"
)

// Budget is intent.Budget: the restore owns the word, config reads it.
type Budget = intent.Budget

// Guard rails for automatic restores (issue 14).
type Guardrails struct {
	// AlarmBudget (RESTORE_BUDGET) bounds alarm-triggered restores.
	AlarmBudget Budget
	// RequestBudget (RESTORE_BUDGET_REQUESTS) bounds every other restore:
	// timers, webhooks, CMQ messages, direct invocations.
	RequestBudget Budget
	// Approval (RESTORE_APPROVAL) holds the trigger kinds whose restores
	// wait for a person: planned, then applied when approved.
	Approval map[intent.Channel]bool
	// ApprovalTTL (RESTORE_APPROVAL_TTL) is how long a plan may be approved.
	ApprovalTTL time.Duration
}

// Defaults of the guard rails: a flapping alarm restores once an hour; a
// request someone sent on purpose is not counted; nobody is asked.
var (
	DefaultAlarmBudget   = Budget{Limit: 1, Window: time.Hour}
	DefaultRequestBudget = Budget{}
)

const (
	DefaultApprovalTTL = 30 * time.Minute
	// maxBudgetWindow: DescribeTaskList reads at most the last 30 days.
	maxBudgetWindow = 30 * 24 * time.Hour
)

// ApprovalKinds are the words RESTORE_APPROVAL takes. Restores are held by
// how they reach the function, the one thing a sender cannot choose
// (intent.Channel): whoever may invoke the function can dress a request
// as a timer, a CMQ or CKafka message, an EventBridge event or an alarm,
// and whoever holds the basic-auth password can send a plain request as
// well as an alarm. So each word names the channels it cannot be told
// apart from:
//   - invoke (and its old names timer, cmq, ckafka, eventbridge, direct):
//     every event the function is invoked with;
//   - webhook: every authenticated HTTP call, signed or basic-auth;
//   - alarm: every channel an alarm arrives by, invocation and basic-auth
//     webhook: a sender of alarms could otherwise send a plain request;
//   - all, or off.
var ApprovalKinds = []string{"invoke", "webhook", "alarm", "timer", "cmq", "direct", "ckafka", "eventbridge"}

// approvalChannels are the channels each word of RESTORE_APPROVAL holds.
var approvalChannels = map[string][]intent.Channel{
	"invoke":  {intent.ChannelInvoke},
	"webhook": {intent.ChannelSigned, intent.ChannelBasic},
	"alarm":   {intent.ChannelInvoke, intent.ChannelBasic},
}

// loadGuardrails reads RESTORE_BUDGET, RESTORE_BUDGET_REQUESTS,
// RESTORE_APPROVAL and RESTORE_APPROVAL_TTL. Like every setting, a value
// that is present but unusable is an error naming it, never "off".
func (l *loader) guardrails() Guardrails {
	g := Guardrails{
		AlarmBudget:   l.budget("RESTORE_BUDGET", DefaultAlarmBudget),
		RequestBudget: l.budget("RESTORE_BUDGET_REQUESTS", DefaultRequestBudget),
		ApprovalTTL:   l.duration("RESTORE_APPROVAL_TTL", DefaultApprovalTTL),
	}
	if g.ApprovalTTL <= 0 || g.ApprovalTTL > 7*24*time.Hour {
		if strings.TrimSpace(l.getenv("RESTORE_APPROVAL_TTL")) != "" {
			l.fail("RESTORE_APPROVAL_TTL", "must be more than 0 and at most 168h")
		}
		g.ApprovalTTL = DefaultApprovalTTL
	}
	raw := l.getenv("RESTORE_APPROVAL")
	if raw == "" || strings.EqualFold(strings.TrimSpace(raw), "off") {
		return g
	}
	kinds := l.list("RESTORE_APPROVAL")
	g.Approval = map[intent.Channel]bool{}
	// Set but naming nothing: l.list has said so. Fail closed: every
	// channel waits for an approval rather than none.
	all := len(kinds) == 0
	for _, k := range kinds {
		k = strings.ToLower(k)
		switch {
		case k == "all" || k == "*":
			all = true
		case slices.Contains(ApprovalKinds, k):
			chans, ok := approvalChannels[k]
			if !ok { // timer, cmq, ...: an invoker can send any of them
				chans = approvalChannels["invoke"]
			}
			for _, c := range chans {
				g.Approval[c] = true
			}
		default:
			l.fail("RESTORE_APPROVAL", fmt.Sprintf("%q is not a kind: list some of %s, or all, or off", k, strings.Join(ApprovalKinds, ", ")))
			all = true
		}
	}
	if all {
		for _, c := range []intent.Channel{intent.ChannelInvoke, intent.ChannelSigned, intent.ChannelBasic} {
			g.Approval[c] = true
		}
	}
	return g
}

// budget reads "N/duration" (1/1h, 3/24h) or "off".
func (l *loader) budget(name string, def Budget) Budget {
	raw := l.getenv(name)
	if raw == "" {
		return def
	}
	v := strings.TrimSpace(raw)
	if strings.EqualFold(v, "off") {
		return Budget{}
	}
	n, w, ok := strings.Cut(v, "/")
	limit, nerr := strconv.Atoi(strings.TrimSpace(n))
	window, werr := time.ParseDuration(strings.TrimSpace(w))
	switch {
	case !ok || nerr != nil || werr != nil:
		l.fail(name, fmt.Sprintf("%q is not a budget such as 1/1h (restores per window), or off", v))
	case limit < 1:
		l.fail(name, fmt.Sprintf("%q allows no restore at all: the count must be at least 1 (off disables the budget)", v))
	case window <= 0 || window > maxBudgetWindow:
		l.fail(name, fmt.Sprintf("%q: the window must be more than 0 and at most 720h, the task list's reach", v))
	default:
		return Budget{Limit: limit, Window: window}
	}
	// Unusable: the strictest budget there is, so that nothing slips
	// through should the error be ignored.
	return Budget{Limit: 1, Window: maxBudgetWindow}
}

// CheckGuardrails reports a combination of settings that cannot work:
// plans are signed with the function's own key, which nobody who asks for
// a restore holds (the webhook's secret would let every caller forge an
// approved plan).
func (c *Config) CheckGuardrails() error {
	if len(c.Approval) > 0 && c.SigningKey == "" {
		return configError("RESTORE_APPROVAL", "needs RESTORE_SIGNING_KEY: plans are signed with the function's own key")
	}
	return nil
}
