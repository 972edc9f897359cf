// Package verify checks what a restore or a clone brought back: it
// connects to the instance, reads how many keys it holds and, where one
// is configured, a canary key that dates the data, and compares them with
// what the backup held.
//
// The API, in full:
//
//		res, err := verify.Check(ctx, "10.0.1.61:6379", password, verify.Expect{
//			Keys: 1204310, KeysKnown: true, // the backup's key count, where known
//			CanaryKey:  "restore:canary",   // optional: its value is the time it was written
//			BackupTime: backup.StartTime,   // judges the canary's time
//		})
//
//	  - err != nil: the check could not be made, and says why with its
//	    failure kind: Transient (the instance does not answer, or still
//	    loads its data, or the time bound passed: check again later),
//	    Config (it refused the password), Invalid (no address, a bad
//	    Expect). res is then Verified false, with the same Reason.
//	  - err == nil: the check was made. res.Verified says whether the data
//	    checks out, res.Reason why not; res.Keys, res.ExpectedKeys and
//	    res.DataAsOf are the figures to report (they carry JSON names).
//
// What "checks out" means: the instance answers PING; its key count (the
// sum of INFO keyspace over its databases, or DBSIZE where INFO has no
// keyspace section, as through some proxies) is within Tolerance of the
// backup's (only below it, with FewerOnly), and not zero where the backup
// held keys; the canary, where one is named, exists, holds a time (RFC
// 3339, or Unix seconds or milliseconds), that time is not after the
// backup's by more than MaxSkew (else the data is newer than the backup:
// it was not restored, or the canary was written since), and not before
// it by more than CanaryMaxAge where that is set (else an older backup
// came back). With neither an expected count nor a canary there is
// nothing to compare with, and the result is not verified.
//
// A check is bounded in time (Expect.Timeout, default 5 s, for all of
// it: the dial, each read and write, and the context), makes one
// connection (redigo's, no pool, no retries), and is read-only: the
// connection refuses to send anything but HELLO, AUTH, SELECT, PING, INFO,
// DBSIZE and GETRANGE (the canary is read with GETRANGE, 64 bytes at
// most). The password is never in the result, an error or a log line:
// server replies quoted in errors have it blotted out.
package verify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gomodule/redigo/redis"

	"redis-restore/internal/failure"
)

const (
	defaultTimeout   = 5 * time.Second
	defaultTolerance = 0.01
	defaultMaxSkew   = time.Minute
	// canaryBytes bounds the canary's read: a time needs far fewer.
	canaryBytes = 64
)

// Expect is what the instance should hold.
type Expect struct {
	// Keys is the key count the backup held, over all databases; only
	// judged when KeysKnown (a zero count is a count).
	Keys      int64
	KeysKnown bool
	// Tolerance is how far the count found may be from Keys, as a
	// fraction of Keys, rounded up: keys written, or expired, since the
	// restore. Default 0.01; set a negative value for an exact match.
	// No key at all where the backup held some is never within it.
	Tolerance float64
	// FewerOnly judges only a count below Keys: where Keys was counted
	// before the backup (Cloud Monitor's point), keys written since, and
	// the application's writes after the restore, make more.
	FewerOnly bool
	// CanaryKey is a key in database 0 whose value is the time it was
	// written; empty: none.
	CanaryKey string
	// BackupTime is the backup's time, which the canary's is judged by;
	// zero: the canary's time is reported, not judged.
	BackupTime time.Time
	// MaxSkew is how much later than BackupTime the canary may be (the
	// writer's clock against the cloud's, the backup's own duration).
	// Default 1 min.
	MaxSkew time.Duration
	// CanaryMaxAge is how much earlier than BackupTime the canary may be:
	// the writer's period and some. Zero: not judged.
	CanaryMaxAge time.Duration
	// Timeout bounds the whole check. Default 5 s.
	Timeout time.Duration
}

// Result is what a check found.
type Result struct {
	Verified bool `json:"verified"`
	// Keys is the count found, -1 if it was not read.
	Keys int64 `json:"keys"`
	// ExpectedKeys is Expect.Keys, -1 if not known.
	ExpectedKeys int64 `json:"expectedKeys"`
	// DataAsOf is the canary's time; zero without a canary.
	DataAsOf time.Time `json:"dataAsOf,omitzero"`
	// Reason says why the data does not check out, or why the check
	// could not be made; empty when verified.
	Reason string `json:"reason,omitempty"`
}

// readOnly are the commands a check may send; HELLO, AUTH and SELECT are
// a connection's own (this one authenticates with AUTH, in RESP2: what
// every Redis since 2.8, and Tencent's proxies, accept; it sends no HELLO
// and no SELECT).
var readOnly = map[string]bool{"hello": true, "auth": true, "select": true, "ping": true, "info": true, "dbsize": true, "getrange": true}

// Check connects to the instance at addr ("host:port") with password
// (empty: none) and checks its data against want. See the package comment
// for what it returns.
func Check(ctx context.Context, addr, password string, want Expect) (Result, error) {
	res := Result{Keys: -1, ExpectedKeys: -1}
	if want.KeysKnown {
		res.ExpectedKeys = want.Keys
	}
	if err := validate(addr, want); err != nil {
		res.Reason = err.Error()
		return res, failure.E(failure.Invalid, res.Reason)
	}
	timeout := cmp.Or(want.Timeout, defaultTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	unmade := func(step string, err error) (Result, error) {
		kind, what := classify(err)
		res.Reason = fmt.Sprintf("%s: %s: %s", step, what, redact(err.Error(), password))
		return res, failure.E(kind, res.Reason)
	}
	c, err := dial(ctx, addr, password, timeout)
	if err != nil {
		return unmade("PING "+addr, err)
	}
	defer c.Close()
	if _, err := c.DoContext(ctx, "PING"); err != nil {
		return unmade("PING "+addr, err)
	}
	n, err := countKeys(ctx, c)
	if err != nil {
		return unmade("the key count", err)
	}
	res.Keys = n

	var problems []string
	if want.KeysKnown {
		allowed := int64(0)
		if tol := cmp.Or(want.Tolerance, defaultTolerance); tol > 0 {
			allowed = int64(math.Ceil(tol * float64(want.Keys)))
		}
		switch diff := n - want.Keys; {
		case n == 0 && want.Keys > 0:
			problems = append(problems, fmt.Sprintf("no keys, the backup held %d", want.Keys))
		case want.FewerOnly && -diff > allowed:
			problems = append(problems, fmt.Sprintf("%d keys, the backup held %d (at most %d fewer)", n, want.Keys, allowed))
		case !want.FewerOnly && (diff > allowed || -diff > allowed):
			problems = append(problems, fmt.Sprintf("%d keys, the backup held %d (at most %d apart)", n, want.Keys, allowed))
		}
	}
	if want.CanaryKey != "" {
		v, err := redis.String(c.DoContext(ctx, "GETRANGE", want.CanaryKey, 0, canaryBytes-1))
		if err != nil && !errors.Is(err, redis.ErrNil) {
			if isWrongType(err) {
				problems = append(problems, fmt.Sprintf("the canary %q is not a string", want.CanaryKey))
			} else {
				return unmade("the canary", err)
			}
		} else if asOf, perr := parseTime(v); v == "" {
			problems = append(problems, fmt.Sprintf("the canary %q is missing", want.CanaryKey))
		} else if perr != nil {
			problems = append(problems, fmt.Sprintf("the canary %q does not hold a time: %s", want.CanaryKey, perr))
		} else {
			res.DataAsOf = asOf
			problems = append(problems, judgeCanary(asOf, want)...)
		}
	}
	switch {
	case len(problems) > 0:
		res.Reason = strings.Join(problems, "; ")
	case !want.KeysKnown && want.CanaryKey == "":
		res.Reason = "nothing to compare with: no expected key count and no canary"
	default:
		res.Verified = true
	}
	return res, nil
}

func validate(addr string, want Expect) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("verify: the address %q is not host:port", addr)
	}
	switch {
	case want.KeysKnown && want.Keys < 0:
		return fmt.Errorf("verify: Expect.Keys %d is negative", want.Keys)
	case want.Tolerance > 1:
		return fmt.Errorf("verify: Expect.Tolerance %v is over 1 (100%%)", want.Tolerance)
	case want.Timeout < 0 || want.MaxSkew < 0 || want.CanaryMaxAge < 0:
		return errors.New("verify: a negative duration in Expect")
	}
	return nil
}

// judgeCanary compares the canary's time with the backup's.
func judgeCanary(asOf time.Time, want Expect) []string {
	if want.BackupTime.IsZero() {
		return nil
	}
	const layout = "2006-01-02 15:04:05 MST"
	var out []string
	if skew := cmp.Or(want.MaxSkew, defaultMaxSkew); asOf.After(want.BackupTime.Add(skew)) {
		out = append(out, fmt.Sprintf("the data is as of %s, after the backup (%s): not the backup's data, or the canary was written since",
			asOf.UTC().Format(layout), want.BackupTime.UTC().Format(layout)))
	}
	if want.CanaryMaxAge > 0 && asOf.Before(want.BackupTime.Add(-want.CanaryMaxAge)) {
		out = append(out, fmt.Sprintf("the data is as of %s, more than %s before the backup (%s): an older backup's",
			asOf.UTC().Format(layout), want.CanaryMaxAge, want.BackupTime.UTC().Format(layout)))
	}
	return out
}

// dial opens the check's one connection, every command bounded by
// timeout as well as by ctx, and authenticates on it: AUTH goes through
// the read-only guard like every other command.
func dial(ctx context.Context, addr, password string, timeout time.Duration) (readOnlyConn, error) {
	conn, err := redis.DialContext(ctx, "tcp", addr,
		redis.DialConnectTimeout(timeout), redis.DialReadTimeout(timeout), redis.DialWriteTimeout(timeout))
	if err != nil {
		return readOnlyConn{}, err
	}
	c := readOnlyConn{conn}
	if password != "" {
		if _, err := c.DoContext(ctx, "AUTH", password); err != nil {
			c.Close()
			return readOnlyConn{}, err
		}
	}
	return c, nil
}

// readOnlyConn refuses, before it is sent, any command not in readOnly,
// whichever way it goes: Do, DoContext, or Send (a pipeline). It has no
// DoWithTimeout: redis.DoWithTimeout on it fails rather than go around
// the guard.
type readOnlyConn struct{ redis.Conn }

func (c readOnlyConn) Do(cmd string, args ...any) (any, error) {
	if err := refuse(cmd, true); err != nil {
		return nil, err
	}
	return c.Conn.Do(cmd, args...)
}

func (c readOnlyConn) DoContext(ctx context.Context, cmd string, args ...any) (any, error) {
	if err := refuse(cmd, true); err != nil {
		return nil, err
	}
	return redis.DoContext(c.Conn, ctx, cmd, args...)
}

func (c readOnlyConn) Send(cmd string, args ...any) error {
	if err := refuse(cmd, false); err != nil {
		return err
	}
	return c.Conn.Send(cmd, args...)
}

// ReceiveContext reads a reply; it sends nothing.
func (c readOnlyConn) ReceiveContext(ctx context.Context) (any, error) {
	return redis.ReceiveContext(c.Conn, ctx)
}

// refuse says why cmd may not be sent, or nil. An empty name is allowed
// where it sends no command (Do's "flush what Send queued and read the
// replies", each of them checked when queued).
func refuse(cmd string, emptyAllowed bool) error {
	if readOnly[strings.ToLower(cmd)] || (cmd == "" && emptyAllowed) {
		return nil
	}
	return fmt.Errorf("verify: %s refused: a check sends read-only commands only", strings.ToUpper(cmd))
}

// countKeys sums INFO keyspace over the databases ("db0:keys=12,..."); a
// server whose INFO has no keyspace section answers DBSIZE (database 0).
func countKeys(ctx context.Context, c readOnlyConn) (int64, error) {
	info, err := redis.String(c.DoContext(ctx, "INFO", "keyspace"))
	if err != nil && !isReplyError(err) {
		return 0, err
	}
	if err == nil && strings.Contains(info, "# Keyspace") {
		var total int64
		for line := range strings.Lines(info) {
			_, fields, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok || !strings.HasPrefix(line, "db") {
				continue
			}
			for f := range strings.SplitSeq(fields, ",") {
				if v, ok := strings.CutPrefix(f, "keys="); ok {
					n, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						return 0, fmt.Errorf("INFO keyspace line %q: %w", strings.TrimSpace(line), err)
					}
					total += n
				}
			}
		}
		return total, nil
	}
	return redis.Int64(c.DoContext(ctx, "DBSIZE"))
}

// parseTime reads a canary: RFC 3339, or Unix seconds, or Unix
// milliseconds (a number past 10^11: after the year 5138 in seconds).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor Unix seconds or milliseconds", s)
	}
	if n > 1e11 {
		return time.UnixMilli(n).UTC(), nil
	}
	return time.Unix(n, 0).UTC(), nil
}

// classify gives a failed command's error its kind, and says it in words.
func classify(err error) (failure.Kind, string) {
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded):
		return failure.Transient, "no answer within the check's time"
	case strings.Contains(msg, "NOAUTH"), strings.Contains(msg, "WRONGPASS"),
		strings.Contains(msg, "invalid password"), strings.Contains(msg, "ERR AUTH"):
		return failure.Config, "the instance refused the password"
	case strings.HasPrefix(msg, "LOADING"):
		return failure.Transient, "the instance is still loading its data"
	case isReplyError(err):
		return failure.Upstream, "the instance answered with an error"
	}
	return failure.Transient, "the instance cannot be reached"
}

// isReplyError reports whether err is the server's answer (redigo gives
// those as redis.Error), not the connection's failure.
func isReplyError(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}

func isWrongType(err error) bool { return strings.HasPrefix(err.Error(), "WRONGTYPE") }

// redact blots the password out of a message quoting the server or the
// client. A password of fewer than 4 characters would blot out ordinary
// words: the message is then left out.
func redact(msg, password string) string {
	switch {
	case password == "":
		return msg
	case len(password) < 4:
		return "(the server's words left out: they might quote a short password)"
	}
	return strings.ReplaceAll(msg, password, "[password]")
}
