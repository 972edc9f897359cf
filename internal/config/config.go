// Package config reads the function's settings from its environment. SCF
// sets the environment anew before every invocation (the role's credentials
// rotate), so the handler reads a fresh Config each time.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// Config is everything an invocation needs to know about its setting.
type Config struct {
	Credentials Credentials
	Region      string // default region of every API call

	Queue string // RESTORE_QUEUE: outcomes go to this CMQ queue...
	Topic string // RESTORE_TOPIC: ...or to this CMQ topic
	// QueueAPI (RESTORE_QUEUE_API) is how they are sent: QueueAPICloud
	// or QueueAPIDataflow; QueueEndpoint (RESTORE_QUEUE_ENDPOINT) the
	// data flow's address, when not derived (see queue.go).
	QueueAPI      string
	QueueEndpoint *url.URL

	EndpointURL *url.URL // TENCENTCLOUD_ENDPOINT_URL: emulator or private endpoint

	AllowedInstances []string // RESTORE_ALLOWED_INSTANCES patterns; nil: any
	DryRun           bool

	WebhookAuth

	AlarmMargin   time.Duration // RESTORE_ALARM_MARGIN
	AlarmPolicies []string      // RESTORE_ALARM_POLICIES; nil: any

	LockRetry time.Duration // RESTORE_LOCK_RETRY: how long a locked instance or backup is retried

	// Concurrency (RESTORE_CONCURRENCY) is the function's reserved
	// concurrency, the most containers SCF runs at once: each paces its API
	// calls at this share of the role's limits (internal/cloud, pace.go).
	Concurrency int

	// Handoff (RESTORE_HANDOFF) says which HTTP calls have their restore
	// run in the function's own asynchronous invocation, answered at once
	// unless the caller asks to wait (?wait=1).
	Handoff string

	Password       string        // RESTORE_PASSWORD
	PasswordSecret string        // RESTORE_PASSWORD_SECRET: SSM secret name
	SecretTTL      time.Duration // RESTORE_SECRET_TTL
	RoleARN        string        // RESTORE_ROLE_ARN: assume this role for the Redis calls

	Guardrails           // RESTORE_BUDGET, RESTORE_APPROVAL: see guardrails.go
	Life       Lifecycle // safety backup, clones, sweep: see lifecycle.go

	// SigningKey (RESTORE_SIGNING_KEY) is the function's own key: see
	// provenance.go.
	SigningKey string
	// Regions are TENCENTCLOUD_REGION and RESTORE_REGIONS: where requests
	// may restore and the sweep looks.
	Regions []string

	FunctionName string // SCF_FUNCTIONNAME, for the messages' source
	Namespace    string

	endpointBad bool // TENCENTCLOUD_ENDPOINT_URL or RESTORE_QUEUE_ENDPOINT is set but unusable
}

// Credentials are the execution role's temporary credentials.
type Credentials struct {
	SecretID  string
	SecretKey string
	Token     string
}

// Complete reports whether the credentials can sign a request.
func (c Credentials) Complete() bool { return c.SecretID != "" && c.SecretKey != "" }

// Values of RESTORE_HANDOFF.
const (
	HandoffAlarms = "alarms" // Cloud Monitor alarm callbacks, which wait 5 s at most
	HandoffAll    = "all"    // every HTTP call
	HandoffOff    = "off"    // none
)

// Defaults for settings that have one.
const (
	DefaultAlarmMargin = 5 * time.Minute
	DefaultLockRetry   = 20 * time.Second
	DefaultSecretTTL   = 5 * time.Minute
	// MaxConcurrency bounds RESTORE_CONCURRENCY: far above any account's
	// concurrency quota, low enough that a share never rounds to nothing.
	MaxConcurrency = 10000
)

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests). Credentials are not checked here: a missing credential
// fails each restore with a clear result rather than the whole invocation.
//
// Every setting is read, also after a bad one, and the error names each bad
// setting. The Config is returned all the same, with each bad setting left
// at its zero value, so that a failure can still be reported on the queue
// when the queue's own settings are sound (see CanReport). A setting that is
// present but holds no usable value is an error, never "unset": a blank
// allow-list must not allow every instance.
func Load(getenv func(string) string) (*Config, error) {
	l := loader{getenv: getenv}
	auth, authErr := LoadWebhookAuth(getenv)
	c := &Config{
		Credentials:      loadCredentials(getenv),
		Queue:            strings.TrimSpace(getenv("RESTORE_QUEUE")),
		Topic:            strings.TrimSpace(getenv("RESTORE_TOPIC")),
		WebhookAuth:      auth,
		Password:         getenv("RESTORE_PASSWORD"),
		PasswordSecret:   strings.TrimSpace(getenv("RESTORE_PASSWORD_SECRET")),
		RoleARN:          strings.TrimSpace(getenv("RESTORE_ROLE_ARN")),
		FunctionName:     cmp.Or(getenv("SCF_FUNCTIONNAME"), "redis-restore"),
		Namespace:        cmp.Or(getenv("SCF_NAMESPACE"), "default"),
		AllowedInstances: l.patterns("RESTORE_ALLOWED_INSTANCES"),
		AlarmPolicies:    l.list("RESTORE_ALARM_POLICIES"),
		// An unusable RESTORE_DRY_RUN is a dry run: the error stops every
		// restore anyway, and nothing must run should it be ignored.
		DryRun: l.bool("RESTORE_DRY_RUN", false, true),
		// An unusable RESTORE_HANDOFF is off: the restore then runs in the
		// call, where its answer says what went wrong.
		Handoff:     l.handoff(),
		AlarmMargin: l.duration("RESTORE_ALARM_MARGIN", DefaultAlarmMargin),
		LockRetry:   l.duration("RESTORE_LOCK_RETRY", DefaultLockRetry),
		Concurrency: l.count("RESTORE_CONCURRENCY", 1, MaxConcurrency),
		SecretTTL:   l.duration("RESTORE_SECRET_TTL", DefaultSecretTTL),
		Guardrails:  l.guardrails(),
		SigningKey:  l.signingKey(),
	}
	if err := c.CheckGuardrails(); err != nil {
		l.errs = append(l.errs, err)
	}
	c.Life = loadLifecycle(&l)
	l.loadQueueAPI(c)
	if authErr != nil {
		l.errs = append(l.errs, authErr)
	}
	if r := strings.TrimSpace(getenv("TENCENTCLOUD_REGION")); r != "" {
		if intent.ValidRegion(r) {
			c.Region = r
		} else {
			l.fail("TENCENTCLOUD_REGION", fmt.Sprintf("%q is not a region such as ap-guangzhou", r))
		}
	}
	c.Regions = l.regions(c.Region)
	if raw := strings.TrimSpace(getenv("TENCENTCLOUD_ENDPOINT_URL")); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.fail("TENCENTCLOUD_ENDPOINT_URL", "is not a base URL such as http://127.0.0.1:9000")
			c.endpointBad = true
		} else {
			c.EndpointURL = u
		}
	}
	if c.PasswordSecret != "" {
		if _, err := ParseSecretRef(c.PasswordSecret); err != nil {
			l.errs = append(l.errs, err)
			c.PasswordSecret = ""
		}
	}
	switch len(l.errs) {
	case 0:
		return c, nil
	case 1:
		return c, l.errs[0]
	}
	// One error that names every bad setting, for the result and the
	// message as well as the log.
	msgs := make([]string, len(l.errs))
	for i, err := range l.errs {
		msgs[i] = err.Error()
	}
	return c, failure.E(failure.Config, failure.Code(failure.CodeInvalidConfig), strings.Join(msgs, "; "))
}

// WebhookAuth is how webhook callers prove who they are. It is read on its
// own, before the rest of the configuration, so that a caller is
// authenticated before it can learn anything about the configuration.
type WebhookAuth struct {
	Secret    string // RESTORE_WEBHOOK_SECRET: key of X-Restore-Signature
	BasicUser string // RESTORE_WEBHOOK_BASIC_AUTH, split at its first colon
	BasicPass string
	// ApproverSecret (RESTORE_APPROVER_SECRET) is the approvers' own key
	// of X-Restore-Signature: the only webhook credential that applies a
	// plan, and one that does nothing else but read a restore's status.
	// Whoever asks for a restore holds the webhook's credential; a second
	// person approves it with this one (or with the plan's link).
	ApproverSecret string
}

// Configured reports whether any webhook authentication is set up.
func (a WebhookAuth) Configured() bool {
	return a.Secret != "" || a.BasicUser != "" || a.ApproverSecret != ""
}

// LoadWebhookAuth reads the webhook authentication settings. A setting that
// is present but unusable (a blank secret, ":" or an empty user or password)
// is an error: it must never let a caller through. Its message names the
// setting, never its value.
func LoadWebhookAuth(getenv func(string) string) (WebhookAuth, error) {
	var a WebhookAuth
	var errs []error
	if raw := getenv("RESTORE_WEBHOOK_SECRET"); raw != "" {
		if strings.TrimSpace(raw) == "" {
			errs = append(errs, configError("RESTORE_WEBHOOK_SECRET", "is blank: set a secret or unset the variable"))
		} else {
			a.Secret = raw
		}
	}
	if raw := getenv("RESTORE_WEBHOOK_BASIC_AUTH"); raw != "" {
		user, pass, ok := strings.Cut(raw, ":")
		switch {
		case !ok:
			errs = append(errs, configError("RESTORE_WEBHOOK_BASIC_AUTH", "must be user:password"))
		case strings.TrimSpace(user) == "" || strings.TrimSpace(pass) == "":
			errs = append(errs, configError("RESTORE_WEBHOOK_BASIC_AUTH", "must be user:password with neither empty"))
		default:
			a.BasicUser, a.BasicPass = user, pass
		}
	}
	if raw := getenv("RESTORE_APPROVER_SECRET"); raw != "" {
		switch {
		case strings.TrimSpace(raw) == "":
			errs = append(errs, configError("RESTORE_APPROVER_SECRET", "is blank: set a secret or unset the variable"))
		case raw == a.Secret || raw == a.BasicPass:
			// The approvers' credential is worth something only if the
			// requesters do not hold it.
			errs = append(errs, configError("RESTORE_APPROVER_SECRET", "must differ from the webhook's credentials: approving takes a credential that requesters do not hold"))
		default:
			a.ApproverSecret = raw
		}
	}
	if len(errs) > 0 {
		return WebhookAuth{}, errors.Join(errs...)
	}
	return a, nil
}

// CanReport reports whether outcomes can reach the queue with this
// configuration, even one that failed to load: a failure is worth a message
// wherever the message can go.
func (c *Config) CanReport() bool {
	return c.CheckOutput() == nil && c.Credentials.Complete() && !c.endpointBad
}

// CheckOutput reports whether the outcomes have somewhere to go. Without a
// queue or topic a TaskId could be lost, so no restore may start.
func (c *Config) CheckOutput() error {
	switch {
	case c.Queue == "" && c.Topic == "":
		return failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), failure.Field("RESTORE_QUEUE"), "neither RESTORE_QUEUE nor RESTORE_TOPIC is set: the TaskId of a restore would have nowhere to go")
	case c.Queue != "" && c.Topic != "":
		return configError("RESTORE_TOPIC", "both RESTORE_QUEUE and RESTORE_TOPIC are set: set one")
	}
	return c.checkDataflow()
}

// Allowed reports whether the allow-list lets this instance be restored.
func (c *Config) Allowed(instanceID string) bool {
	return c.AllowedInstances == nil || slices.ContainsFunc(c.AllowedInstances, func(p string) bool {
		ok, _ := path.Match(p, instanceID)
		return ok
	})
}

// PolicyWanted reports whether an alarm of this policy may restore.
func (c *Config) PolicyWanted(policyID string) bool {
	return c.AlarmPolicies == nil || slices.Contains(c.AlarmPolicies, policyID)
}

// loadCredentials reads SCF's names first, then the SDK's usual ones for
// local use (the SDK's own provider knows only the latter, and no token).
func loadCredentials(getenv func(string) string) Credentials {
	c := Credentials{
		SecretID:  getenv("TENCENTCLOUD_SECRETID"),
		SecretKey: getenv("TENCENTCLOUD_SECRETKEY"),
		Token:     getenv("TENCENTCLOUD_SESSIONTOKEN"),
	}
	if c.SecretID == "" && c.SecretKey == "" {
		c.SecretID = getenv("TENCENTCLOUD_SECRET_ID")
		c.SecretKey = getenv("TENCENTCLOUD_SECRET_KEY")
		c.Token = cmp.Or(getenv("TENCENTCLOUD_SESSION_TOKEN"), getenv("TENCENTCLOUD_TOKEN"))
	}
	return c
}

// loader reads settings and collects what is wrong with them.
type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) fail(name, msg string) { l.errs = append(l.errs, configError(name, msg)) }

// bool reads a yes-or-no setting with ParseBool: def when it is unset,
// bad (the safe side) when it holds anything else.
func (l *loader) bool(name string, def, bad bool) bool {
	raw := l.getenv(name)
	if raw == "" {
		return def
	}
	v, err := ParseBool(raw)
	if err != nil {
		l.fail(name, err.Error())
		return bad
	}
	return v
}

// handoff reads RESTORE_HANDOFF: one of its words, or a yes-or-no as
// ParseBool reads it (false, as the README's Security section writes it,
// is off; true is the default, alarms).
func (l *loader) handoff() string {
	raw := l.getenv("RESTORE_HANDOFF")
	if v, err := ParseBool(raw); err == nil && raw != "" {
		if v {
			return HandoffAlarms
		}
		return HandoffOff
	}
	return l.oneOf("RESTORE_HANDOFF", HandoffAlarms, HandoffOff, HandoffAlarms, HandoffAll, HandoffOff)
}

func (l *loader) duration(name string, def time.Duration) time.Duration {
	raw := strings.TrimSpace(l.getenv(name))
	if raw == "" {
		return def
	}
	v, err := time.ParseDuration(raw)
	if err != nil || v < 0 {
		l.fail(name, fmt.Sprintf("%q is not a duration such as 5m", raw))
		return def
	}
	return v
}

// count reads a whole number from 1 to most; def when it is unset.
func (l *loader) count(name string, def, most int) int {
	raw := strings.TrimSpace(l.getenv(name))
	if raw == "" {
		return def
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 || v > most {
		l.fail(name, fmt.Sprintf("%q is not a whole number from 1 to %d", raw, most))
		return def
	}
	return v
}

// oneOf reads a setting that takes one of a few words: def when it is
// unset, bad (the safest word) when it is none of them.
func (l *loader) oneOf(name, def, bad string, words ...string) string {
	raw := strings.ToLower(strings.TrimSpace(l.getenv(name)))
	if raw == "" {
		return def
	}
	if slices.Contains(words, raw) {
		return raw
	}
	l.fail(name, fmt.Sprintf("%q is not one of %s", raw, strings.Join(words, ", ")))
	return bad
}

// list reads a comma-separated list: nil when the variable is unset or
// empty, an error when it is set but names nothing (" , ").
func (l *loader) list(name string) []string {
	raw := l.getenv(name)
	if raw == "" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(raw, ",") {
		if p := strings.Join(strings.Fields(part), ""); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		l.fail(name, "is set but names nothing: list at least one entry, or unset it")
		return []string{} // not nil: an empty list allows nothing
	}
	return out
}

// patterns reads a list of instance patterns (path.Match syntax).
func (l *loader) patterns(name string) []string {
	ps := l.list(name)
	for _, p := range ps {
		if _, err := path.Match(p, "crs-x"); err != nil {
			l.fail(name, fmt.Sprintf("bad pattern %q", p))
			return []string{}
		}
	}
	return ps
}

func configError(name, msg string) error {
	return failure.E(failure.Config, failure.Code(failure.CodeInvalidConfig), failure.Field(name), msg)
}
