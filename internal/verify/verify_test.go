package verify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"redis-restore/internal/failure"
	"redis-restore/internal/redisserver"
	"redis-restore/internal/redisserver/redistest"
	"redis-restore/internal/verify"
)

const (
	password = "s3cret-Pa55word"
	canary   = "restore:canary"
)

var backupTime = time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC)

// instance is a redis-server holding n keys in database 0, the canary
// among them (with this value) unless it is empty.
func instance(t *testing.T, n int, canaryValue string) (addr string, c *goredis.Client) {
	t.Helper()
	s := redistest.Start(t, redisserver.Config{Password: password})
	c = goredis.NewClient(&goredis.Options{Addr: s.Addr(), Password: password, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	fill(t, c, n, canaryValue)
	return s.Addr(), c
}

func fill(t *testing.T, c *goredis.Client, n int, canaryValue string) {
	t.Helper()
	ctx := context.Background()
	if canaryValue != "" {
		n--
		c.Set(ctx, canary, canaryValue, 0)
	}
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i := range n {
			p.Set(ctx, fmt.Sprintf("k:%05d", i), i, 0)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func expect(keys int64) verify.Expect {
	return verify.Expect{Keys: keys, KeysKnown: true, CanaryKey: canary, BackupTime: backupTime}
}

func check(t *testing.T, addr string, want verify.Expect) verify.Result {
	t.Helper()
	res, err := verify.Check(context.Background(), addr, password, want)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return res
}

// The backup's data, its canary written at the backup's time: verified,
// with the figures to report.
func TestCheckVerifiesTheBackupsData(t *testing.T) {
	addr, _ := instance(t, 1200, backupTime.Add(-20*time.Second).Format(time.RFC3339))
	res := check(t, addr, expect(1200))
	if !res.Verified || res.Keys != 1200 || res.ExpectedKeys != 1200 || res.Reason != "" {
		t.Errorf("result %+v, want verified with 1200 of 1200 keys", res)
	}
	if !res.DataAsOf.Equal(backupTime.Add(-20 * time.Second)) {
		t.Errorf("DataAsOf %v, want the canary's time", res.DataAsOf)
	}
	b, _ := json.Marshal(res)
	if want := `{"verified":true,"keys":1200,"expectedKeys":1200,"dataAsOf":"2026-11-28T18:59:40Z"}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}

// A count far from the backup's is not verified, and says both numbers;
// within the tolerance it is.
func TestCheckJudgesTheKeyCount(t *testing.T) {
	addr, _ := instance(t, 1205, backupTime.Format(time.RFC3339))
	for _, c := range []struct {
		name     string
		want     verify.Expect
		verified bool
		reason   string
	}{
		{"within the default 1%", expect(1200), true, ""},
		{"exact asked", func() verify.Expect { e := expect(1200); e.Tolerance = -1; return e }(), false, "1205 keys, the backup held 1200 (at most 0 apart)"},
		{"an empty instance's worth", expect(3), false, "1205 keys, the backup held 3"},
		{"many more were expected", expect(1_000_000), false, "1205 keys, the backup held 1000000 (at most 10000 apart)"},
		{"more than held, fewer only judged", func() verify.Expect { e := expect(1000); e.Tolerance, e.FewerOnly = 0.1, true; return e }(), true, ""},
		{"far fewer than held, fewer only judged", func() verify.Expect { e := expect(1400); e.Tolerance, e.FewerOnly = 0.1, true; return e }(), false, "1205 keys, the backup held 1400 (at most 140 fewer)"},
		{"within 10% below, fewer only judged", func() verify.Expect { e := expect(1300); e.Tolerance, e.FewerOnly = 0.1, true; return e }(), true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := check(t, addr, c.want)
			if res.Verified != c.verified || !strings.Contains(res.Reason, c.reason) || res.Keys != 1205 {
				t.Errorf("result %+v, want verified %v and reason with %q", res, c.verified, c.reason)
			}
		})
	}
}

// An empty instance where the backup held keys is never within the
// tolerance, however few the backup held.
func TestCheckAnEmptyInstanceIsNeverWithinTolerance(t *testing.T) {
	addr, _ := instance(t, 0, "")
	for _, held := range []int64{1, 5, 1000} {
		want := verify.Expect{Keys: held, KeysKnown: true, Tolerance: 0.5, FewerOnly: true}
		if res := check(t, addr, want); res.Verified || res.Reason != fmt.Sprintf("no keys, the backup held %d", held) {
			t.Errorf("held %d: %+v", held, res)
		}
	}
	if res := check(t, addr, verify.Expect{Keys: 0, KeysKnown: true}); !res.Verified {
		t.Errorf("an empty backup, an empty instance: %+v", res)
	}
}

// INFO keyspace counts every database, not only database 0.
func TestCheckCountsEveryDatabase(t *testing.T) {
	addr, _ := instance(t, 10, "")
	db3 := goredis.NewClient(&goredis.Options{Addr: addr, Password: password, DB: 3, Protocol: 2, DisableIdentity: true})
	defer db3.Close()
	fill(t, db3, 5, "")
	res := check(t, addr, verify.Expect{Keys: 15, KeysKnown: true})
	if !res.Verified || res.Keys != 15 {
		t.Errorf("result %+v, want 15 keys over databases 0 and 3", res)
	}
}

// The canary dates the data: newer than the backup means the backup did
// not come back; older than CanaryMaxAge, an older backup did; missing or
// not a time is said so.
func TestCheckJudgesTheCanary(t *testing.T) {
	for _, c := range []struct {
		name   string
		value  string
		want   func(verify.Expect) verify.Expect
		asOf   time.Time
		reason string
	}{
		{"newer than the backup", backupTime.Add(3 * time.Hour).Format(time.RFC3339), nil, backupTime.Add(3 * time.Hour), "after the backup"},
		{"within the skew", backupTime.Add(30 * time.Second).Format(time.RFC3339), nil, backupTime.Add(30 * time.Second), ""},
		{"an older backup's", backupTime.Add(-26 * time.Hour).Format(time.RFC3339),
			func(e verify.Expect) verify.Expect { e.CanaryMaxAge = 2 * time.Minute; return e }, backupTime.Add(-26 * time.Hour), "an older backup's"},
		{"unix seconds", strconv.FormatInt(backupTime.Unix(), 10), nil, backupTime, ""},
		{"unix milliseconds", strconv.FormatInt(backupTime.UnixMilli(), 10), nil, backupTime, ""},
		{"not a time", "yesterday", nil, time.Time{}, "does not hold a time"},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr, _ := instance(t, 100, c.value)
			want := expect(100)
			if c.want != nil {
				want = c.want(want)
			}
			res := check(t, addr, want)
			if res.Verified != (c.reason == "") || !strings.Contains(res.Reason, c.reason) || !res.DataAsOf.Equal(c.asOf) {
				t.Errorf("result %+v, want reason with %q, data as of %v", res, c.reason, c.asOf)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		addr, _ := instance(t, 100, "")
		res := check(t, addr, expect(100))
		if res.Verified || !strings.Contains(res.Reason, `the canary "restore:canary" is missing`) {
			t.Errorf("result %+v", res)
		}
	})
	t.Run("not a string", func(t *testing.T) {
		addr, c := instance(t, 99, "")
		c.HSet(context.Background(), canary, "f", "v")
		res := check(t, addr, expect(100))
		if res.Verified || !strings.Contains(res.Reason, "is not a string") {
			t.Errorf("result %+v", res)
		}
	})
}

// With no expected count and no canary there is nothing to verify by.
func TestCheckWithNothingToCompareIsNotVerified(t *testing.T) {
	addr, _ := instance(t, 5, "")
	res := check(t, addr, verify.Expect{})
	if res.Verified || res.Keys != 5 || res.ExpectedKeys != -1 || !strings.Contains(res.Reason, "nothing to compare with") {
		t.Errorf("result %+v", res)
	}
}

// A wrong password: the check is not made (Config), and the password is
// in neither the result nor the error.
func TestCheckWithAWrongPasswordNeverShowsIt(t *testing.T) {
	addr, _ := instance(t, 5, "")
	for _, pw := range []string{"wrong-" + password, ""} {
		res, err := verify.Check(context.Background(), addr, pw, expect(5))
		if err == nil || failure.KindOf(err) != failure.Config {
			t.Fatalf("password %q: err %v (kind %v), want Config", pw, err, failure.KindOf(err))
		}
		if res.Verified || !strings.Contains(res.Reason, "refused the password") {
			t.Errorf("result %+v", res)
		}
		b, _ := json.Marshal(res)
		for _, s := range []string{err.Error(), string(b), fmt.Sprintf("%+v", res)} {
			if strings.Contains(s, password) {
				t.Errorf("the password shows in %q", s)
			}
		}
	}
}

// Nothing listening, or a listener that never answers: Transient, within
// the check's time bound.
func TestCheckOfAnUnreachableInstanceIsBoundedAndTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accept and say nothing
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	for name, addr := range map[string]string{"silent": l.Addr().String(), "closed": closedAddr} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			res, err := verify.Check(context.Background(), addr, password, verify.Expect{Keys: 1, KeysKnown: true, Timeout: 300 * time.Millisecond})
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %s, the bound is 300ms", took)
			}
			if failure.KindOf(err) != failure.Transient || res.Verified || res.Keys != -1 || res.Reason == "" {
				t.Errorf("err %v (kind %v), result %+v", err, failure.KindOf(err), res)
			}
		})
	}
}

// Bad input is refused before any connection, as Invalid.
func TestCheckRefusesBadInput(t *testing.T) {
	for name, c := range map[string]struct {
		addr string
		want verify.Expect
	}{
		"no port":            {"10.0.1.61", verify.Expect{}},
		"negative keys":      {"127.0.0.1:1", verify.Expect{Keys: -4, KeysKnown: true}},
		"tolerance over 1":   {"127.0.0.1:1", verify.Expect{Tolerance: 2}},
		"a negative timeout": {"127.0.0.1:1", verify.Expect{Timeout: -time.Second}},
	} {
		_, err := verify.Check(context.Background(), c.addr, "", c.want)
		if failure.KindOf(err) != failure.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}

// Where INFO has no keyspace section (the in-process server of make run
// without redis-server), DBSIZE counts.
func TestCheckCountsWithDBSizeWhereInfoHasNoKeyspace(t *testing.T) {
	s, err := redisserver.InProcess{}.Start(context.Background(), redisserver.Config{Password: password})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), Password: password, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	fill(t, c, 42, backupTime.Format(time.RFC3339))
	res := check(t, s.Addr(), expect(42))
	if !res.Verified || res.Keys != 42 {
		t.Errorf("result %+v", res)
	}
}
