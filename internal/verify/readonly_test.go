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

// The check's client refuses every command that is not read-only, alone
// or in a pipeline, before it reaches the server.
func TestClientSendsReadOnlyCommandsOnly(t *testing.T) {
	s := redistest.Start(t, redisserver.Config{Password: "pw"})
	ctx := context.Background()
	c := newClient(s.Addr(), "pw", time.Second)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING: %v", err)
	}
	if err := c.Set(ctx, "k", "v", 0).Err(); err == nil || !strings.Contains(err.Error(), "SET refused") {
		t.Errorf("SET: %v, want refused", err)
	}
	if err := c.FlushAll(ctx).Err(); err == nil {
		t.Error("FLUSHALL was sent")
	}
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.Ping(ctx)
		p.Del(ctx, "k")
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "DEL refused") {
		t.Errorf("pipeline with DEL: %v, want refused", err)
	}
	plain := goredis.NewClient(&goredis.Options{Addr: s.Addr(), Password: "pw", Protocol: 2, DisableIdentity: true})
	defer plain.Close()
	if n := plain.DBSize(ctx).Val(); n != 0 {
		t.Errorf("the server holds %d keys: a write got through", n)
	}
}
