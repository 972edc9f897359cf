package config

import (
	"maps"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

func TestGuardrailDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.AlarmBudget != (Budget{Limit: 1, Window: time.Hour}) || !c.RequestBudget.Off() {
		t.Errorf("budgets: alarm %v, requests %v; want 1/1h and off", c.AlarmBudget, c.RequestBudget)
	}
	if len(c.Approval) != 0 || c.ApprovalTTL != 30*time.Minute {
		t.Errorf("approval: %v %s; want none, 30m", c.Approval, c.ApprovalTTL)
	}
}

func TestBudgetSettings(t *testing.T) {
	for raw, want := range map[string]Budget{
		"1/1h": {Limit: 1, Window: time.Hour}, " 3/24h ": {Limit: 3, Window: 24 * time.Hour}, "2/30m": {Limit: 2, Window: 30 * time.Minute}, "off": {}, "OFF": {},
	} {
		c, err := Load(env(map[string]string{"RESTORE_BUDGET": raw, "RESTORE_BUDGET_REQUESTS": raw}))
		if err != nil || c.AlarmBudget != want || c.RequestBudget != want {
			t.Errorf("%q: %v %v %v, want %v", raw, c.AlarmBudget, c.RequestBudget, err, want)
		}
	}
	if got := (Budget{Limit: 1, Window: time.Hour}).String(); got != "1/1h" {
		t.Errorf("String = %q", got)
	}
}

// A budget that is present but unusable stops every restore, naming the
// setting: it never falls back to "off".
func TestUnusableGuardrailSettingsFailClosed(t *testing.T) {
	for _, c := range []struct{ name, val string }{
		{"RESTORE_BUDGET", " "}, {"RESTORE_BUDGET", "1"}, {"RESTORE_BUDGET", "0/1h"}, {"RESTORE_BUDGET", "-1/1h"},
		{"RESTORE_BUDGET", "1/forever"}, {"RESTORE_BUDGET", "1/0s"}, {"RESTORE_BUDGET", "1/800h"}, {"RESTORE_BUDGET", "one/1h"},
		{"RESTORE_BUDGET_REQUESTS", "1h"}, {"RESTORE_APPROVAL", "alarms"}, {"RESTORE_APPROVAL", " , "},
		{"RESTORE_APPROVAL_TTL", "0s"}, {"RESTORE_APPROVAL_TTL", "later"},
	} {
		vars := map[string]string{c.name: c.val, "RESTORE_WEBHOOK_SECRET": "s"}
		cfg, err := Load(env(vars))
		if err == nil || !strings.Contains(err.Error(), c.name) || failure.KindOf(err) != failure.Config {
			t.Errorf("%s=%q: %v, want a configuration error naming it", c.name, c.val, err)
			continue
		}
		if strings.HasPrefix(c.name, "RESTORE_BUDGET") && (cfg.AlarmBudget.Off() || (c.name == "RESTORE_BUDGET_REQUESTS" && cfg.RequestBudget.Off())) {
			t.Errorf("%s=%q left the budget off", c.name, c.val)
		}
	}
}

const testSigningKey = "a-test-signing-key-of-32-characters!"

// RESTORE_APPROVAL holds by channel, and each word holds every channel it
// cannot be told apart from: a sender cannot dress its way out.
func TestApprovalKinds(t *testing.T) {
	all := map[intent.Channel]bool{intent.ChannelInvoke: true, intent.ChannelSigned: true, intent.ChannelBasic: true}
	for raw, want := range map[string]map[intent.Channel]bool{
		"invoke":        {intent.ChannelInvoke: true},
		"direct":        {intent.ChannelInvoke: true}, // a direct invoker can send a timer's shape
		"timer":         {intent.ChannelInvoke: true},
		"cmq, ckafka":   {intent.ChannelInvoke: true},
		"webhook":       {intent.ChannelSigned: true, intent.ChannelBasic: true},
		"alarm":         {intent.ChannelInvoke: true, intent.ChannelBasic: true},
		"alarm,webhook": all,
		"all":           all,
		"*":             all,
	} {
		c, err := Load(env(map[string]string{"RESTORE_APPROVAL": raw, "RESTORE_SIGNING_KEY": testSigningKey}))
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if !maps.Equal(c.Approval, want) {
			t.Errorf("RESTORE_APPROVAL=%q holds %v, want %v", raw, c.Approval, want)
		}
	}
	if c, err := Load(env(map[string]string{"RESTORE_APPROVAL": "off"})); err != nil || len(c.Approval) != 0 {
		t.Errorf("off: %v %v", c.Approval, err)
	}
	// Plans are signed with the function's own key: without one, approval
	// cannot work, and says so. The webhook's secret is no substitute.
	if _, err := Load(env(map[string]string{"RESTORE_APPROVAL": "alarm", "RESTORE_WEBHOOK_SECRET": "s"})); err == nil || !strings.Contains(err.Error(), "RESTORE_APPROVAL") || !strings.Contains(err.Error(), "RESTORE_SIGNING_KEY") {
		t.Errorf("approval without a signing key: %v", err)
	}
}

func TestSigningKeyAndRegions(t *testing.T) {
	for _, bad := range []string{" ", "short"} {
		if _, err := Load(env(map[string]string{"RESTORE_SIGNING_KEY": bad})); err == nil || !strings.Contains(err.Error(), "RESTORE_SIGNING_KEY") {
			t.Errorf("RESTORE_SIGNING_KEY=%q: %v", bad, err)
		}
	}
	c, err := Load(env(map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou", "RESTORE_REGIONS": "ap-shanghai, ap-guangzhou"}))
	if err != nil || strings.Join(c.SweptRegions(), ",") != "ap-guangzhou,ap-shanghai" {
		t.Errorf("regions %v %v", c.SweptRegions(), err)
	}
	if _, err := Load(env(map[string]string{"RESTORE_REGIONS": "sh"})); err == nil || !strings.Contains(err.Error(), "RESTORE_REGIONS") {
		t.Errorf("RESTORE_REGIONS=sh: %v", err)
	}
	c, _ = Load(env(map[string]string{"RESTORE_ALLOWED_INSTANCES": "crs-abcd1234,crs-prod*"}))
	if ids := c.AllowedIDs(); len(ids) != 1 || ids[0] != "crs-abcd1234" {
		t.Errorf("allowed IDs %v", ids)
	}
}
