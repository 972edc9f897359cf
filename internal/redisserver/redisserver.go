// Package redisserver runs Redis servers on the loopback interface for the
// cloud emulator, `make run` and the tests: real redis-server processes
// (Debian's package redis-server), each with its own directory and port,
// or, on a machine without redis-server, servers inside this process
// (miniredis) that keep the same contract.
//
// The contract is small on purpose, the things the emulator does with an
// instance's data: serve it at an address, save it to a file (a backup),
// start a server from such a file (a restore, a clone, a VIP switch), and
// count its keys (Cloud Monitor's key count). A redis-server's file is its RDB snapshot; an in-process
// server's is its own JSON dump, which only it reads.
package redisserver

import (
	"context"
	"os/exec"
)

// Config is what a new server serves.
type Config struct {
	// Port is the loopback port to listen on; 0 picks a free one. A restart
	// after a restore asks for the port the instance had, so that its
	// address does not change.
	Port int
	// Password is the server's requirepass; empty: no AUTH. It is given to
	// the server in a file only its owner reads, never on a command line.
	Password string
	// Snapshot is a file an earlier Save wrote (of a server of the same
	// kind); the new server starts with its data. Empty: no data.
	Snapshot string
}

// Server is one running server.
type Server interface {
	// Addr is "127.0.0.1:PORT".
	Addr() string
	// Save writes the server's whole data set to path, as a snapshot
	// Config.Snapshot accepts.
	Save(ctx context.Context, path string) error
	// Keys counts the keys of every database: what Cloud Monitor's Keys
	// metric reports of an instance (the emulator's GetMonitorData).
	Keys(ctx context.Context) (int64, error)
	// Close stops the server and removes what it kept on disk. It is safe
	// to call more than once.
	Close() error
}

// Starter starts servers of one kind.
type Starter interface {
	Start(ctx context.Context, cfg Config) (Server, error)
	// String names the kind for people: "redis-server 7.0.15" or
	// "in-process (miniredis)".
	String() string
}

// Binary is the redis-server on the PATH, or "" if there is none.
func Binary() string {
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return ""
	}
	return p
}

// Default is real redis-server processes where redis-server is installed,
// their directories under dir (empty: the system's temporary directory),
// and in-process servers elsewhere.
func Default(dir string) Starter {
	if bin := Binary(); bin != "" {
		return &Processes{Bin: bin, Dir: dir}
	}
	return InProcess{}
}
