package handler

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"redis-restore/events"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// timer handles a timer event. Its Message is decoded once: whether it asks
// for the sweep and which restores it asks for are read from its fields.
func (inv *invocation) timer(ctx context.Context, ev event) []intent.Result {
	var t events.TimerEvent
	if err := decodeFields(ev.obj, &t, ""); err != nil {
		return inv.requestFailure(failure.E(err, "timer event: "+failure.As(err).Message))
	}
	msg := decodeBody([]byte(t.Message))
	if msg.err == nil && isSweep(msg.obj) {
		return inv.sweep(ctx, t) // see sweep.go
	}
	if strings.TrimSpace(t.Message) == "" {
		return inv.requestFailure(invalid("Message",
			"the timer's argument is empty: set it to a restore request such as {\"instanceId\":\"crs-...\",\"backupId\":\"latest\"}"))
	}
	return inv.run(ctx, inv.jobs(msg, inv.timerSource(&t)))
}

func (inv *invocation) cmq(ctx context.Context, ev event) []intent.Result {
	recs, err := decodeRecords[events.CMQRecord](ev.records)
	if err != nil {
		return inv.requestFailure(failure.E(err, "CMQ event: "+failure.As(err).Message))
	}
	// Each record is parsed on its own: one bad message must not stop the
	// others. The restores of all records then run as one batch, and the
	// results keep the records' order.
	var jobs []job
	restores := 0
	for i, rec := range recs {
		m := &rec.CMQ
		for _, j := range inv.jobs(decodeBody([]byte(m.MsgBody)), inv.cmqSource(m)) {
			overLimit(&j, &restores, "CMQ event")
			if j.decided != nil && j.decided.Status == intent.Failed {
				j.decided.Reason = fmt.Sprintf("CMQ record %d (msgId %s)", i, m.MsgID)
			}
			jobs = append(jobs, j)
		}
	}
	return inv.run(ctx, jobs)
}

// overLimit refuses by name a job beyond the MaxRestores restores an
// invocation has the time and the API budget for, whatever its records
// hold, rather than leaving it half done; counted counts the jobs so far.
func overLimit(j *job, counted *int, what string) {
	if j.decided != nil {
		return
	}
	if *counted++; *counted <= intent.MaxRestores {
		return
	}
	r := intent.Result{InstanceID: j.Request.InstanceID, BackupID: j.Request.BackupID}
	r.Fail(failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest),
		fmt.Sprintf("more than %d restores in one %s: this one was not started", intent.MaxRestores, what)))
	j.decided = &r
}

// decodeRecords decodes a CMQ or CKafka event's records from the raw
// records detect decoded to recognise the event.
func decodeRecords[R any](records []fields) ([]R, error) {
	out := make([]R, len(records))
	for i, rec := range records {
		if err := decodeFields(rec, &out[i], "Records"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// body is a request body (a direct invocation, a timer's Message, an HTTP
// or message body) decoded once into its raw fields.
type body struct {
	data []byte
	obj  fields
	err  error // why it is not a JSON object
}

func decodeBody(data []byte) body {
	obj, err := decodeObject(data)
	return body{data: data, obj: obj, err: err}
}

// job is a restore job, or a result already decided for it (skipped, or
// failed before any restore could start).
type job struct {
	intent.Intent
	decided *intent.Result
	fleet   *intent.Fleet // a fleet request (fleet.go)
}

// jobs turns a body, a restore request, a batch or an alarm, into jobs;
// what cannot be turned is a failed result.
func (inv *invocation) jobs(b body, src source) []job {
	fail := func(err error) []job {
		r := inv.requestFailure(err)[0]
		return []job{{decided: &r}}
	}
	if b.err != nil {
		return fail(b.err)
	}
	kind, err := bodyKind(b.obj)
	if err != nil {
		return fail(err)
	}
	if _, ok := lookup(b.obj, "fleet"); ok {
		j, err := inv.fleetJob(b, src) // see fleet.go
		if err != nil {
			return fail(err)
		}
		return []job{j}
	}
	if kind == Alarm {
		j, err := inv.alarmJob(b, src) // see alarm.go
		if err != nil {
			return fail(err)
		}
		return []job{j}
	}
	reqs, err := parseRequests(b.obj)
	if err != nil {
		return fail(err)
	}
	var out []job
	for i, r := range reqs {
		if src.noSecrets && r.Password != "" {
			return fail(invalid("password",
				"not accepted in a "+src.trigger+" event, which is stored in plain text: use RESTORE_PASSWORD_SECRET or RESTORE_PASSWORD"))
		}
		if err := inv.checkForce(r, src); err != nil {
			return fail(err)
		}
		out = append(out, job{Intent: intent.Intent{Request: r, Trigger: src.trigger, Channel: src.channel, Since: src.since, Key: requestKey(src, i), KeyFromArrival: src.arrivalKey, Fingerprint: src.fingerprint,
			JobGuard: intent.JobGuard{Force: r.Force}}})
	}
	return out
}

// run runs a batch: concurrently but bounded, each job on its own, one
// instance at a time, the same event key only once (see firstOfKey).
func (inv *invocation) run(ctx context.Context, jobs []job) []intent.Result {
	results := make([]intent.Result, len(jobs))
	if len(jobs) == 0 {
		return results
	}
	svc := inv.service(ctx)
	// Restores of one instance run one after another, in order: run at
	// once, two events for the same instance would both find no earlier
	// restore and both restore. In turn, the second finds the first's task.
	first := firstOfKey(jobs)
	var instances []string
	byInstance := map[string][]int{}
	for i, j := range jobs {
		if j.decided != nil {
			results[i] = *j.decided
			continue
		}
		if j.fleet != nil {
			results[i] = inv.runFleet(ctx, svc, *j.fleet)
			continue
		}
		if j.Key != "" && first[j.Key] != i {
			continue
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
				results[i] = svc.Run(ctx, jobs[i].Intent)
			}
			return nil
		})
	}
	g.Wait()
	for i, j := range jobs {
		if j.decided == nil && j.fleet == nil && j.Key != "" && first[j.Key] != i {
			results[i] = sameEvent(results[first[j.Key]])
		}
	}
	return results
}
