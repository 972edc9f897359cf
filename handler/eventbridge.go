package handler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"redis-restore/events"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// eventBridge handles the events an EventBridge rule delivers, one or a
// batch: a restore request (type com.tencentcloud.redis.restore.requested,
// the request as data), or a Cloud Monitor event alarm about a Redis
// instance. Any other event is skipped with a reason, not failed:
// EventBridge would deliver it again, and again it would not be ours.
func (inv *invocation) eventBridge(ctx context.Context, e event) []intent.Result {
	evs, err := decodeEventBridge(e)
	if err != nil {
		return inv.requestFailure(failure.E(err, "EventBridge event: "+failure.As(err).Message))
	}
	var jobs []job
	restores := 0
	for i, ev := range evs {
		for _, j := range inv.eventBridgeJobs(ev) {
			// A batch delivery may hold up to 10,000 events.
			overLimit(&j, &restores, "EventBridge delivery (set the target's BatchEventCount to at most 100)")
			if j.decided != nil && j.decided.Status == intent.Failed && j.decided.Reason == "" {
				j.decided.Reason = fmt.Sprintf("EventBridge event %d (id %s, type %s)", i, ev.ID, ev.Type)
			}
			jobs = append(jobs, j)
		}
	}
	return inv.run(ctx, jobs)
}

const eventBridgeTrigger = "eventbridge"

func (inv *invocation) eventBridgeJobs(ev events.EventBridgeEvent) []job {
	skip := func(instanceID, reason string) []job {
		inv.log.Info("eventbridge.skipped", "detail", "EventBridge event skipped", "eventId", ev.ID, "type", ev.Type, "reason", reason)
		return []job{{decided: &intent.Result{InstanceID: instanceID, Status: intent.Skipped, Reason: reason}}}
	}
	if ev.IsRestoreRequest() {
		data, err := ev.RequestBody()
		if err != nil {
			r := inv.requestFailure(decodeError("", err))[0]
			return []job{{decided: &r}}
		}
		return inv.jobs(decodeBody(data), inv.eventBridgeSource(&ev))
	}
	if _, _, ok := ev.CloudMonitorEvent(); ok {
		j, reason, err := cloudMonitorEventJob(&ev, inv.cfg.AlarmMargin, inv.received)
		switch {
		case err != nil:
			r := intent.Result{InstanceID: j.Request.InstanceID}
			r.Fail(err)
			return []job{{decided: &r}}
		case reason != "":
			return skip(j.Request.InstanceID, reason)
		}
		j.Since = inv.createdAt(ev.Time.Time) // see createdAt: a time ahead of the arrival is none
		inv.log.Info("alarm.accepted", "detail", "Cloud Monitor event accepted", "eventId", ev.ID, "instanceId", j.Request.InstanceID, "reason", j.Reason)
		return []job{{Intent: j}}
	}
	if ev.IsOutcome() {
		return skip("", fmt.Sprintf("event of type %q is this function's own outcome message, not a request", ev.Type))
	}
	return skip("", fmt.Sprintf("event of type %q from source %q is neither a restore request (type %s) nor a Cloud Monitor event alarm (<product>:ErrorEvent:<EventType>)",
		ev.Type, ev.Source, events.RestoreRequestedType))
}

// cloudMonitorEventJob turns a Cloud Monitor event alarm into a restore, as
// an alarm callback is turned (alarmJob): an abnormal ("1") or
// stateless ("-") event restores the newest backup that started before
// the event, less the alarm margin; a recovered one ("0") is skipped. The
// EventBridge rule's pattern chooses which events come here: they carry no
// alarm policy, so RESTORE_ALARM_POLICIES does not apply.
func cloudMonitorEventJob(ev *events.EventBridgeEvent, margin time.Duration, arrived time.Time) (intent.Intent, string, error) {
	instanceID := ev.InstanceID()
	status := strings.TrimSpace(string(ev.Status))
	j := intent.Intent{Request: intent.Request{InstanceID: instanceID}}
	switch {
	case instanceID == "":
		return j, fmt.Sprintf("Cloud Monitor event %s names no Redis instance (subject %q, data.instanceId)", ev.Type, ev.EventSubject()), nil
	case status == "0":
		return j, fmt.Sprintf("Cloud Monitor event %s on %s has recovered (status \"0\")", ev.Type, instanceID), nil
	case status != "1" && status != "-":
		return j, fmt.Sprintf("Cloud Monitor event %s on %s has status %q, neither \"1\" (abnormal) nor \"-\" (stateless)", ev.Type, instanceID, status), nil
	case ev.Time.IsZero():
		return j, "", invalid("time", "a Cloud Monitor event needs its time: the backup restored is the newest before it")
	}
	// Never later than the event's arrival: see notAfterArrival.
	at := ev.Time.Time
	if at.After(arrived) {
		at = arrived
	}
	before := at.Add(-margin)
	req := intent.Request{
		InstanceID: instanceID,
		BackupID:   intent.LatestBackup,
		Region:     strings.TrimSpace(ev.Region),
		Before:     &before,
	}
	if err := req.Validate(); err != nil {
		return j, "", err
	}
	return intent.Intent{
		Request: req,
		Trigger: eventBridgeTrigger,
		Channel: intent.ChannelInvoke,
		Since:   at,
		Key:     cloudMonitorEventKey(instanceID, ev.Type, ev.Time.Time), // the event's own time: the same in every delivery
		Reason: fmt.Sprintf("Cloud Monitor event %s (status %q) on %s at %s, less a margin of %s",
			ev.Type, status, instanceID, at.UTC().Format(time.RFC3339), margin),
		// An event alarm falls under RESTORE_BUDGET like a callback's.
		JobGuard: intent.JobGuard{Alarm: true},
	}, "", nil
}

// decodeEventBridge decodes one event or a batch ({"EventList": [...]})
// from the fields detect decoded. Its errors name the field at fault.
func decodeEventBridge(e event) ([]events.EventBridgeEvent, error) {
	if _, ok := e.obj["EventList"]; !ok {
		var ev events.EventBridgeEvent
		err := decodeFields(e.obj, &ev, "")
		return []events.EventBridgeEvent{ev}, err
	}
	out := make([]events.EventBridgeEvent, len(e.list))
	for i, item := range e.list {
		prefix := fmt.Sprintf("EventList[%d]", i)
		obj, err := decodeObject(item)
		if err != nil {
			return nil, invalid(prefix, failure.As(err).Message)
		}
		if err := decodeFields(obj, &out[i], prefix); err != nil {
			return nil, err
		}
	}
	return out, nil
}
