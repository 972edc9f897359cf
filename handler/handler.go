// Package handler is one invocation of the function: it recognises the
// event, authenticates webhook calls, turns the event into restore jobs,
// runs them, and answers in the shape the trigger expects.
package handler

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"redis-restore/internal/cloud"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
	"redis-restore/internal/secrets"
	"redis-restore/internal/uuid"
)

// Handler holds what outlives one invocation: the cloud clients (transport,
// rate limiters) and the warm container's memory. Everything that varies is
// injected, so that tests are deterministic.
type Handler struct {
	Clients *cloud.Clients
	Memory  *restore.Memory
	Log     *slog.Logger
	// Level, when set, is the level of Log's handler: each invocation
	// sets it from LOG_LEVEL (see config.LogLevel).
	Level           *slog.LevelVar
	Getenv          func(string) string // os.Getenv: SCF sets the environment per invocation
	restore.Runtime                     // the clock, retry pauses and IDs
	Passwords       *secrets.Cache      // container-wide cache of the password secret
	// LocalCredentials is asked outside SCF when the environment has no
	// credentials: the SDK's profile files, for local use.
	LocalCredentials func() (config.Credentials, bool)

	// Concurrency bounds how many restores of one batch run at once.
	Concurrency int

	streak *streak // the container's recent invocations: busy
}

// streak is when this container's last invocations began: one that
// follows several others within seconds is part of a stream (a
// region-wide incident's alarms), where the function leaves out reads it
// can do without (restore.Service.Busy).
type streak struct {
	mu    sync.Mutex
	times []time.Time
}

const (
	busyAfter  = 2                // invocations before this one,
	busyWithin = 10 * time.Second // within this long
)

// add records an invocation at now and reports whether it is busy.
func (s *streak) add(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.times {
		if now.Sub(t) < busyWithin {
			n++
		}
	}
	s.times = append(s.times, now)
	if len(s.times) > busyAfter {
		s.times = s.times[len(s.times)-busyAfter:]
	}
	return n >= busyAfter
}

// New returns a Handler with production defaults.
func New(log *slog.Logger) *Handler {
	return &Handler{
		Clients:     cloud.New(cloud.Options{}),
		Memory:      restore.NewMemory(24*time.Hour, 10000),
		Log:         log,
		Getenv:      os.Getenv,
		Runtime:     restore.Runtime{Now: time.Now, Sleep: restore.SleepContext, NewID: uuid.New},
		Passwords:   secrets.NewCache(time.Now),
		Concurrency: 8,
		streak:      &streak{},

		LocalCredentials: cloud.ProfileCredentials,
	}
}

// Response is the answer to every trigger but API gateway.
type Response struct {
	Results []intent.Result `json:"results"`
}

// MaxBodyBytes is the largest webhook body read; larger ones get 413.
const MaxBodyBytes = 256 << 10

// invocation is the state of one call of Invoke.
type invocation struct {
	h         *Handler
	cfg       *config.Config
	cfgErr    error            // what is wrong with cfg; every restore is refused with it
	svc       *restore.Service // resolved with cfg; see service
	roleTried bool             // RESTORE_ROLE_ARN was assumed, or failed to be
	log       *slog.Logger
	requestID string
	qualifier string // the version or alias SCF invoked, for a hand-off to it
	kind      Kind
	received  time.Time
	busy      bool // one of a stream of invocations in this container (streak)
	// callback is set when an HTTP call carries a Cloud Monitor alarm: its
	// answer then echoes the sessionId (see callback.go).
	callback *alarmCallback
}

// Invoke handles one event. Its answer is a Response, or for API gateway an
// events.APIGatewayResponse (for a function URL an
// events.FunctionURLResponse). It returns an error only when the platform
// should retry the event: a TaskId that could not be put on the queue, a
// restore whose outcome is unknown, or a transient failure of an
// asynchronous trigger or queue.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (answer any, err error) {
	inv := &invocation{h: h, received: h.Now(), log: h.Log}
	inv.busy = h.streak != nil && h.streak.add(inv.received)
	fc, _ := functioncontext.FromContext(ctx)
	inv.qualifier = "$LATEST"
	if fc != nil {
		inv.requestID = fc.RequestID
		inv.qualifier = cmp.Or(fc.FunctionVersion, inv.qualifier)
	}
	// scfRequestId is the invocation's; a Tencent Cloud API call's own
	// request id is logged as apiRequestId.
	inv.log = h.Log.With("scfRequestId", inv.requestID)
	if h.Level != nil {
		lvl, err := config.LogLevel(h.Getenv)
		h.Level.Set(lvl)
		if err != nil {
			inv.log.Warn("config.logLevel.invalid", "detail", err.Error())
		}
	}
	defer func() {
		if p := recover(); p != nil {
			inv.log.Error("invocation.panic", "detail", "invocation panicked", "panic", fmt.Sprint(p))
			answer, err = inv.answer(inv.requestFailure(failure.E(failure.Internal, failure.Code(failure.CodeInternal), fmt.Sprintf("internal error: %v", p))))
		}
	}()

	// The payload is decoded once, here: each trigger reads its struct
	// from these fields.
	ev, derr := detect(payload)
	inv.kind = ev.kind
	inv.log = inv.log.With("trigger", ev.kind.String())
	if derr != nil {
		inv.log.Warn("event.invalid", "detail", "event not understood", "error", derr.Error())
		return inv.answer(inv.requestFailure(derr))
	}
	inv.resolve(fc)

	var results []intent.Result
	switch ev.kind {
	case APIGateway:
		return inv.apigw(ctx, ev), nil
	case FunctionURL:
		return functionURLResponse(inv.apigw(ctx, ev)), nil
	case Timer:
		results = inv.timer(ctx, ev)
	case CMQ:
		results = inv.cmq(ctx, ev)
	case CKafka:
		results = inv.ckafka(ctx, ev)
	case EventBridge:
		results = inv.eventBridge(ctx, ev)
	case Handoff:
		results = inv.handoff(ctx, ev)
	case FleetWatch:
		results = inv.fleetWatch(ctx, ev)
	default:
		// A direct invocation: a request, a batch, or an alarm.
		results = inv.run(ctx, inv.jobs(body{data: payload, obj: ev.obj}, inv.directSource()))
	}
	return inv.answer(results)
}

// answer wraps results for the asynchronous triggers, and fails the
// invocation when the platform must retry it.
func (inv *invocation) answer(results []intent.Result) (any, error) {
	switch inv.kind {
	case APIGateway:
		return inv.gatewayResponse(results), nil
	case FunctionURL:
		return functionURLResponse(inv.gatewayResponse(results)), nil
	}
	inv.logSummary(results)
	resp := Response{Results: results}
	if err := retryError(inv.kind, results); err != nil {
		summary, _ := json.Marshal(resp)
		inv.log.Error("invocation.retry", "detail", "invocation fails so that the platform retries it", "reason", err.Error())
		return nil, fmt.Errorf("%v: %s", err, summary)
	}
	return resp, nil
}

// logSummary ends every invocation's log with one line that counts its
// outcomes, for dashboards and alarms on the function's own logs.
func (inv *invocation) logSummary(results []intent.Result) {
	counts := map[intent.Status]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	inv.log.Info("invocation.answered", "detail", "invocation answered", "results", len(results),
		"accepted", counts[intent.Accepted], "duplicate", counts[intent.Duplicate],
		"dryRun", counts[intent.DryRun], "planned", counts[intent.Planned], "skipped", counts[intent.Skipped], "failed", counts[intent.Failed], "unknown", counts[intent.Unknown], "queued", counts[intent.Queued],
		"ms", inv.h.Now().Sub(inv.received).Milliseconds())
}

// retryError says why the platform should retry the event, if it should.
func retryError(kind Kind, results []intent.Result) error {
	var undelivered, unknown, transient []string
	for _, r := range results {
		if r.Undelivered {
			undelivered = append(undelivered, fmt.Sprintf("%s task %d", r.InstanceID, r.TaskID))
		}
		if r.Status == intent.Unknown {
			unknown = append(unknown, cmp.Or(r.InstanceID, r.FleetID))
		}
		if r.Status == intent.Failed && r.Kind == failure.Transient {
			transient = append(transient, cmp.Or(r.InstanceID, r.FleetID))
		}
	}
	switch {
	case len(undelivered) > 0:
		return fmt.Errorf("restore accepted but its TaskId could not be put on the queue (%s)", strings.Join(undelivered, ", "))
	case len(unknown) > 0:
		return fmt.Errorf("whether the restore of %s started is unknown: retry the event, which looks for its task first", strings.Join(unknown, ", "))
	case len(transient) > 0 && retriedByPlatform(kind):
		return fmt.Errorf("transient failure of %s: retry the event (it will not restore twice)", strings.Join(transient, ", "))
	}
	return nil
}

// requestFailure is the answer to an event that could not be turned into
// restores at all.
func (inv *invocation) requestFailure(err error) []intent.Result {
	var r intent.Result
	r.Fail(err)
	return []intent.Result{r}
}

// httpStatus is the API gateway status of a batch: 202 when something was
// started or planned, 200 when everything was skipped, else the status of
// the first failure's kind. An unknown outcome is 504 when the deadline
// came first and 502 otherwise: a caller that retries with the same
// Idempotency-Key gets the TaskId once the task is found.
func httpStatus(results []intent.Result) int {
	status := http.StatusOK
	for _, r := range results {
		switch r.Status {
		case intent.Failed:
			return r.Kind.HTTPStatus()
		case intent.Unknown:
			if r.Error != nil && r.Error.Code == failure.CodeDeadlineExceeded {
				return http.StatusGatewayTimeout
			}
			return http.StatusBadGateway
		}
		if r.Status != intent.Skipped {
			status = http.StatusAccepted
		}
	}
	return status
}
