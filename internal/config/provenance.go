package config

import (
	"fmt"
	"slices"
	"strings"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
	"redis-restore/internal/seal"
)

// MinSigningKey is the shortest RESTORE_SIGNING_KEY accepted: 32
// characters, about as much as a random 192-bit key written in base64.
const MinSigningKey = 32

// loadSigningKey reads RESTORE_SIGNING_KEY: the function's own key, held by
// nobody else (not the webhook callers, not the approvers). It proves that
// state which can start work is the function's own: a safety backup's
// remark, a clone's name, a hand-off to its own asynchronous invocation, a
// plan. Without it, none of those is trusted, so the features that need
// them refuse with this setting's name; make deploy generates one.
func (l *loader) signingKey() string {
	raw := l.getenv("RESTORE_SIGNING_KEY")
	switch {
	case raw == "":
		return ""
	case strings.TrimSpace(raw) == "":
		l.fail("RESTORE_SIGNING_KEY", "is blank: set a random key of at least 32 characters, or unset the variable")
	case len(strings.TrimSpace(raw)) < MinSigningKey:
		l.fail("RESTORE_SIGNING_KEY", fmt.Sprintf("is %d characters: at least %d are needed (openssl rand -base64 32)", len(strings.TrimSpace(raw)), MinSigningKey))
	case l.heldByOthers(raw):
		// Whoever holds it could sign plans, remarks, names and hand-offs.
		l.fail("RESTORE_SIGNING_KEY", "must differ from the webhook's and the approvers' credentials (RESTORE_WEBHOOK_SECRET, RESTORE_WEBHOOK_BASIC_AUTH, RESTORE_APPROVER_SECRET): it is the function's own key, held by nobody else")
	default:
		return strings.TrimSpace(raw)
	}
	return ""
}

// heldByOthers reports whether a value is one of the credentials that
// callers or approvers hold.
func (l *loader) heldByOthers(v string) bool {
	v = strings.TrimSpace(v)
	_, basicPass, _ := strings.Cut(l.getenv("RESTORE_WEBHOOK_BASIC_AUTH"), ":")
	for _, held := range []string{l.getenv("RESTORE_WEBHOOK_SECRET"), l.getenv("RESTORE_APPROVER_SECRET"), basicPass, l.getenv("RESTORE_WEBHOOK_BASIC_AUTH")} {
		if held = strings.TrimSpace(held); held != "" && held == v {
			return true
		}
	}
	return false
}

// regions reads RESTORE_REGIONS: the regions whose instances the function
// restores and the sweep follows, besides TENCENTCLOUD_REGION. A request
// naming any other region is refused before a cloud call: a restore the
// sweep never looks at would be accepted and then never followed.
func (l *loader) regions(home string) []string {
	out := []string{}
	if home != "" {
		out = append(out, home)
	}
	for _, r := range l.list("RESTORE_REGIONS") {
		r = strings.ToLower(r)
		if !intent.ValidRegion(r) {
			l.fail("RESTORE_REGIONS", fmt.Sprintf("%q is not a region such as ap-guangzhou", r))
			continue
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// AllowedIDs are the allow-list's entries that name one instance (no
// wildcard): what can be read by ID where a list of the region is refused.
func (c *Config) AllowedIDs() []string {
	var ids []string
	for _, p := range c.AllowedInstances {
		if !strings.ContainsAny(p, "*?[") {
			ids = append(ids, p)
		}
	}
	return ids
}

// SweptRegions are the regions requests may name and the sweep follows:
// the invocation's region (which SCF may give) and RESTORE_REGIONS.
func (c *Config) SweptRegions() []string {
	out := slices.Clone(c.Regions)
	if c.Region != "" && !slices.Contains(out, c.Region) {
		out = append([]string{c.Region}, out...)
	}
	return out
}

// Settings are the configuration as a restore sees it: config gives them
// whole, the restore reads no environment.
func (c *Config) Settings() restore.Settings {
	st := restore.Settings{
		Region: c.Region, DryRun: c.DryRun, LockRetry: c.LockRetry,
		Password: c.Password, PasswordRotates: c.PasswordSecret != "",
		AlarmBudget: c.AlarmBudget, RequestBudget: c.RequestBudget,
		Approval: c.Approval, ApprovalTTL: c.ApprovalTTL, Seal: seal.New(c.SigningKey),
		Allowed: c.Allowed, AllowedIDs: c.AllowedIDs(), Regions: c.SweptRegions(),
		Life: c.Life, Output: c.CheckOutput(), CanReport: c.CanReport(),
	}
	if !c.Credentials.Complete() {
		st.NoCredentials = failure.E(failure.Config, failure.Code(failure.CodeMissingCredentials),
			"no credentials: TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (with TENCENTCLOUD_SESSIONTOKEN) are not set; give the function an execution role")
	}
	return st
}
