package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"redis-restore/events"
	"redis-restore/internal/failure"
	"redis-restore/internal/restore"
)

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
		j, skip, err := alarmJob(&a, inv.cfg, src.trigger)
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
