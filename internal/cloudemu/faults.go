package cloudemu

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Faults makes one action misbehave, to test how a client copes.
type Faults struct {
	// Sequence is consumed in order, one entry per request of the action,
	// before Rate applies; a zero Fault lets that request through.
	Sequence []Fault
	// Rate is, after the sequence, the probability that a request gets a
	// fault drawn from Kinds (random source seeded by Options.Seed).
	Rate  float64
	Kinds []Fault
}

// Fault is one way a request can go wrong. Reset wins over HTTPStatus,
// which wins over Code.
type Fault struct {
	Code       string        // answer this API error code, e.g. "InternalError"
	HTTPStatus int           // answer this HTTP status with a plain body, e.g. 503
	Reset      bool          // close the connection without answering
	Delay      time.Duration // wait this long (real time) before handling
	// AfterCommit performs the action first (a restore really starts) and
	// only then fails the answer: the lost answer that tempts a client to
	// repeat a restore. Alone, it resets the connection.
	AfterCommit bool
	// Late performs the action at once and answers only this much later
	// (real time): the restore is running while the client's timeout
	// fires. The answer, if anyone is still there for it, is the normal one.
	Late time.Duration
	// Body performs the action and answers these bytes instead of its
	// answer, e.g. {"Response":{"RequestId":"r1"}}: an accepted call whose
	// answer lacks what the client needs.
	Body string
}

func (f Fault) failsResponse() bool {
	return f.Code != "" || f.HTTPStatus != 0 || f.Reset || f.AfterCommit
}

type faultState struct {
	f    Faults
	next int
}

// SetFaults replaces the faults of an action and restarts its sequence;
// a zero Faults switches them off.
func (e *Emulator) SetFaults(action string, f Faults) {
	defer e.lock()()
	f.Sequence = append([]Fault(nil), f.Sequence...)
	f.Kinds = append([]Fault(nil), f.Kinds...)
	e.faults[action] = &faultState{f: f}
}

// FaultsInjected counts the requests that got a non-zero fault.
func (e *Emulator) FaultsInjected() int {
	defer e.lock()()
	return e.injected
}

// InjectedFault is one request that got a fault: its action, the fault,
// and its body, so that a test can tell which requests (which instance, which
// message) met a fault and which kinds of fault were injected.
type InjectedFault struct {
	Action string
	Fault  Fault
	Body   string
}

// InjectedFaults lists the requests that got a non-zero fault, in order.
func (e *Emulator) InjectedFaults() []InjectedFault {
	defer e.lock()()
	return slices.Clone(e.faultLog)
}

// String names a fault by what it does, e.g. "InternalError after-commit".
func (f Fault) String() string {
	var parts []string
	if f.Code != "" {
		parts = append(parts, f.Code)
	}
	if f.HTTPStatus != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(f.HTTPStatus))
	}
	if f.Reset {
		parts = append(parts, "reset")
	}
	if f.AfterCommit {
		parts = append(parts, "after-commit")
	}
	if f.Delay != 0 {
		parts = append(parts, "delay "+f.Delay.String())
	}
	if f.Late != 0 {
		parts = append(parts, "late "+f.Late.String())
	}
	if f.Body != "" {
		parts = append(parts, "body "+f.Body)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// pickFault decides the fate of one request. Caller holds e.mu.
func (e *Emulator) pickFault(action string) Fault {
	fs := e.faults[action]
	if fs == nil {
		return Fault{}
	}
	var f Fault
	switch {
	case fs.next < len(fs.f.Sequence):
		f = fs.f.Sequence[fs.next]
		fs.next++
	case fs.f.Rate > 0 && len(fs.f.Kinds) > 0 && e.rng.Float64() < fs.f.Rate:
		f = fs.f.Kinds[e.rng.IntN(len(fs.f.Kinds))]
	}
	if f != (Fault{}) {
		e.injected++
	}
	return f
}

func (e *Emulator) answerFault(w http.ResponseWriter, f Fault) {
	switch {
	case f.Reset || (f.HTTPStatus == 0 && f.Code == ""):
		resetConnection(w)
	case f.HTTPStatus != 0:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(f.HTTPStatus)
		_, _ = fmt.Fprintf(w, "%d %s\n", f.HTTPStatus, http.StatusText(f.HTTPStatus))
	default:
		writeError(w, errf(f.Code, "emulated fault %s", f.Code))
	}
}

// resetConnection drops the connection with a TCP RST where it can, so the
// client sees "connection reset by peer" rather than a clean EOF.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// Not a real connection (e.g. a ResponseRecorder): the nearest thing.
		http.Error(w, "connection reset (emulated)", http.StatusBadGateway)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// ParseFaults reads the command line's fault syntax:
//
//	Action=RATE:KIND,KIND;Action2=RATE:KIND
//
// where KIND is an error code (InternalError), an HTTP status (503),
// "reset", "delay=DURATION" (e.g. delay=200ms), or "after:KIND" for the
// same failure after the action was performed ("lost" = "after:reset").
func ParseFaults(spec string) (map[string]Faults, error) {
	out := map[string]Faults{}
	for _, entry := range strings.Split(spec, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		action, rest, ok := strings.Cut(entry, "=")
		if !ok || action == "" {
			return nil, fmt.Errorf("fault entry %q: want Action=RATE:KIND,…", entry)
		}
		rateStr, kinds, ok := strings.Cut(rest, ":")
		if !ok {
			return nil, fmt.Errorf("fault entry %q: want Action=RATE:KIND,…", entry)
		}
		rate, err := strconv.ParseFloat(rateStr, 64)
		if err != nil || rate < 0 || rate > 1 {
			return nil, fmt.Errorf("fault entry %q: rate must be a number from 0 to 1", entry)
		}
		f := Faults{Rate: rate}
		for _, k := range strings.Split(kinds, ",") {
			kind, err := parseFaultKind(strings.TrimSpace(k))
			if err != nil {
				return nil, fmt.Errorf("fault entry %q: %w", entry, err)
			}
			f.Kinds = append(f.Kinds, kind)
		}
		out[strings.TrimSpace(action)] = f
	}
	return out, nil
}

func parseFaultKind(k string) (Fault, error) {
	switch {
	case k == "reset":
		return Fault{Reset: true}, nil
	case k == "lost":
		return Fault{AfterCommit: true}, nil
	case strings.HasPrefix(k, "after:"):
		f, err := parseFaultKind(strings.TrimPrefix(k, "after:"))
		f.AfterCommit = true
		return f, err
	case strings.HasPrefix(k, "delay="):
		d, err := time.ParseDuration(strings.TrimPrefix(k, "delay="))
		if err != nil || d < 0 {
			return Fault{}, fmt.Errorf("bad delay %q", k)
		}
		return Fault{Delay: d}, nil
	}
	if n, err := strconv.Atoi(k); err == nil {
		if n < 100 || n > 599 {
			return Fault{}, fmt.Errorf("bad http status %d", n)
		}
		return Fault{HTTPStatus: n}, nil
	}
	if !errorCode.MatchString(k) {
		return Fault{}, fmt.Errorf("bad fault kind %q", k)
	}
	return Fault{Code: k}, nil
}

// errorCode is the shape of an API error code: InternalError,
// ResourceUnavailable.InstanceLockedError, ...
var errorCode = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.]*$`)

// ParseRateLimits reads "Action=N,Action2=M" into per-second limits.
func ParseRateLimits(spec string) (map[string]int, error) {
	out := map[string]int{}
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		action, n, ok := strings.Cut(entry, "=")
		v, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || action == "" || err != nil || v < 0 {
			return nil, fmt.Errorf("rate entry %q: want Action=N", entry)
		}
		out[strings.TrimSpace(action)] = v
	}
	return out, nil
}
