// Package config reads the function's settings from its environment. SCF
// sets the environment anew before every invocation (the role's credentials
// rotate), so the handler reads a fresh Config each time.
package config

import (
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/failure"
)

// Config is everything an invocation needs to know about its setting.
type Config struct {
	Credentials Credentials
	Region      string // default region of every API call

	Queue string // RESTORE_QUEUE: outcomes go to this CMQ queue...
	Topic string // RESTORE_TOPIC: ...or to this CMQ topic

	EndpointURL *url.URL // TENCENTCLOUD_ENDPOINT_URL: emulator or private endpoint

	AllowedInstances []string // RESTORE_ALLOWED_INSTANCES patterns; nil: any
	DryRun           bool

	WebhookSecret    string
	WebhookBasicAuth string // "user:password"

	AlarmMargin   time.Duration // RESTORE_ALARM_MARGIN
	AlarmPolicies []string      // RESTORE_ALARM_POLICIES; nil: any

	LockRetry time.Duration // RESTORE_LOCK_RETRY: how long a locked instance or backup is retried

	Password       string        // RESTORE_PASSWORD
	PasswordSecret string        // RESTORE_PASSWORD_SECRET: SSM secret name
	SecretTTL      time.Duration // RESTORE_SECRET_TTL
	RoleARN        string        // RESTORE_ROLE_ARN: assume this role for the Redis calls

	FunctionName string // SCF_FUNCTIONNAME, for the messages' source
	Namespace    string
}

// Credentials are the execution role's temporary credentials.
type Credentials struct {
	SecretID  string
	SecretKey string
	Token     string
}

// Complete reports whether the credentials can sign a request.
func (c Credentials) Complete() bool { return c.SecretID != "" && c.SecretKey != "" }

// Defaults for settings that have one.
const (
	DefaultAlarmMargin = 5 * time.Minute
	DefaultLockRetry   = 20 * time.Second
	DefaultSecretTTL   = 5 * time.Minute
)

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests). Credentials are not checked here: a missing credential
// fails each restore with a clear result rather than the whole invocation.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{
		Credentials:      loadCredentials(getenv),
		Region:           strings.TrimSpace(getenv("TENCENTCLOUD_REGION")),
		Queue:            strings.TrimSpace(getenv("RESTORE_QUEUE")),
		Topic:            strings.TrimSpace(getenv("RESTORE_TOPIC")),
		WebhookSecret:    getenv("RESTORE_WEBHOOK_SECRET"),
		WebhookBasicAuth: getenv("RESTORE_WEBHOOK_BASIC_AUTH"),
		Password:         getenv("RESTORE_PASSWORD"),
		PasswordSecret:   strings.TrimSpace(getenv("RESTORE_PASSWORD_SECRET")),
		RoleARN:          strings.TrimSpace(getenv("RESTORE_ROLE_ARN")),
		FunctionName:     firstNonEmpty(getenv("SCF_FUNCTIONNAME"), "redis-restore"),
		Namespace:        firstNonEmpty(getenv("SCF_NAMESPACE"), "default"),
		AllowedInstances: splitList(getenv("RESTORE_ALLOWED_INSTANCES")),
		AlarmPolicies:    splitList(getenv("RESTORE_ALARM_POLICIES")),
	}
	var err error
	if c.DryRun, err = parseBool(getenv, "RESTORE_DRY_RUN", false); err != nil {
		return nil, err
	}
	if c.AlarmMargin, err = parseDuration(getenv, "RESTORE_ALARM_MARGIN", DefaultAlarmMargin); err != nil {
		return nil, err
	}
	if c.LockRetry, err = parseDuration(getenv, "RESTORE_LOCK_RETRY", DefaultLockRetry); err != nil {
		return nil, err
	}
	if c.SecretTTL, err = parseDuration(getenv, "RESTORE_SECRET_TTL", DefaultSecretTTL); err != nil {
		return nil, err
	}
	if raw := strings.TrimSpace(getenv("TENCENTCLOUD_ENDPOINT_URL")); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, configError("TENCENTCLOUD_ENDPOINT_URL", fmt.Sprintf("%q is not a base URL such as http://127.0.0.1:9000", raw))
		}
		c.EndpointURL = u
	}
	if c.PasswordSecret != "" {
		if _, err := ParseSecretRef(c.PasswordSecret); err != nil {
			return nil, err
		}
	}
	if c.WebhookBasicAuth != "" && !strings.Contains(c.WebhookBasicAuth, ":") {
		return nil, configError("RESTORE_WEBHOOK_BASIC_AUTH", "must be user:password")
	}
	for _, p := range c.AllowedInstances {
		if _, err := path.Match(p, "crs-x"); err != nil {
			return nil, configError("RESTORE_ALLOWED_INSTANCES", fmt.Sprintf("bad pattern %q", p))
		}
	}
	return c, nil
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
	return nil
}

// Allowed reports whether the allow-list lets this instance be restored.
func (c *Config) Allowed(instanceID string) bool {
	if c.AllowedInstances == nil {
		return true
	}
	for _, p := range c.AllowedInstances {
		if ok, _ := path.Match(p, instanceID); ok {
			return true
		}
	}
	return false
}

// PolicyWanted reports whether an alarm of this policy may restore.
func (c *Config) PolicyWanted(policyID string) bool {
	if c.AlarmPolicies == nil {
		return true
	}
	for _, p := range c.AlarmPolicies {
		if p == policyID {
			return true
		}
	}
	return false
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
		c.Token = firstNonEmpty(getenv("TENCENTCLOUD_SESSION_TOKEN"), getenv("TENCENTCLOUD_TOKEN"))
	}
	return c
}

func parseBool(getenv func(string) string, name string, def bool) (bool, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return def, nil
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		return false, configError(name, fmt.Sprintf("%q is not true or false", raw))
	}
	return v, nil
}

func parseDuration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return def, nil
	}
	v, err := time.ParseDuration(raw)
	if err != nil || v < 0 {
		return 0, configError(name, fmt.Sprintf("%q is not a duration such as 5m", raw))
	}
	return v, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.Join(strings.Fields(part), ""); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func configError(name, msg string) error {
	return failure.E(failure.Config, failure.Code(failure.CodeInvalidConfig), failure.Field(name), msg)
}
