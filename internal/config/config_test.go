package config

import (
	"strings"
	"testing"
	"time"

	"redis-restore/internal/failure"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.AlarmMargin != 5*time.Minute || c.LockRetry != DefaultLockRetry || c.SecretTTL != 5*time.Minute || c.DryRun || c.Concurrency != 1 {
		t.Errorf("defaults: %+v", c)
	}
	if c.AllowedInstances != nil || !c.Allowed("crs-anything") || !c.PolicyWanted("policy-x") {
		t.Error("an unset allow-list must allow any instance and policy")
	}
	if err := c.CheckOutput(); err == nil || !strings.Contains(err.Error(), "RESTORE_QUEUE") {
		t.Errorf("no queue: %v", err)
	}
}

func TestLoadRefusesBadValuesByName(t *testing.T) {
	for name, val := range map[string]string{
		"RESTORE_DRY_RUN":            "maybe",
		"RESTORE_ALARM_MARGIN":       "5 minutes",
		"RESTORE_LOCK_RETRY":         "-1s",
		"RESTORE_SECRET_TTL":         "soon",
		"TENCENTCLOUD_ENDPOINT_URL":  "127.0.0.1:9000",
		"RESTORE_WEBHOOK_BASIC_AUTH": "no-colon",
		"RESTORE_ALLOWED_INSTANCES":  "crs-[",
		"RESTORE_CONCURRENCY":        "0",
	} {
		_, err := Load(env(map[string]string{name: val}))
		if err == nil || !strings.Contains(err.Error(), name) || failure.KindOf(err) != failure.Config {
			t.Errorf("%s=%q: %v", name, val, err)
		}
	}
}

// RESTORE_CONCURRENCY is a whole number of containers, 1 to MaxConcurrency.
func TestLoadConcurrency(t *testing.T) {
	for val, want := range map[string]int{"16": 16, " 1 ": 1, "10000": 10000} {
		c, err := Load(env(map[string]string{"RESTORE_CONCURRENCY": val}))
		if err != nil || c.Concurrency != want {
			t.Errorf("RESTORE_CONCURRENCY=%q: %d, %v; want %d", val, c.Concurrency, err, want)
		}
	}
	for _, val := range []string{"-1", "10001", "1.5", "sixteen", " , "} {
		c, err := Load(env(map[string]string{"RESTORE_CONCURRENCY": val}))
		if err == nil || !strings.Contains(err.Error(), "RESTORE_CONCURRENCY") || !strings.Contains(err.Error(), "whole number") || c.Concurrency != 1 {
			t.Errorf("RESTORE_CONCURRENCY=%q: %d, %v; want an error naming it, and 1", val, c.Concurrency, err)
		}
	}
}

// A setting that is present but holds nothing usable is an error: read as
// "unset", a blank allow-list would allow every instance.
func TestPresentButBlankSettingsFailClosed(t *testing.T) {
	for _, c := range []struct{ name, val string }{
		{"RESTORE_ALLOWED_INSTANCES", " , "},
		{"RESTORE_ALLOWED_INSTANCES", ","},
		{"RESTORE_ALLOWED_INSTANCES", " "},
		{"RESTORE_ALARM_POLICIES", " , "},
		{"RESTORE_WEBHOOK_BASIC_AUTH", ":"},
		{"RESTORE_WEBHOOK_BASIC_AUTH", "user:"},
		{"RESTORE_WEBHOOK_BASIC_AUTH", ":password"},
		{"RESTORE_WEBHOOK_SECRET", "  "},
		{"TENCENTCLOUD_REGION", "guangzhou"},
		{"TENCENTCLOUD_REGION", "ap-guangzhou/x"},
	} {
		c2, err := Load(env(map[string]string{c.name: c.val}))
		if err == nil || !strings.Contains(err.Error(), c.name) || failure.KindOf(err) != failure.Config {
			t.Errorf("%s=%q: %v", c.name, c.val, err)
			continue
		}
		if c.name == "RESTORE_ALLOWED_INSTANCES" && c2.Allowed("crs-anything") {
			t.Errorf("%s=%q allows every instance", c.name, c.val)
		}
		if c.name == "RESTORE_ALARM_POLICIES" && c2.PolicyWanted("policy-x") {
			t.Errorf("%s=%q accepts every policy", c.name, c.val)
		}
		if strings.Contains(c.name, "WEBHOOK") {
			if _, aerr := LoadWebhookAuth(env(map[string]string{c.name: c.val})); aerr == nil || c2.WebhookAuth.Configured() {
				t.Errorf("%s=%q: webhook auth accepted it: %v", c.name, c.val, aerr)
			} else if strings.Contains(aerr.Error(), strings.TrimSpace(c.val)+"\"") && strings.TrimSpace(c.val) != "" {
				t.Errorf("%s: the error repeats the value: %v", c.name, aerr)
			}
		}
	}
}

// Every bad setting is named at once, and what could be read is kept, so
// that the failure can still be reported on the queue.
func TestLoadNamesEveryBadSettingAndKeepsTheRest(t *testing.T) {
	c, err := Load(env(map[string]string{
		"RESTORE_ALLOWED_INSTANCES": ",", "RESTORE_DRY_RUN": "maybe",
		"RESTORE_QUEUE": "q", "TENCENTCLOUD_SECRETID": "id", "TENCENTCLOUD_SECRETKEY": "key",
	}))
	if err == nil || !strings.Contains(err.Error(), "RESTORE_ALLOWED_INSTANCES") || !strings.Contains(err.Error(), "RESTORE_DRY_RUN") {
		t.Fatalf("error %v", err)
	}
	if !c.CanReport() {
		t.Error("the queue's settings are sound: the failure must be reportable")
	}
	c, _ = Load(env(map[string]string{"TENCENTCLOUD_ENDPOINT_URL": "::", "RESTORE_QUEUE": "q", "TENCENTCLOUD_SECRETID": "id", "TENCENTCLOUD_SECRETKEY": "key"}))
	if c.CanReport() {
		t.Error("a broken endpoint cannot report")
	}
}

func TestAllowListWildcardsAndSpaces(t *testing.T) {
	c, err := Load(env(map[string]string{"RESTORE_ALLOWED_INSTANCES": " crs-5a4py64p , crs-stg* "}))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"crs-5a4py64p": true, "crs-stg00001": true, "crs-prod0001": false, "crs-5a4py64q": false} {
		if got := c.Allowed(id); got != want {
			t.Errorf("Allowed(%s) = %v", id, got)
		}
	}
}

func TestCredentialsPreferSCFNames(t *testing.T) {
	c, _ := Load(env(map[string]string{
		"TENCENTCLOUD_SECRETID": "scf-id", "TENCENTCLOUD_SECRETKEY": "scf-key", "TENCENTCLOUD_SESSIONTOKEN": "scf-token",
		"TENCENTCLOUD_SECRET_ID": "sdk-id", "TENCENTCLOUD_SECRET_KEY": "sdk-key",
	}))
	if c.Credentials != (Credentials{"scf-id", "scf-key", "scf-token"}) {
		t.Errorf("credentials %+v", c.Credentials)
	}
	c, _ = Load(env(map[string]string{"TENCENTCLOUD_SECRET_ID": "sdk-id", "TENCENTCLOUD_SECRET_KEY": "sdk-key"}))
	if c.Credentials != (Credentials{"sdk-id", "sdk-key", ""}) || !c.Credentials.Complete() {
		t.Errorf("local credentials %+v", c.Credentials)
	}
}

func TestQueueAndTopicTogetherAreRefused(t *testing.T) {
	c, _ := Load(env(map[string]string{"RESTORE_QUEUE": "q", "RESTORE_TOPIC": "t"}))
	if err := c.CheckOutput(); err == nil {
		t.Error("both a queue and a topic were accepted")
	}
}

// The approvers' secret is worth something only if the requesters do not
// hold it: blank, or the same as a webhook credential, it is refused by
// name, and nothing of the webhook's authentication is accepted with it.
func TestApproverSecretMustBeItsOwn(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"blank":              {"RESTORE_APPROVER_SECRET": "   "},
		"the webhook secret": {"RESTORE_WEBHOOK_SECRET": "same-secret-1", "RESTORE_APPROVER_SECRET": "same-secret-1"},
		"the basic password": {"RESTORE_WEBHOOK_BASIC_AUTH": "ops:same-secret-2", "RESTORE_APPROVER_SECRET": "same-secret-2"},
	} {
		a, err := LoadWebhookAuth(env(vars))
		if err == nil || !strings.Contains(err.Error(), "RESTORE_APPROVER_SECRET") || a.Configured() {
			t.Errorf("approver secret %s: %+v, %v", name, a, err)
		}
		if err != nil && strings.Contains(err.Error(), "same-secret") {
			t.Errorf("approver secret %s: the error repeats the value: %v", name, err)
		}
	}
	a, err := LoadWebhookAuth(env(map[string]string{"RESTORE_WEBHOOK_SECRET": "requesters", "RESTORE_APPROVER_SECRET": "approvers"}))
	if err != nil || a.ApproverSecret != "approvers" || a.Secret != "requesters" {
		t.Errorf("two secrets: %+v, %v", a, err)
	}
}
