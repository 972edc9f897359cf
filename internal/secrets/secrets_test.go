package secrets_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/internal/clock"
	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
	"redis-restore/internal/restore"
	"redis-restore/internal/secrets"
)

// fakeGetter serves secrets from a map and counts its calls.
type fakeGetter struct {
	mu      sync.Mutex
	values  map[string]string
	err     error
	calls   int
	regions []string
}

// ListSecretVersionIds lists one version, v1, of every secret it has.
func (g *fakeGetter) ListSecretVersionIds(ctx context.Context, region, name string) ([]cloud.SecretVersion, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return nil, g.err
	}
	if _, ok := g.values[name]; !ok {
		return nil, &failure.Error{Kind: failure.NotFound, Code: "ResourceNotFound.SecretNotExist", Message: "the secret " + name + " does not exist", RequestID: "req-1"}
	}
	return []cloud.SecretVersion{{ID: "v1", CreateTime: 1}}, nil
}

func (g *fakeGetter) GetSecretValue(ctx context.Context, region, name, version string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	g.regions = append(g.regions, region)
	if g.err != nil {
		return "", g.err
	}
	v, ok := g.values[name]
	if !ok {
		return "", &failure.Error{Kind: failure.NotFound, Code: "ResourceNotFound.SecretNotExist", Message: "the secret " + name + " does not exist", RequestID: "req-1"}
	}
	return v, nil
}

func (g *fakeGetter) set(name, value string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.values[name] = value
}

func (g *fakeGetter) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

const secretName = "redis-restore-passwords"

func setup(value string) (*secrets.Cache, *clock.Fake, *fakeGetter, *config.Config) {
	clock := clock.NewFake(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	g := &fakeGetter{values: map[string]string{secretName: value}}
	cfg := &config.Config{Region: "ap-guangzhou", PasswordSecret: secretName, SecretTTL: 5 * time.Minute}
	return secrets.NewCache(clock.Now), clock, g, cfg
}

func mustPassword(t *testing.T, p restore.Passwords, instanceID string) string {
	t.Helper()
	pw, err := p.Password(context.Background(), "ap-guangzhou", instanceID)
	if err != nil {
		t.Fatalf("Password(%s): %v", instanceID, err)
	}
	return pw
}

func TestSinglePassword(t *testing.T) {
	c, _, g, cfg := setup("s3cret-pw")
	cfg.Password = "fallback-not-used"
	p := c.For(cfg, g)
	for _, id := range []string{"crs-5a4py64p", "crs-1amp2588"} {
		if pw := mustPassword(t, p, id); pw != "s3cret-pw" {
			t.Fatalf("%s: %q", id, pw)
		}
	}
	if g.count() != 1 {
		t.Fatalf("%d fetches, want 1", g.count())
	}
}

func TestPasswordWithBracesIsOnePassword(t *testing.T) {
	for _, v := range []string{"{abc}123!", "{[x]}:;<>"} {
		c, _, g, cfg := setup(v)
		if pw := mustPassword(t, c.For(cfg, g), "crs-5a4py64p"); pw != v {
			t.Fatalf("secret %q gave %q", v, pw)
		}
	}
}

func TestJSONMap(t *testing.T) {
	c, _, g, cfg := setup(` {"crs-5a4py64p": "pw-one", "crs-1amp2588": ""} `)
	p := c.For(cfg, g)
	if pw := mustPassword(t, p, "crs-5a4py64p"); pw != "pw-one" {
		t.Fatalf("crs-5a4py64p: %q", pw)
	}
	if pw := mustPassword(t, p, "crs-1amp2588"); pw != "" {
		t.Fatalf("password-free instance: %q", pw)
	}
	if g.count() != 1 {
		t.Fatalf("%d fetches, want 1", g.count())
	}
}

func TestJSONMapWithoutInstance(t *testing.T) {
	c, _, g, cfg := setup(`{"crs-5a4py64p":"pw-one","crs-other":"pw-two"}`)
	cfg.Password = "fallback"
	_, err := c.For(cfg, g).Password(context.Background(), "ap-guangzhou", "crs-missing1")
	var e *failure.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v", err, err)
	}
	if e.Kind != failure.Config || e.Code != secrets.CodePasswordNotFound {
		t.Fatalf("kind %v code %q", e.Kind, e.Code)
	}
	msg := err.Error()
	if !strings.Contains(msg, secretName) || !strings.Contains(msg, "crs-missing1") {
		t.Fatalf("message %q does not name the secret and the instance", msg)
	}
	for _, v := range []string{"pw-one", "pw-two", "fallback"} {
		if strings.Contains(msg, v) {
			t.Fatalf("message %q contains a password", msg)
		}
	}
}

func TestMalformedJSON(t *testing.T) {
	c, _, g, cfg := setup(`{"crs-5a4py64p":"pw-one",`)
	_, err := c.For(cfg, g).Password(context.Background(), "ap-guangzhou", "crs-5a4py64p")
	if failure.KindOf(err) != failure.Config || failure.As(err).Code != secrets.CodeBadSecret {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), "pw-one") {
		t.Fatalf("message %q contains the password", err)
	}
	c, _, g, cfg = setup(`{"crs-5a4py64p":42}`)
	if _, err := c.For(cfg, g).Password(context.Background(), "ap-guangzhou", "crs-5a4py64p"); failure.As(err).Code != secrets.CodeBadSecret {
		t.Fatalf("number in map: %v", err)
	}
}

func TestTTL(t *testing.T) {
	c, clock, g, cfg := setup("pw-1")
	// Each invocation takes its own Passwords from the container's cache.
	if pw := mustPassword(t, c.For(cfg, g), "crs-5a4py64p"); pw != "pw-1" {
		t.Fatal(pw)
	}
	g.set(secretName, "pw-2")
	clock.Advance(4*time.Minute + 59*time.Second)
	if pw := mustPassword(t, c.For(cfg, g), "crs-5a4py64p"); pw != "pw-1" || g.count() != 1 {
		t.Fatalf("within the TTL: %q after %d fetches", pw, g.count())
	}
	clock.Advance(time.Second)
	if pw := mustPassword(t, c.For(cfg, g), "crs-5a4py64p"); pw != "pw-2" || g.count() != 2 {
		t.Fatalf("after the TTL: %q after %d fetches", pw, g.count())
	}
	if pw := mustPassword(t, c.For(cfg, g), "crs-5a4py64p"); pw != "pw-2" || g.count() != 2 {
		t.Fatalf("cached again: %q after %d fetches", pw, g.count())
	}

	// A zero TTL caches nothing.
	cfg.SecretTTL = 0
	mustPassword(t, c.For(cfg, g), "crs-5a4py64p")
	mustPassword(t, c.For(cfg, g), "crs-5a4py64p")
	if g.count() != 4 {
		t.Fatalf("TTL 0: %d fetches, want 4", g.count())
	}
}

func TestForgetRefetches(t *testing.T) {
	c, _, g, cfg := setup("old-pw")
	p := c.For(cfg, g)
	if pw := mustPassword(t, p, "crs-5a4py64p"); pw != "old-pw" {
		t.Fatal(pw)
	}
	g.set(secretName, "rotated-pw")
	if pw := mustPassword(t, p, "crs-5a4py64p"); pw != "old-pw" {
		t.Fatalf("before Forget: %q", pw)
	}
	p.Forget()
	if pw := mustPassword(t, p, "crs-5a4py64p"); pw != "rotated-pw" || g.count() != 2 {
		t.Fatalf("after Forget: %q after %d fetches", pw, g.count())
	}
	// The container-wide cache has the new value for the next invocation.
	if pw := mustPassword(t, c.For(cfg, g), "crs-5a4py64p"); pw != "rotated-pw" || g.count() != 2 {
		t.Fatalf("next invocation: %q after %d fetches", pw, g.count())
	}
}

func TestFallbacks(t *testing.T) {
	c := secrets.NewCache(nil)
	g := &fakeGetter{values: map[string]string{}}
	cfg := &config.Config{Password: "env-pw", SecretTTL: time.Minute}
	p := c.For(cfg, g)
	if pw := mustPassword(t, p, "crs-5a4py64p"); pw != "env-pw" {
		t.Fatalf("RESTORE_PASSWORD: %q", pw)
	}
	p.Forget() // nothing to forget
	cfg.Password = ""
	if pw := mustPassword(t, p, "crs-5a4py64p"); pw != "" {
		t.Fatalf("password-free: %q", pw)
	}
	if g.count() != 0 {
		t.Fatalf("%d fetches without a secret", g.count())
	}
}

func TestSecretRegion(t *testing.T) {
	c, _, g, cfg := setup("pw")
	mustPassword(t, c.For(cfg, g), "crs-5a4py64p")
	cfg.Region = ""
	if _, err := c.For(cfg, g).Password(context.Background(), "ap-shanghai", "crs-5a4py64p"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(g.regions, ",") != "ap-guangzhou,ap-shanghai" {
		t.Fatalf("regions %v", g.regions)
	}
}

func TestFetchError(t *testing.T) {
	c, _, g, cfg := setup("")
	cfg.Password = "env-fallback-pw"
	cfg.PasswordSecret = "no-such-secret"
	_, err := c.For(cfg, g).Password(context.Background(), "ap-guangzhou", "crs-5a4py64p")
	e := failure.As(err)
	if e.Kind != failure.Config || e.Code != "ResourceNotFound.SecretNotExist" || e.RequestID != "req-1" {
		t.Fatalf("kind %v code %q requestId %q", e.Kind, e.Code, e.RequestID)
	}
	if !strings.Contains(err.Error(), "no-such-secret") || strings.Contains(err.Error(), "env-fallback-pw") {
		t.Fatalf("message %q", err)
	}

	// Transient errors stay transient (retried), and are not cached.
	c, _, g, cfg = setup("the-real-pw")
	g.err = &failure.Error{Kind: failure.Transient, Code: "RequestLimitExceeded", Message: "slow down"}
	_, err = c.For(cfg, g).Password(context.Background(), "ap-guangzhou", "crs-5a4py64p")
	if failure.KindOf(err) != failure.Transient || !strings.Contains(err.Error(), secretName) || strings.Contains(err.Error(), "the-real-pw") {
		t.Fatalf("transient: %v", err)
	}
	g.err = nil
	if pw := mustPassword(t, c.For(cfg, g), "crs-5a4py64p"); pw != "the-real-pw" {
		t.Fatal(pw)
	}
}

func TestConcurrent(t *testing.T) {
	c, _, g, cfg := setup(`{"crs-5a4py64p":"pw-one"}`)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := c.For(cfg, g)
			if pw, err := p.Password(context.Background(), "ap-guangzhou", "crs-5a4py64p"); err != nil || pw != "pw-one" {
				t.Errorf("%q %v", pw, err)
			}
			p.Forget()
		}()
	}
	wg.Wait()
}

func TestDeadline(t *testing.T) {
	c, _, _, cfg := setup("pw")
	block := make(chan struct{})
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.For(cfg, blockingGetter(block)).Password(ctx, "ap-guangzhou", "crs-5a4py64p")
	if failure.KindOf(err) != failure.Transient {
		t.Fatalf("error %v", err)
	}
}

type blockingGetter chan struct{}

func (b blockingGetter) ListSecretVersionIds(ctx context.Context, region, name string) ([]cloud.SecretVersion, error) {
	<-b
	return []cloud.SecretVersion{{ID: "v1"}}, nil
}

func (b blockingGetter) GetSecretValue(ctx context.Context, region, name, version string) (string, error) {
	<-b
	return "pw", nil
}

// Against the emulator, through the SDK: cloud.Session is the Getter.
func TestWithEmulator(t *testing.T) {
	emu := cloudemu.New(cloudemu.Options{})
	demo := cloudemu.SeedDemo(emu)
	raw, closeFn, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	endpoint, _ := url.Parse(raw)
	session := cloud.New(cloud.Options{}).Session(config.Credentials{SecretID: demo.SecretID, SecretKey: demo.SecretKey, Token: demo.Token}, endpoint)

	clock := clock.NewFake(time.Now())
	c := secrets.NewCache(clock.Now)
	cfg := &config.Config{Region: demo.Region, PasswordSecret: demo.SecretName, SecretTTL: time.Minute}
	p := c.For(cfg, session)
	if pw := mustPassword(t, p, demo.InstanceID); pw != demo.Password {
		t.Fatalf("password %q", pw)
	}
	emu.SetSecret(demo.SecretName, `{"`+demo.InstanceID+`":"rotated"}`)
	p.Forget()
	if pw := mustPassword(t, p, demo.InstanceID); pw != "rotated" {
		t.Fatalf("after rotation %q", pw)
	}
	if n := emu.Calls("GetSecretValue"); n != 2 {
		t.Fatalf("GetSecretValue calls %d", n)
	}

	cfg.PasswordSecret = "no-such-secret"
	_, err = c.For(cfg, session).Password(context.Background(), demo.Region, demo.InstanceID)
	if e := failure.As(err); e.Kind != failure.Config || e.Code != "ResourceNotFound.SecretNotExist" || !strings.Contains(err.Error(), "no-such-secret") {
		t.Fatalf("unknown secret: %v (%v)", err, e.Kind)
	}
}
