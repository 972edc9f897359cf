package verify

import (
	"context"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"redis-restore/internal/redisserver"
	"redis-restore/internal/redisserver/redistest"
)

// The check's connection refuses every command that is not read-only,
// alone (Do, DoContext, any case) or in a pipeline (Send), before it
// reaches the server: the key written beforehand is still there, and no
// other key was written.
func TestClientSendsReadOnlyCommandsOnly(t *testing.T) {
	s := redistest.Start(t, redisserver.Config{Password: "pw"})
	ctx := context.Background()
	plain := goredis.NewClient(&goredis.Options{Addr: s.Addr(), Password: "pw", Protocol: 2, DisableIdentity: true})
	defer plain.Close()
	if err := plain.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	c, err := dial(ctx, s.Addr(), "pw", time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if _, err := c.DoContext(ctx, "PING"); err != nil {
		t.Fatalf("PING: %v", err)
	}
	if _, err := c.DoContext(ctx, "set", "k2", "v"); err == nil || !strings.Contains(err.Error(), "SET refused") {
		t.Errorf("SET: %v, want refused", err)
	}
	if _, err := c.Do("FLUSHALL"); err == nil || !strings.Contains(err.Error(), "FLUSHALL refused") {
		t.Errorf("FLUSHALL: %v, want refused", err)
	}
	if err := c.Send("PING"); err != nil {
		t.Fatalf("pipeline PING: %v", err)
	}
	if err := c.Send("DEL", "k"); err == nil || !strings.Contains(err.Error(), "DEL refused") {
		t.Errorf("pipeline with DEL: %v, want refused", err)
	}
	if err := c.Send(""); err == nil {
		t.Error("Send of an empty command name was not refused")
	}
	// Do("") sends the queue (the PING only) and reads its replies.
	if reply, err := c.Do(""); err != nil {
		t.Errorf("the pipeline's PING: %v", err)
	} else if replies, _ := reply.([]any); len(replies) != 1 || replies[0] != "PONG" {
		t.Errorf("the pipeline's replies %#v, want one PONG", reply)
	}

	if v, err := plain.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("k is %q (%v): a DEL or FLUSHALL got through", v, err)
	}
	if n := plain.DBSize(ctx).Val(); n != 1 {
		t.Errorf("the server holds %d keys, want 1: a write got through", n)
	}
}
