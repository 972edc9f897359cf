package cloud_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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
	"redis-restore/internal/redisserver"
)

type cloudEnv struct {
	emu      *cloudemu.Emulator
	demo     cloudemu.DemoData
	endpoint *url.URL
	clock    *clock.Fake
	clients  *cloud.Clients
	creds    config.Credentials
}

func newCloudEnv(t *testing.T) *cloudEnv { return newCloudEnvWith(t, nil) }

// newCloudEnvWith is newCloudEnv whose instances hold data in servers of
// redis (nil: records only); the emulator then runs on the env's clock.
func newCloudEnvWith(t *testing.T, redis redisserver.Starter) *cloudEnv {
	t.Helper()
	clock := clock.NewFake(time.Now())
	opts := cloudemu.Options{}
	if redis != nil {
		opts.Redis, opts.Now = redis, clock.Now
	}
	emu := cloudemu.New(opts)
	t.Cleanup(func() { _ = emu.Close() })
	demo := cloudemu.SeedDemo(emu)
	raw, closeFn, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	endpoint, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &cloudEnv{
		emu:      emu,
		demo:     demo,
		endpoint: endpoint,
		clock:    clock,
		clients:  cloud.New(cloud.Options{RequestsPerSecond: 1000, Now: clock.Now}),
		creds:    config.Credentials{SecretID: demo.SecretID, SecretKey: demo.SecretKey, Token: demo.Token},
	}
}

func (v *cloudEnv) session() *cloud.Session { return v.clients.Session(v.creds, v.endpoint) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func asFailure(t *testing.T, err error) *failure.Error {
	t.Helper()
	var e *failure.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *failure.Error", err, err)
	}
	return e
}

func TestGetSecretValue(t *testing.T) {
	v := newCloudEnv(t)
	got, err := v.session().GetSecretValue(ctx(t), v.demo.Region, v.demo.SecretName, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if got != v.demo.Password {
		t.Fatalf("secret %q, want the demo password", got)
	}

	// A rotation is a new version, listed with its CreateTime.
	v.emu.SetSecret(v.demo.SecretName, `{"crs-5a4py64p":"rotated"}`)
	versions, err := v.session().ListSecretVersionIds(ctx(t), v.demo.Region, v.demo.SecretName)
	newest, ok := cloud.NewestSecretVersion(versions)
	if err != nil || !ok || newest.ID != "v2" || len(versions) != 2 {
		t.Fatalf("versions %+v, %v", versions, err)
	}
	if got, err := v.session().GetSecretValue(ctx(t), v.demo.Region, v.demo.SecretName, newest.ID); err != nil || got != `{"crs-5a4py64p":"rotated"}` {
		t.Fatalf("after rotation %q, %v", got, err)
	}
	if n := v.emu.Calls("GetSecretValue"); n != 2 {
		t.Fatalf("GetSecretValue calls %d, want 2", n)
	}
}

func TestGetSecretValueUnknown(t *testing.T) {
	v := newCloudEnv(t)
	_, err := v.session().GetSecretValue(ctx(t), v.demo.Region, "no-such-secret", "v1")
	e := asFailure(t, err)
	if e.Kind != failure.NotFound || e.Code != "ResourceNotFound.SecretNotExist" {
		t.Fatalf("kind %v code %q, want NotFound ResourceNotFound.SecretNotExist (%v)", e.Kind, e.Code, err)
	}
	if e.RequestID == "" {
		t.Fatalf("no RequestId in %v", err)
	}
}

func TestGetSecretValueBadCredentials(t *testing.T) {
	v := newCloudEnv(t)
	s := v.clients.Session(config.Credentials{SecretID: "AKIDnobody", SecretKey: "x"}, v.endpoint)
	_, err := s.GetSecretValue(ctx(t), v.demo.Region, v.demo.SecretName, "v1")
	if k := failure.KindOf(err); k != failure.Forbidden {
		t.Fatalf("kind %v, want Forbidden (%v)", k, err)
	}
}

// A garbled answer or an error page may quote the body, which for
// GetSecretValue holds the secret: neither the error nor its chain may
// carry it.
func TestGetSecretValueNeverQuotesTheAnswer(t *testing.T) {
	const value = "hunter2-super-secret"
	for name, h := range map[string]http.HandlerFunc{
		"garbled": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"Response":{"SecretString":"` + value + `"`))
		},
		"status": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"Response":{"SecretString":"`+value+`"}}`, http.StatusBadGateway)
		},
		"wrong type": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"Response":{"SecretString":["` + value + `"],"RequestId":"r"}}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			endpoint, _ := url.Parse(srv.URL)
			s := cloud.New(cloud.Options{}).Session(config.Credentials{SecretID: "id", SecretKey: "key"}, endpoint)
			_, err := s.GetSecretValue(ctx(t), "ap-guangzhou", "pw", "v1")
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("%v (%v)", err, failure.KindOf(err))
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), value) {
					t.Fatalf("error chain quotes the secret: %v", e)
				}
			}
		})
	}
}

func TestAssumedSession(t *testing.T) {
	v := newCloudEnv(t)
	s, err := v.clients.AssumedSession(ctx(t), v.creds, v.endpoint, v.demo.Region, v.demo.RoleArn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	page, err := s.DescribeInstanceBackups(ctx(t), v.demo.Region, v.demo.InstanceID, now.AddDate(0, 0, -29), now, 100, 0)
	if err != nil {
		t.Fatalf("DescribeInstanceBackups with the assumed session: %v", err)
	}
	_ = page
	if n := v.emu.Calls("AssumeRole"); n != 1 {
		t.Fatalf("AssumeRole calls %d, want 1", n)
	}

	// Cached: a second session, even much later, asks nothing.
	v.clock.Advance(cloud.RoleDuration - cloud.RoleRefreshMargin - time.Minute)
	s2, err := v.clients.AssumedSession(ctx(t), v.creds, v.endpoint, v.demo.Region, v.demo.RoleArn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.DescribeInstanceBackups(ctx(t), v.demo.Region, v.demo.InstanceID, now.AddDate(0, 0, -29), now, 100, 0); err != nil {
		t.Fatal(err)
	}
	if n := v.emu.Calls("AssumeRole"); n != 1 {
		t.Fatalf("AssumeRole calls %d after a second session, want 1", n)
	}

	// Five minutes before expiry they are renewed.
	v.clock.Advance(2 * time.Minute)
	s3, err := v.clients.AssumedSession(ctx(t), v.creds, v.endpoint, v.demo.Region, v.demo.RoleArn)
	if err != nil {
		t.Fatal(err)
	}
	if n := v.emu.Calls("AssumeRole"); n != 2 {
		t.Fatalf("AssumeRole calls %d past expiry-5m, want 2", n)
	}
	if _, err := s3.DescribeInstanceBackups(ctx(t), v.demo.Region, v.demo.InstanceID, now.AddDate(0, 0, -29), now, 100, 0); err != nil {
		t.Fatal(err)
	}

	// Another source credential (the role's own ones rotated) asks anew.
	v.emu.AddCredential("AKIDrotated", "rotated-key", "rotated-token", time.Time{})
	rotated := config.Credentials{SecretID: "AKIDrotated", SecretKey: "rotated-key", Token: "rotated-token"}
	if _, err := v.clients.AssumedSession(ctx(t), rotated, v.endpoint, v.demo.Region, v.demo.RoleArn); err != nil {
		t.Fatal(err)
	}
	if n := v.emu.Calls("AssumeRole"); n != 3 {
		t.Fatalf("AssumeRole calls %d for new source credentials, want 3", n)
	}
}

func TestAssumedSessionConcurrent(t *testing.T) {
	v := newCloudEnv(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.clients.AssumedSession(ctx(t), v.creds, v.endpoint, v.demo.Region, v.demo.RoleArn)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := v.emu.Calls("AssumeRole"); n != 1 {
		t.Fatalf("AssumeRole calls %d for concurrent sessions, want 1", n)
	}
}

func TestAssumedSessionUnknownRole(t *testing.T) {
	v := newCloudEnv(t)
	const arn = "qcs::cam::uin/1:roleName/Nobody"
	_, err := v.clients.AssumedSession(ctx(t), v.creds, v.endpoint, v.demo.Region, arn)
	e := asFailure(t, err)
	if e.Kind != failure.Forbidden || e.Code != "ResourceNotFound.RoleNotFound" {
		t.Fatalf("kind %v code %q, want Forbidden ResourceNotFound.RoleNotFound (%v)", e.Kind, e.Code, err)
	}
	if !strings.Contains(err.Error(), arn) {
		t.Fatalf("error %q does not name the role", err)
	}
	// Failures are not cached.
	if _, err := v.clients.AssumedSession(ctx(t), v.creds, v.endpoint, v.demo.Region, arn); err == nil {
		t.Fatal("second try succeeded")
	}
	if n := v.emu.Calls("AssumeRole"); n != 2 {
		t.Fatalf("AssumeRole calls %d, want 2", n)
	}
}

func TestAssumedSessionNeedsCredentialsAndRole(t *testing.T) {
	v := newCloudEnv(t)
	if _, err := v.clients.AssumedSession(ctx(t), config.Credentials{}, v.endpoint, v.demo.Region, v.demo.RoleArn); failure.KindOf(err) != failure.Config {
		t.Fatalf("without credentials: %v", err)
	}
	if _, err := v.clients.AssumedSession(ctx(t), v.creds, v.endpoint, v.demo.Region, ""); failure.KindOf(err) != failure.Config {
		t.Fatalf("without role: %v", err)
	}
	if n := v.emu.Calls("AssumeRole"); n != 0 {
		t.Fatalf("AssumeRole calls %d, want 0", n)
	}
}
