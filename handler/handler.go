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
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"
	"golang.org/x/sync/errgroup"

	"redis-restore/events"
	"redis-restore/internal/cloud"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
	"redis-restore/internal/restore"
	"redis-restore/internal/secrets"
	"redis-restore/internal/uuid"
)

// Handler holds what outlives one invocation: the cloud clients (transport,
// rate limiters) and the warm container's memory. Everything that varies is
// injected, so that tests are deterministic.
type Handler struct {
	Clients   *cloud.Clients
	Memory    *restore.Memory
	Log       *slog.Logger
	Getenv    func(string) string // os.Getenv: SCF sets the environment per invocation
	Now       func() time.Time
	Sleep     func(ctx context.Context, d time.Duration) error
	NewID     func() string
	Passwords *secrets.Cache // container-wide cache of the password secret
	// LocalCredentials is asked outside SCF when the environment has no
	// credentials: the SDK's profile files, for local use.
	LocalCredentials func() (config.Credentials, bool)

	// Concurrency bounds how many restores of one batch run at once.
	Concurrency int
	// MinDelay and MaxDelay bound retry backoff; zero: the defaults.
	MinDelay, MaxDelay time.Duration
}

// New returns a Handler with production defaults.
func New(log *slog.Logger) *Handler {
	return &Handler{
		Clients:     cloud.New(cloud.Options{}),
		Memory:      restore.NewMemory(24*time.Hour, 10000),
		Log:         log,
		Getenv:      os.Getenv,
		Now:         time.Now,
		Sleep:       restore.SleepContext,
		NewID:       uuid.New,
		Passwords:   secrets.NewCache(time.Now),
		Concurrency: 8,

		LocalCredentials: cloud.ProfileCredentials,
	}
}

// Response is the answer to every trigger but API gateway.
type Response struct {
	Results []restore.Result `json:"results"`
}

// MaxBodyBytes is the largest webhook body read; larger ones get 413.
const MaxBodyBytes = 256 << 10

// invocation is the state of one call of Invoke.
type invocation struct {
	h         *Handler
	cfg       *config.Config
	cfgErr    error // what is wrong with cfg; every restore is refused with it
	log       *slog.Logger
	requestID string
	qualifier string // the version or alias SCF invoked, for a hand-off to it
	kind      events.Kind
	received  time.Time
	// callback is set when an HTTP call carries a Cloud Monitor alarm: its
	// answer then echoes the sessionId (see callback.go).
	callback *alarmCallback
}

// How far back the task list is searched for an earlier delivery's
// restore. An event that says when it was created is searched from then;
// these are for the others.
const (
	// untimedLookback covers an event that carries no creation time (a
	// direct invocation, a basic-auth webhook, a timer without Time): the
	// platform retries an asynchronous event twice, a minute apart, so a
	// restore of the instance this recent is taken for this event's.
	untimedLookback = 3 * time.Minute
	// keyLookback covers a webhook retried with the same Idempotency-Key
	// and a new signature: the caller said it is the same request.
	keyLookback = 15 * time.Minute
)

// createdAt is when an event was created, for the task-list check: its own
// time t where it has one, else the time it arrived less untimedLookback.
func (inv *invocation) createdAt(t time.Time) time.Time {
	if t.IsZero() {
		return inv.received.Add(-untimedLookback)
	}
	return t
}

// Invoke handles one event. Its answer is a Response, or for API gateway an
// events.APIGatewayResponse (for a function URL an
// events.FunctionURLResponse). It returns an error only when the platform
// should retry the event: a TaskId that could not be put on the queue, a
// restore whose outcome is unknown, or a transient failure of an
// asynchronous trigger or queue.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (answer any, err error) {
	inv := &invocation{h: h, received: h.Now(), log: h.Log}
	fc, _ := functioncontext.FromContext(ctx)
	inv.qualifier = "$LATEST"
	if fc != nil {
		inv.requestID = fc.RequestID
		inv.qualifier = cmp.Or(fc.FunctionVersion, inv.qualifier)
	}
	inv.log = h.Log.With("requestId", inv.requestID)
	defer func() {
		if p := recover(); p != nil {
			inv.log.Error("invocation panicked", "panic", fmt.Sprint(p))
			answer, err = inv.answer(inv.requestFailure(failure.E(failure.Internal, failure.Code(failure.CodeInternal), fmt.Sprintf("internal error: %v", p))))
		}
	}()

	if derr := events.CheckDepth(payload, events.MaxDepth); derr != nil {
		inv.log.Warn("event refused", "error", derr.Error())
		return inv.answer(inv.requestFailure(derr))
	}
	kind, derr := events.Detect(payload)
	inv.kind = kind
	inv.log = inv.log.With("trigger", kind.String())
	if derr != nil {
		inv.log.Warn("event not understood", "error", derr.Error())
		return inv.answer(inv.requestFailure(derr))
	}
	// A configuration that fails to load still yields what could be read:
	// every restore is then refused with the reason, and reported on the
	// queue where the queue's own settings are sound.
	inv.cfg, inv.cfgErr = config.Load(h.Getenv)
	if inv.cfgErr != nil {
		inv.log.Error("configuration is wrong: every restore is refused", "error", inv.cfgErr.Error())
	}
	cfg := inv.cfg
	if !cfg.Credentials.Complete() && h.Getenv("TENCENTCLOUD_RUNENV") != "SCF" && h.LocalCredentials != nil {
		if creds, ok := h.LocalCredentials(); ok {
			cfg.Credentials = creds
		}
	}
	// The messages' source names the function as SCF invoked it.
	if fc != nil && fc.FunctionName != "" {
		cfg.FunctionName = fc.FunctionName
	}
	if fc != nil && fc.Namespace != "" {
		cfg.Namespace = fc.Namespace
	}
	if region, rerr := invocationRegion(cfg.Region, fc); rerr != nil {
		inv.log.Error("configuration is wrong: every restore is refused", "error", rerr.Error())
		if inv.cfgErr == nil {
			inv.cfgErr = rerr
		}
	} else {
		cfg.Region = region
	}

	var results []restore.Result
	switch kind {
	case events.APIGateway:
		return inv.apigw(ctx, payload), nil
	case events.FunctionURL:
		return inv.functionURL(ctx, payload), nil
	case events.Timer:
		results = inv.timer(ctx, payload)
	case events.CMQ:
		results = inv.cmq(ctx, payload)
	case events.CKafka:
		results = inv.ckafka(ctx, payload)
	case events.EventBridge:
		results = inv.eventBridge(ctx, payload)
	case events.Handoff:
		results = inv.handoff(ctx, payload)
	default:
		// A direct invocation: a request, a batch, or an alarm. It says
		// nothing of when it was created: a restore of the instance in
		// the last untimedLookback is taken for its own.
		results = inv.body(ctx, payload, source{trigger: "direct", since: inv.createdAt(time.Time{})})
	}
	return inv.answer(results)
}

// answer wraps results for the asynchronous triggers, and fails the
// invocation when the platform must retry it.
func (inv *invocation) answer(results []restore.Result) (any, error) {
	switch inv.kind {
	case events.APIGateway:
		return inv.gatewayResponse(results), nil
	case events.FunctionURL:
		return functionURLResponse(inv.gatewayResponse(results)), nil
	}
	inv.logSummary(results)
	resp := Response{Results: results}
	if err := retryError(inv.kind, results); err != nil {
		summary, _ := json.Marshal(resp)
		inv.log.Error("invocation fails so that the platform retries it", "reason", err.Error())
		return nil, fmt.Errorf("%v: %s", err, summary)
	}
	return resp, nil
}

// logSummary ends every invocation's log with one line that counts its
// outcomes, for dashboards and alarms on the function's own logs.
func (inv *invocation) logSummary(results []restore.Result) {
	counts := map[restore.Status]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	inv.log.Info("invocation answered", "results", len(results),
		"accepted", counts[restore.Accepted], "duplicate", counts[restore.Duplicate],
		"dryRun", counts[restore.DryRun], "planned", counts[restore.Planned], "skipped", counts[restore.Skipped], "failed", counts[restore.Failed], "unknown", counts[restore.Unknown], "queued", counts[restore.Queued],
		"ms", inv.h.Now().Sub(inv.received).Milliseconds())
}

// retryError says why the platform should retry the event, if it should.
func retryError(kind events.Kind, results []restore.Result) error {
	var undelivered, unknown, transient []string
	for _, r := range results {
		if r.Undelivered {
			undelivered = append(undelivered, fmt.Sprintf("%s task %d", r.InstanceID, r.TaskID))
		}
		if r.Status == restore.Unknown {
			unknown = append(unknown, r.InstanceID)
		}
		if r.Status == restore.Failed && r.Kind == failure.Transient {
			transient = append(transient, r.InstanceID)
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
func (inv *invocation) requestFailure(err error) []restore.Result {
	var r restore.Result
	r.Fail(err)
	return []restore.Result{r}
}

// source is where a request body came from.
type source struct {
	trigger string
	// since: a restore task of the instance that started since then is
	// this event's (started by another delivery of it). The event's
	// creation time, or the time it arrived less a lookback.
	since       time.Time
	key         string // the event's identity, "" if it has none
	fingerprint string // what key was given for: a hash of the body
	noSecrets   bool   // the body is stored in plain text: refuse passwords
	mayForce    bool   // an authenticated webhook: "force" may override the budget
}

func (inv *invocation) timer(ctx context.Context, payload []byte) []restore.Result {
	var ev events.TimerEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return inv.requestFailure(failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), "timer event: "+err.Error()))
	}
	if isSweep(ev.Message) {
		return inv.sweep(ctx, ev) // see sweep.go
	}
	if strings.TrimSpace(ev.Message) == "" {
		return inv.requestFailure(failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), failure.Field("Message"),
			"the timer's argument is empty: set it to a restore request such as {\"instanceId\":\"crs-...\",\"backupId\":\"latest\"}"))
	}
	// A timer event without Time (not documented, but not impossible) is
	// keyed by the minute it arrived in: one firing, not one key for the
	// memory's whole lifetime.
	since, fired := inv.createdAt(ev.Time), ev.Time
	if fired.IsZero() {
		fired = inv.received.Truncate(time.Minute)
	}
	return inv.body(ctx, []byte(ev.Message), source{
		trigger:   "timer",
		since:     since,
		key:       "timer:" + ev.TriggerName + ":" + fired.UTC().Format(time.RFC3339),
		noSecrets: true,
	})
}

func (inv *invocation) cmq(ctx context.Context, payload []byte) []restore.Result {
	var ev events.CMQEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return inv.requestFailure(failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), "CMQ event: "+err.Error()))
	}
	// Each record is parsed on its own: one bad message must not stop the
	// others. The restores of all records then run as one batch, and the
	// results keep the records' order.
	var jobs []job
	restores := 0
	for i, rec := range ev.Records {
		since := inv.createdAt(rec.CMQ.PublishTime)
		key := ""
		if rec.CMQ.MsgID != "" {
			key = "cmq:" + rec.CMQ.MsgID
		}
		for _, j := range inv.jobs([]byte(rec.CMQ.MsgBody), source{trigger: "cmq", since: since, key: key, noSecrets: true}) {
			if j.decided == nil {
				// One invocation has the time and the API budget of at most
				// MaxRestores restores, whatever the records hold: the rest
				// are refused by name rather than half done.
				if restores++; restores > events.MaxRestores {
					r := restore.Result{InstanceID: j.Request.InstanceID, BackupID: j.Request.BackupID}
					r.Fail(failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest),
						fmt.Sprintf("more than %d restores in one CMQ event: this one was not started", events.MaxRestores)))
					j.decided = &r
				}
			}
			if j.decided != nil && j.decided.Status == restore.Failed {
				j.decided.Reason = fmt.Sprintf("CMQ record %d (msgId %s)", i, rec.CMQ.MsgID)
			}
			jobs = append(jobs, j)
		}
	}
	return inv.run(ctx, jobs)
}

// body handles a request body: a restore request, a batch, or an alarm.
func (inv *invocation) body(ctx context.Context, body []byte, src source) []restore.Result {
	return inv.run(ctx, inv.jobs(body, src))
}

// job is a restore job, or a result already decided for it (skipped, or
// failed before any restore could start).
type job struct {
	restore.Job
	decided *restore.Result
}

// jobs turns a body into jobs; what cannot be turned is a failed result.
func (inv *invocation) jobs(body []byte, src source) []job {
	fail := func(err error) []job {
		r := inv.requestFailure(err)[0]
		return []job{{decided: &r}}
	}
	if err := events.CheckDepth(body, events.MaxDepth); err != nil {
		return fail(err)
	}
	kind, err := events.DetectBody(body)
	if err != nil {
		return fail(err)
	}
	if kind == events.Alarm {
		if err := events.CheckUniqueKeys(body); err != nil {
			return fail(err)
		}
		var a events.AlarmNotification
		if err := json.Unmarshal(body, &a); err != nil {
			return fail(failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), "alarm notification: "+err.Error()))
		}
		j, skip, err := restore.AlarmJob(&a, inv.cfg, src.trigger)
		switch {
		case err != nil:
			return fail(err)
		case skip != "":
			inv.log.Info("alarm skipped", "instanceId", j.Request.InstanceID, "reason", skip)
			return []job{{decided: &restore.Result{InstanceID: j.Request.InstanceID, Status: restore.Skipped, Reason: skip}}}
		}
		inv.log.Info("alarm accepted", "instanceId", j.Request.InstanceID, "reason", j.Reason)
		return []job{{Job: j}}
	}
	reqs, err := events.ParseRestoreRequests(body)
	if err != nil {
		return fail(err)
	}
	var out []job
	for i, r := range reqs {
		if src.noSecrets && r.Password != "" {
			return fail(failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), failure.Field("password"),
				"not accepted in a "+src.trigger+" event, which is stored in plain text: use RESTORE_PASSWORD_SECRET or RESTORE_PASSWORD"))
		}
		if err := inv.checkForce(r, src); err != nil {
			return fail(err)
		}
		key := ""
		if src.key != "" {
			key = fmt.Sprintf("%s:%d", src.key, i)
		}
		out = append(out, job{Job: restore.Job{Request: r, Trigger: src.trigger, Since: src.since, Key: key, Fingerprint: src.fingerprint,
			JobGuard: restore.JobGuard{Force: r.Force}}})
	}
	return out
}

// run runs a batch: concurrently but bounded, each job on its own, one
// instance at a time, the same event key only once (a firing alarm notified
// again within one batch).
func (inv *invocation) run(ctx context.Context, jobs []job) []restore.Result {
	results := make([]restore.Result, len(jobs))
	if len(jobs) == 0 {
		return results
	}
	svc := inv.service(ctx)
	// Restores of one instance run one after another, in order: run at
	// once, two events for the same instance would both find no earlier
	// restore and both restore. In turn, the second finds the first's task.
	first := map[string]int{}
	var instances []string
	byInstance := map[string][]int{}
	for i, j := range jobs {
		if j.decided != nil {
			results[i] = *j.decided
			continue
		}
		if j.Key != "" {
			if _, seen := first[j.Key]; seen {
				continue
			}
			first[j.Key] = i
		}
		id := j.Request.InstanceID
		if _, ok := byInstance[id]; !ok {
			instances = append(instances, id)
		}
		byInstance[id] = append(byInstance[id], i)
	}
	var g errgroup.Group
	g.SetLimit(max(1, inv.h.Concurrency))
	for _, id := range instances {
		g.Go(func() error {
			for _, i := range byInstance[id] {
				results[i] = svc.Run(ctx, jobs[i].Job)
			}
			return nil
		})
	}
	g.Wait()
	for i, j := range jobs {
		if j.decided != nil || j.Key == "" || first[j.Key] == i {
			continue
		}
		r := results[first[j.Key]]
		if r.Status == restore.Accepted || r.Status == restore.Duplicate || r.Status == restore.Unknown {
			r.Status = restore.Duplicate
			r.MessageID = ""
			r.Undelivered = false
			r.Reason = "same event as another in this batch"
		}
		results[i] = r
	}
	return results
}

// service builds the restore service of this invocation, bound to the
// credentials it was handed. With RESTORE_ROLE_ARN the Redis calls use the
// assumed role (another account's instances); the queue and the password
// secret stay with the function's own role. A configuration or a role that
// fails makes a service that refuses every restore with the reason, so
// that each refusal is reported like any other failure.
func (inv *invocation) service(ctx context.Context) *restore.Service {
	h, cfg := inv.h, inv.cfg
	own := h.Clients.Session(cfg.Credentials, cfg.EndpointURL)
	svc := &restore.Service{
		Config:   cfg,
		Redis:    own,
		Outbox:   outbox{session: own, cfg: cfg},
		Memory:   h.Memory,
		Log:      inv.log,
		Now:      h.Now,
		Sleep:    h.Sleep,
		NewID:    h.NewID,
		Source:   fmt.Sprintf("scf/%s/%s/%s", cfg.Region, cfg.Namespace, cfg.FunctionName),
		MinDelay: h.MinDelay,
		MaxDelay: h.MaxDelay,
		Refuse:   inv.cfgErr,
	}
	if h.Passwords != nil {
		svc.Passwords = h.Passwords.For(cfg, own)
	}
	if svc.Refuse == nil && cfg.RoleARN != "" && cfg.Credentials.Complete() {
		assumed, err := h.Clients.AssumedSession(ctx, cfg.Credentials, cfg.EndpointURL, cfg.Region, cfg.RoleARN)
		if err != nil {
			inv.log.Error("cannot assume RESTORE_ROLE_ARN", "role", cfg.RoleARN, "error", err.Error())
			svc.Refuse = err
		} else {
			svc.Redis = assumed
		}
	}
	return svc
}

// outbox sends outcome messages to the configured queue or topic.
type outbox struct {
	session *cloud.Session
	cfg     *config.Config
}

func (o outbox) Publish(ctx context.Context, region, body string, tags []string) (string, error) {
	if o.cfg.Queue != "" {
		return o.session.SendQueue(ctx, region, o.cfg.Queue, body)
	}
	return o.session.PublishTopic(ctx, region, o.cfg.Topic, body, tags)
}

// httpStatus is the API gateway status of a batch: 202 when something was
// started or planned, 200 when everything was skipped, else the status of
// the first failure's kind. An unknown outcome is 504 when the deadline
// came first and 502 otherwise: a caller that retries with the same
// Idempotency-Key gets the TaskId once the task is found.
func httpStatus(results []restore.Result) int {
	status := http.StatusOK
	for _, r := range results {
		switch r.Status {
		case restore.Failed:
			return r.Kind.HTTPStatus()
		case restore.Unknown:
			if r.Error != nil && r.Error.Code == failure.CodeDeadlineExceeded {
				return http.StatusGatewayTimeout
			}
			return http.StatusBadGateway
		}
		if r.Status != restore.Skipped {
			status = http.StatusAccepted
		}
	}
	return status
}
