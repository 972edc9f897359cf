// Package secrets supplies Redis passwords from an SSM secret
// (RESTORE_PASSWORD_SECRET), cached for RESTORE_SECRET_TTL, falling back on
// RESTORE_PASSWORD.
//
// The secret holds either one password, used for every instance, or a JSON
// object mapping instance IDs to passwords:
//
//	{"crs-5a4py64p": "...", "crs-1amp2588": ""}
//
// (an empty password marks a password-free instance). No error of this
// package contains a secret's value.
package secrets

import (
	"cmp"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"redis-restore/internal/cloud"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
	"redis-restore/internal/ttl"
)

// Getter reads SSM secrets (cloud.Session does): one version's value, and
// the list of versions from which the newest is chosen.
type Getter interface {
	GetSecretValue(ctx context.Context, region, name, version string) (string, error)
	ListSecretVersionIds(ctx context.Context, region, name string) ([]cloud.SecretVersion, error)
}

// CodePasswordNotFound is the error code of an instance that a JSON secret
// has no password for.
const CodePasswordNotFound = "PasswordNotFound"

// CodeBadSecret is the error code of a secret that looks like a JSON object
// but is not one of instance IDs to passwords.
const CodeBadSecret = "InvalidPasswordSecret"

// Cache keeps fetched secrets for the life of the container. It is safe for
// concurrent use.
type Cache struct {
	now func() time.Time

	entries *ttl.Cache[string, fetched] // by region and secret name
	mu      sync.Mutex
	gen     uint64 // bumped by Forget: fetches begun before it are not stored
	flight  singleflight.Group
}

// NewCache returns an empty cache; now is its clock (time.Now if nil).
func NewCache(now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{now: now, entries: ttl.New[string, fetched](0)}
}

// For returns the Passwords of one invocation: the secret named by
// cfg.PasswordSecret, fetched with getter and cached for cfg.SecretTTL,
// else cfg.Password. The secret is read in cfg.Region (the function's own
// region), or in the instance's region when cfg.Region is empty.
func (c *Cache) For(cfg *config.Config, getter Getter) *Passwords {
	return &Passwords{cache: c, cfg: cfg, getter: getter}
}

// Passwords are one invocation's passwords (restore.Passwords).
type Passwords struct {
	cache  *Cache
	cfg    *config.Config
	getter Getter
}

// Password returns the password of an instance: "" for a password-free
// one (no secret and no RESTORE_PASSWORD).
func (p *Passwords) Password(ctx context.Context, region, instanceID string) (string, error) {
	name := p.cfg.PasswordSecret
	if name == "" {
		return p.cfg.Password, nil
	}
	if p.getter == nil {
		return "", failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), failure.Field("RESTORE_PASSWORD_SECRET"),
			"password secret "+name+": no way to read it")
	}
	v, err := p.cache.get(ctx, p.getter, cmp.Or(p.cfg.Region, region), name, p.cfg.SecretTTL)
	if err != nil {
		return "", err
	}
	if !v.isMap {
		return v.single, nil
	}
	pw, ok := v.byInstance[instanceID]
	if !ok {
		return "", failure.E(failure.Config, failure.Code(CodePasswordNotFound), failure.Field("RESTORE_PASSWORD_SECRET"),
			"password secret "+name+" has no password for instance "+instanceID)
	}
	return pw, nil
}

// Forget drops the cached secret, so that the next Password reads it again
// (after the API said the password was wrong: it may have been rotated).
func (p *Passwords) Forget() {
	if p.cfg.PasswordSecret != "" {
		p.cache.forget(p.cfg.PasswordSecret)
	}
}

// fetched is a secret's value and when it was read.
type fetched struct {
	value secretValue
	at    time.Time
}

// secretValue is a parsed secret: one password, or one per instance.
type secretValue struct {
	single     string
	isMap      bool
	byInstance map[string]string
}

func cacheKey(region, name string) string { return region + "\x00" + name }

func (c *Cache) get(ctx context.Context, getter Getter, region, name string, keep time.Duration) (secretValue, error) {
	key := cacheKey(region, name)
	c.mu.Lock()
	// The TTL is the invocation's setting, which may have changed since
	// the value was stored: it is checked against the value's age too.
	if f, ok := c.entries.Get(key, c.now()); ok && c.now().Sub(f.at) < keep {
		c.mu.Unlock()
		return f.value, nil
	}
	gen := c.gen
	c.mu.Unlock()

	// Concurrent lookups of one secret share a fetch; a fetch begun before
	// a Forget is not shared with lookups after it.
	ch := c.flight.DoChan(strconv.FormatUint(gen, 10)+"\x00"+key, func() (any, error) {
		raw, err := fetch(ctx, getter, region, name)
		if err != nil {
			return nil, fetchError(name, err)
		}
		v, err := parse(name, raw)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if now := c.now(); c.gen == gen && keep > 0 {
			c.entries.Put(key, fetched{v, now}, now, now.Add(keep))
		}
		c.mu.Unlock()
		return v, nil
	})
	select {
	case <-ctx.Done():
		return secretValue{}, failure.E(failure.Transient, failure.Code(failure.CodeDeadlineExceeded),
			"password secret "+name+": the invocation's deadline came first", ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return secretValue{}, r.Err
		}
		return r.Val.(secretValue), nil
	}
}

func (c *Cache) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries.DeleteFunc(func(k string) bool {
		_, n, _ := strings.Cut(k, "\x00")
		return n == name
	})
}

// fetchError names the secret in a failed read. The cloud's error carries
// no value (cloud.Session.GetSecretValue sees to it); a secret that does
// not exist, or a request the API refuses as invalid, is the function's
// misconfiguration rather than a missing instance or a bad request.
func fetchError(name string, err error) error {
	e := failure.As(err)
	out := &failure.Error{
		Kind:      e.Kind,
		Code:      e.Code,
		Field:     "RESTORE_PASSWORD_SECRET",
		Message:   "password secret " + name + ": cannot read it: " + e.Message,
		RequestID: e.RequestID,
		Err:       err,
	}
	if e.Message == "" {
		out.Message = "password secret " + name + ": cannot read it"
	}
	switch e.Kind {
	case failure.NotFound, failure.Invalid, failure.Other, failure.Internal:
		out.Kind = failure.Config
	}
	return out
}

// parse reads a secret's value. A JSON object of strings maps instances
// to passwords. A value that begins with "{" and contains a double quote,
// which no Redis password may hold, is meant as one and must be valid; any
// other value is one password.
func parse(name, raw string) (secretValue, error) {
	t := strings.TrimSpace(raw)
	if !strings.HasPrefix(t, "{") {
		return secretValue{single: raw}, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(t), &m); err == nil && m != nil {
		return secretValue{isMap: true, byInstance: m}, nil
	}
	if !strings.Contains(t, `"`) {
		return secretValue{single: raw}, nil
	}
	// The decoder's message may quote the value: it is not repeated.
	return secretValue{}, failure.E(failure.Config, failure.Code(CodeBadSecret), failure.Field("RESTORE_PASSWORD_SECRET"),
		"password secret "+name+" is neither one password nor a JSON object of instance IDs to passwords")
}
