package secrets_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/clock"
	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
	"redis-restore/internal/secrets"
)

// emuSession serves secrets from the emulator through the SDK.
func emuSession(t *testing.T) (*cloudemu.Emulator, cloudemu.DemoData, *cloud.Session) {
	t.Helper()
	emu := cloudemu.New(cloudemu.Options{})
	demo := cloudemu.SeedDemo(emu)
	raw, closeFn, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	endpoint, _ := url.Parse(raw)
	return emu, demo, cloud.New(cloud.Options{RequestsPerSecond: 1000}).Session(config.Credentials{SecretID: demo.SecretID, SecretKey: demo.SecretKey, Token: demo.Token}, endpoint)
}

// "name" is the newest version by CreateTime, however the list is ordered
// (the emulator lists by VersionId: the newest is neither first nor last).
func TestNameIsItsNewestVersion(t *testing.T) {
	emu, demo, session := emuSession(t)
	for _, v := range []string{"z-first", "m-newest"} {
		if err := emu.PutSecretValue("pw-set", v, v+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	if err := emu.PutSecretValue("pw-set", "a-second", "a-second-password"); err != nil {
		t.Fatal(err)
	}
	// a-second is now the newest; list order: a-second, m-newest, z-first.
	cfg := &config.Config{Region: demo.Region, PasswordSecret: "pw-set", SecretTTL: time.Minute}
	pw, err := secrets.NewCache(nil).For(cfg, session).Password(context.Background(), demo.Region, demo.InstanceID)
	if err != nil || pw != "a-second-password" {
		t.Fatalf("password %q, %v; want the newest version's", pw, err)
	}
	if n := emu.Calls("ListSecretVersionIds"); n != 1 {
		t.Errorf("ListSecretVersionIds called %d times", n)
	}
}

func TestNameAtVersionIsThatVersion(t *testing.T) {
	emu, demo, session := emuSession(t)
	emu.SetSecret(demo.SecretName, "newer-password")
	cfg := &config.Config{Region: demo.Region, PasswordSecret: demo.SecretName + "@v1", SecretTTL: time.Minute}
	pw, err := secrets.NewCache(nil).For(cfg, session).Password(context.Background(), demo.Region, demo.InstanceID)
	if err != nil || pw != demo.Password {
		t.Fatalf("password %q, %v; want v1's", pw, err)
	}
	if n := emu.Calls("ListSecretVersionIds"); n != 0 {
		t.Errorf("a named version listed the versions %d times", n)
	}
	cfg.PasswordSecret = demo.SecretName + "@v7"
	_, err = secrets.NewCache(nil).For(cfg, session).Password(context.Background(), demo.Region, demo.InstanceID)
	if e := failure.As(err); e.Kind != failure.Config || e.Code != "ResourceNotFound.SecretNotExist" || !strings.Contains(err.Error(), "v7") {
		t.Fatalf("missing version: %v (%v)", err, e.Kind)
	}
}

// A rotation by PutSecretValue is picked up once RESTORE_SECRET_TTL passed.
func TestRotationIsPickedUpAfterTheTTL(t *testing.T) {
	emu, demo, session := emuSession(t)
	clk := clock.NewFake(time.Now())
	cfg := &config.Config{Region: demo.Region, PasswordSecret: demo.SecretName, SecretTTL: 5 * time.Minute}
	p := secrets.NewCache(clk.Now).For(cfg, session)
	read := func() string {
		t.Helper()
		pw, err := p.Password(context.Background(), demo.Region, demo.InstanceID)
		if err != nil {
			t.Fatal(err)
		}
		return pw
	}
	if pw := read(); pw != demo.Password {
		t.Fatalf("first read %q", pw)
	}
	if err := emu.PutSecretValue(demo.SecretName, "rotated-2026-12-01", "rotated-password"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(4 * time.Minute)
	if pw := read(); pw != demo.Password {
		t.Fatalf("within the TTL %q, want the cached password", pw)
	}
	clk.Advance(2 * time.Minute)
	if pw := read(); pw != "rotated-password" {
		t.Fatalf("after the TTL %q, want the rotated password", pw)
	}
}

// A bad setting never reaches SSM.
func TestBadSecretSettingMakesNoCall(t *testing.T) {
	emu, demo, session := emuSession(t)
	cfg := &config.Config{Region: demo.Region, PasswordSecret: "redis-restore/passwords", SecretTTL: time.Minute}
	_, err := secrets.NewCache(nil).For(cfg, session).Password(context.Background(), demo.Region, demo.InstanceID)
	if e := failure.As(err); e.Kind != failure.Config || !strings.Contains(err.Error(), "'/'") {
		t.Fatalf("error %v", err)
	}
	if n := emu.Calls("ListSecretVersionIds") + emu.Calls("GetSecretValue"); n != 0 {
		t.Fatalf("%d SSM calls for an invalid name", n)
	}
}
