package redisserver

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

const (
	defaultStartTimeout = 10 * time.Second
	defaultStopTimeout  = 5 * time.Second
	// portTries bounds the retries of a start on a free port that another
	// process took between the pick and the bind.
	portTries = 3
	logTail   = 2 << 10
)

// Processes starts redis-server processes. Each has its own directory
// (its configuration, its dump.rdb, its log), removed when it stops, and
// listens on 127.0.0.1 only. The zero value runs the redis-server on the
// PATH.
type Processes struct {
	Bin string // redis-server; empty: looked up on the PATH
	Dir string // where each server's directory is made; empty: os.TempDir()
	// StartTimeout bounds a start, until the server answers PING; default
	// 10 s. StopTimeout is how long Close waits after SIGTERM before it
	// kills; default 5 s.
	StartTimeout, StopTimeout time.Duration

	versionOnce sync.Once
	version     string
}

func (p *Processes) bin() (string, error) {
	if p.Bin != "" {
		return p.Bin, nil
	}
	if b := Binary(); b != "" {
		return b, nil
	}
	return "", errors.New("redis-server is not installed (apt-get install redis-server, or make redis)")
}

// String is "redis-server 7.0.15" (the version the binary prints).
func (p *Processes) String() string {
	p.versionOnce.Do(func() {
		p.version = "redis-server"
		bin, err := p.bin()
		if err != nil {
			return
		}
		out, err := exec.Command(bin, "--version").Output()
		if err != nil {
			return
		}
		// "Redis server v=7.0.15 sha=... malloc=..."
		for _, f := range strings.Fields(string(out)) {
			if v, ok := strings.CutPrefix(f, "v="); ok {
				p.version += " " + v
			}
		}
	})
	return p.version
}

// Start is StartProcess for the Starter interface.
func (p *Processes) Start(ctx context.Context, cfg Config) (Server, error) {
	proc, err := p.StartProcess(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return proc, nil
}

// StartProcess starts a redis-server and returns once it answers PING
// (after it loaded the snapshot). ctx bounds only the start; the process
// runs until Close, or until this process exits (Linux: the parent's
// death kills it).
func (p *Processes) StartProcess(ctx context.Context, cfg Config) (*Process, error) {
	bin, err := p.bin()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(p.StartTimeout, defaultStartTimeout))
	defer cancel()
	for try := 1; ; try++ {
		port := cfg.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, fmt.Errorf("redis-server: pick a port: %w", err)
			}
		}
		proc, err := p.start(ctx, bin, port, cfg)
		if err == nil || cfg.Port != 0 || try == portTries || !errors.Is(err, errPortTaken) {
			return proc, err
		}
	}
}

var errPortTaken = errors.New("port taken")

func (p *Processes) start(ctx context.Context, bin string, port int, cfg Config) (*Process, error) {
	dir, err := os.MkdirTemp(p.Dir, "redis-")
	if err != nil {
		return nil, fmt.Errorf("redis-server: %w", err)
	}
	proc := &Process{dir: dir, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		stopTimeout: cmp.Or(p.StopTimeout, defaultStopTimeout), exited: make(chan struct{})}
	fail := func(err error) (*Process, error) {
		proc.Close()
		return nil, err
	}
	if cfg.Snapshot != "" {
		if err := copyFile(cfg.Snapshot, filepath.Join(dir, "dump.rdb")); err != nil {
			return fail(fmt.Errorf("redis-server: the snapshot: %w", err))
		}
	}
	// The password goes in a file only we read, not on the command line
	// that every user of the machine sees.
	conf := strings.Join([]string{
		"bind 127.0.0.1",
		"port " + strconv.Itoa(port),
		"dir " + quote(dir),
		"dbfilename dump.rdb",
		`save ""`, // snapshots only when asked (SAVE): a backup
		"appendonly no",
		"daemonize no",
		"logfile redis.log",
	}, "\n") + "\n"
	if cfg.Password != "" {
		conf += "requirepass " + quote(cfg.Password) + "\n"
	}
	confPath := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return fail(fmt.Errorf("redis-server: %w", err))
	}

	cmd := exec.Command(bin, confPath)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("redis-server: start %s: %w", bin, err))
	}
	proc.cmd = cmd
	go func() {
		proc.waitErr = cmd.Wait()
		close(proc.exited)
	}()
	proc.client = goredis.NewClient(&goredis.Options{
		Addr: proc.addr, Password: cfg.Password, Protocol: 2, DisableIdentity: true,
		DialTimeout: time.Second, MaxRetries: -1, PoolSize: 2, ContextTimeoutEnabled: true,
	})
	if err := proc.waitReady(ctx); err != nil {
		return fail(err)
	}
	return proc, nil
}

// Process is one redis-server.
type Process struct {
	cmd         *exec.Cmd
	dir, addr   string
	client      *goredis.Client
	stopTimeout time.Duration
	exited      chan struct{} // closed once the process is reaped
	waitErr     error         // valid after exited is closed
	closeOnce   sync.Once
	closeErr    error
}

func (p *Process) Addr() string { return p.addr }

// PID is the process's id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// waitReady pings until the server answers, exits, or ctx ends. A server
// loading its snapshot answers LOADING: it is not ready yet.
func (p *Process) waitReady(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		// Each try is short: until the server listens, whoever else holds
		// the port (a start that lost the race for it) may accept and
		// never answer.
		try, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		err := p.client.Ping(try).Err()
		if err == nil {
			// The one answering may be another redis-server with the same
			// password that took the port first: ours then exits with
			// "Address already in use" (below).
			err = p.isOurs(try)
		}
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		select {
		case <-p.exited:
			log := p.logTail()
			if strings.Contains(log, "Address already in use") {
				return fmt.Errorf("redis-server on %s: %w\n%s", p.addr, errPortTaken, log)
			}
			return fmt.Errorf("redis-server on %s exited before it answered (%v)\n%s", p.addr, p.waitErr, log)
		case <-ctx.Done():
			return fmt.Errorf("redis-server on %s did not answer PING: %w (last: %v)\n%s", p.addr, ctx.Err(), lastErr, p.logTail())
		case <-tick.C:
		}
	}
}

// isOurs checks that the server answering on p's address is p's process
// (INFO server's process_id).
func (p *Process) isOurs(ctx context.Context) error {
	info, err := p.client.Info(ctx, "server").Result()
	if err != nil {
		return err
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			if v != strconv.Itoa(p.PID()) {
				return fmt.Errorf("another redis-server (pid %s) answers on %s", v, p.addr)
			}
			return nil
		}
	}
	return fmt.Errorf("redis-server on %s: INFO server has no process_id", p.addr)
}

// Save makes the server write its RDB (SAVE: the data as of this
// command, in the server's own format) and copies it to path.
func (p *Process) Save(ctx context.Context, path string) error {
	if err := p.client.Save(ctx).Err(); err != nil {
		return fmt.Errorf("redis-server on %s: SAVE: %w", p.addr, err)
	}
	if err := copyFile(filepath.Join(p.dir, "dump.rdb"), path); err != nil {
		return fmt.Errorf("redis-server on %s: %w", p.addr, err)
	}
	return nil
}

// Keys sums INFO keyspace's keys= over the databases (no section: none).
// Parsed here, not with internal/verify's reading of the same lines: this
// count is what the emulator's Cloud Monitor answers, which the
// function's count is judged against, so the two are kept apart.
func (p *Process) Keys(ctx context.Context) (int64, error) {
	info, err := p.client.Info(ctx, "keyspace").Result()
	if err != nil {
		return 0, fmt.Errorf("redis-server on %s: INFO keyspace: %w", p.addr, err)
	}
	var total int64
	for line := range strings.Lines(info) {
		// db0:keys=12,expires=0,avg_ttl=0
		_, fields, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(line, "db") {
			continue
		}
		for f := range strings.SplitSeq(fields, ",") {
			if v, ok := strings.CutPrefix(f, "keys="); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return 0, fmt.Errorf("redis-server on %s: INFO keyspace line %q: %w", p.addr, strings.TrimSpace(line), err)
				}
				total += n
			}
		}
	}
	return total, nil
}

// Close stops the server with SIGTERM (with `save ""` it writes nothing),
// kills it if it is still there after StopTimeout, and removes its
// directory.
func (p *Process) Close() error {
	p.closeOnce.Do(func() {
		if p.client != nil {
			p.client.Close()
		}
		if p.cmd != nil {
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
				p.closeErr = err
			}
			t := time.NewTimer(p.stopTimeout)
			select {
			case <-p.exited:
				t.Stop()
			case <-t.C:
				_ = p.cmd.Process.Kill()
				<-p.exited
				p.closeErr = fmt.Errorf("redis-server on %s: killed, no exit %s after SIGTERM", p.addr, p.stopTimeout)
			}
		}
		if err := os.RemoveAll(p.dir); err != nil && p.closeErr == nil {
			p.closeErr = err
		}
	})
	return p.closeErr
}

// logTail is the end of the server's log, for an error message.
func (p *Process) logTail() string {
	b, err := os.ReadFile(filepath.Join(p.dir, "redis.log"))
	if err != nil {
		return ""
	}
	if len(b) > logTail {
		b = b[len(b)-logTail:]
	}
	return "redis-server log (tail):\n" + string(bytes.TrimSpace(b))
}

// quote is a redis.conf string: double quotes, with \\, \" and \xHH
// escapes (the config parser reads these, and nothing else, inside
// quotes).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// copyFile copies src to dst through a temporary file beside dst, so that
// dst is either whole or absent.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), ".copy-*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name()) // after the rename: nothing to remove
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(out.Name(), dst)
}

// freePort asks the kernel for a free loopback port. It is released
// before redis-server binds it; Start retries if another process took it.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
