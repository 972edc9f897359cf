// Package redistest gives tests real redis-server processes, stopped when
// the test ends.
package redistest

import (
	"context"
	"os"
	"testing"

	"redis-restore/internal/redisserver"
)

// EnvRequire names the environment variable that makes a missing
// redis-server fail a test instead of skipping it. `make test` sets it,
// after `make redis` installed redis-server, so that CI never passes by
// skipping the data tests.
const EnvRequire = "REDIS_RESTORE_REQUIRE_REDIS"

// Processes is a Starter of redis-server processes, their directories in
// the test's temporary directory. Without redis-server the test is
// skipped, or failed where EnvRequire is set.
func Processes(t testing.TB) *redisserver.Processes {
	t.Helper()
	bin := redisserver.Binary()
	if bin == "" {
		msg := "redis-server is not installed: make redis (as root: apt-get install -y redis-server)"
		if os.Getenv(EnvRequire) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return &redisserver.Processes{Bin: bin, Dir: t.TempDir()}
}

// Start starts a redis-server for the test and stops it at the test's end.
func Start(t testing.TB, cfg redisserver.Config) *redisserver.Process {
	t.Helper()
	s, err := Processes(t).StartProcess(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("stop redis-server: %v", err)
		}
	})
	return s
}
