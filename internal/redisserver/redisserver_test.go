package redisserver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"redis-restore/internal/redisserver"
	"redis-restore/internal/redisserver/redistest"
)

func client(t *testing.T, addr, password string) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, Password: password, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func writeKeys(t *testing.T, c *goredis.Client, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if err := c.Set(ctx, fmt.Sprintf("%s:%04d", prefix, i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func dbsize(t *testing.T, c *goredis.Client) int64 {
	t.Helper()
	n, err := c.DBSize(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A password with every character a redis.conf string treats specially
// is the server's password, and a client without it is refused.
func TestProcessRequiresItsPassword(t *testing.T) {
	const password = `p"a ss\word#1 ü`
	s := redistest.Start(t, redisserver.Config{Password: password})
	if err := client(t, s.Addr(), password).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING with the password: %v", err)
	}
	err := client(t, s.Addr(), "").Ping(context.Background()).Err()
	if err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("PING without the password: %v, want NOAUTH", err)
	}
	// Not on the command line, which every user of the machine reads.
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", s.PID()))
	if err == nil && strings.Contains(string(cmdline), "ss\\word") {
		t.Errorf("the password is on redis-server's command line: %q", cmdline)
	}
}

// Save writes an RDB of the data as of the call; a server started from it
// holds that data, not what was written after.
func TestProcessSnapshotHoldsTheDataAsOfSave(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t, redisserver.Config{Password: "pw"})
	c := client(t, s.Addr(), "pw")
	writeKeys(t, c, "k", 100)
	snap := filepath.Join(t.TempDir(), "backup.rdb")
	if err := s.Save(ctx, snap); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(snap)
	if err != nil || !strings.HasPrefix(string(b), "REDIS") {
		t.Fatalf("snapshot: %v, starts %q, want an RDB file (REDIS...)", err, b[:min(len(b), 9)])
	}
	writeKeys(t, c, "later", 20)

	clone := redistest.Start(t, redisserver.Config{Password: "other", Snapshot: snap})
	cc := client(t, clone.Addr(), "other")
	if n := dbsize(t, cc); n != 100 {
		t.Errorf("server from the snapshot: %d keys, want the 100 saved", n)
	}
	if v, err := cc.Get(ctx, "k:0042").Result(); err != nil || v != "42" {
		t.Errorf("k:0042 = %q, %v", v, err)
	}
}

// Close stops the process and removes its directory; a new server can
// then take the same port (a restore keeps the instance's address).
func TestProcessCloseStopsAndFreesThePort(t *testing.T) {
	p := redistest.Processes(t)
	s, err := p.StartProcess(context.Background(), redisserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/status", pid)); !errors.Is(err, os.ErrNotExist) {
		// A reaped process has no /proc entry (unless its pid was reused
		// at once, which would be rare).
		t.Errorf("process %d still there after Close: %v", pid, err)
	}
	entries, _ := os.ReadDir(p.Dir)
	if len(entries) != 0 {
		t.Errorf("Close left %d entries in %s", len(entries), p.Dir)
	}
	_, port, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(port)
	again, err := p.StartProcess(context.Background(), redisserver.Config{Port: n})
	if err != nil {
		t.Fatalf("restart on port %d: %v", n, err)
	}
	again.Close()
}

// A port another process holds fails the start with the server's own
// words, within the start's bound, and leaves nothing running.
func TestProcessOnATakenPortFailsClearly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := redistest.Processes(t)
	p.StartTimeout = 5 * time.Second
	_, err = p.Start(context.Background(), redisserver.Config{Port: l.Addr().(*net.TCPAddr).Port})
	if err == nil || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("start on a taken port: %v", err)
	}
	if entries, _ := os.ReadDir(p.Dir); len(entries) != 0 {
		t.Errorf("a failed start left %d entries in %s", len(entries), p.Dir)
	}
}

// A port that another redis-server holds, with the same password (the
// demo's, in another test that picked the same free port first), is no
// start either: that server answers PING, but it is not ours, and a
// snapshot taken through it would be written to its directory.
func TestProcessOnAPortAnotherRedisServerHoldsFailsClearly(t *testing.T) {
	other := redistest.Start(t, redisserver.Config{Password: "pw"})
	_, port, _ := net.SplitHostPort(other.Addr())
	n, _ := strconv.Atoi(port)
	p := redistest.Processes(t)
	p.StartTimeout = 5 * time.Second
	s, err := p.Start(context.Background(), redisserver.Config{Port: n, Password: "pw"})
	if err == nil {
		s.Close()
		t.Fatalf("start on %s, which another redis-server holds: no error", other.Addr())
	}
	if !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("start on a port another redis-server holds: %v", err)
	}
}

// The in-process server saves every type it can hold, with TTLs, and a
// server started from that file holds the same data.
func TestInProcessSnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, err := redisserver.InProcess{}.Start(ctx, redisserver.Config{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := client(t, s.Addr(), "pw")
	c.Set(ctx, "s", "v", time.Hour)
	c.HSet(ctx, "h", "f", "x")
	c.RPush(ctx, "l", "a", "b")
	c.SAdd(ctx, "set", "m")
	c.ZAdd(ctx, "z", goredis.Z{Score: 2.5, Member: "q"})
	c.Do(ctx, "SELECT", 3)
	c3 := goredis.NewClient(&goredis.Options{Addr: s.Addr(), Password: "pw", DB: 3, Protocol: 2, DisableIdentity: true})
	defer c3.Close()
	c3.Set(ctx, "in-db3", "1", 0)
	snap := filepath.Join(t.TempDir(), "snap.json")
	if err := s.Save(ctx, snap); err != nil {
		t.Fatal(err)
	}

	s2, err := redisserver.InProcess{}.Start(ctx, redisserver.Config{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	c2 := client(t, s2.Addr(), "")
	if v := c2.Get(ctx, "s").Val(); v != "v" {
		t.Errorf("s = %q", v)
	}
	if ttl := c2.TTL(ctx, "s").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL of s = %v, want the hour it had", ttl)
	}
	if v := c2.HGet(ctx, "h", "f").Val(); v != "x" {
		t.Errorf("h.f = %q", v)
	}
	if v := c2.LRange(ctx, "l", 0, -1).Val(); strings.Join(v, ",") != "a,b" {
		t.Errorf("l = %v", v)
	}
	if !c2.SIsMember(ctx, "set", "m").Val() {
		t.Error("set lost m")
	}
	if v := c2.ZScore(ctx, "z", "q").Val(); v != 2.5 {
		t.Errorf("z.q = %v", v)
	}
	c23 := goredis.NewClient(&goredis.Options{Addr: s2.Addr(), DB: 3, Protocol: 2, DisableIdentity: true})
	defer c23.Close()
	if v := c23.Get(ctx, "in-db3").Val(); v != "1" {
		t.Errorf("db 3 lost its key: %q", v)
	}
}

// Default picks real processes where redis-server is on the PATH.
func TestDefaultPicksRedisServerWhereInstalled(t *testing.T) {
	got := redisserver.Default(t.TempDir())
	_, isProc := got.(*redisserver.Processes)
	if want := redisserver.Binary() != ""; isProc != want {
		t.Errorf("Default = %s; redis-server installed: %v", got, want)
	}
	if isProc && !strings.HasPrefix(got.String(), "redis-server ") {
		t.Errorf("String = %q", got.String())
	}
}

// Keys counts the keys of every database, as Cloud Monitor's Keys metric
// does, on both kinds of server.
func TestKeysCountsEveryDatabase(t *testing.T) {
	ctx := context.Background()
	for name, start := range map[string]func(t *testing.T) redisserver.Server{
		"redis-server": func(t *testing.T) redisserver.Server { return redistest.Start(t, redisserver.Config{Password: "pw"}) },
		"in-process": func(t *testing.T) redisserver.Server {
			s, err := redisserver.InProcess{}.Start(ctx, redisserver.Config{Password: "pw"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := start(t)
			if n, err := s.Keys(ctx); err != nil || n != 0 {
				t.Fatalf("an empty server: %d keys, %v", n, err)
			}
			writeKeys(t, client(t, s.Addr(), "pw"), "k", 7)
			c5 := goredis.NewClient(&goredis.Options{Addr: s.Addr(), Password: "pw", DB: 5, Protocol: 2, DisableIdentity: true})
			defer c5.Close()
			writeKeys(t, c5, "five", 3)
			if n, err := s.Keys(ctx); err != nil || n != 10 {
				t.Fatalf("%d keys, %v; want 10 (7 in db 0, 3 in db 5)", n, err)
			}
		})
	}
}
