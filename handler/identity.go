package handler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"redis-restore/events"
	"redis-restore/internal/intent"
)

// An event's identity, made here for every trigger, says which restores
// are its own, so that a second delivery, a replay or a retry never
// restores again: since (a restore task of the instance since then is this
// event's) and key (its name in the warm container's memory). Keys are
// compared across deliveries: their strings must not change.

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

// source is where a request body came from, and its identity.
type source struct {
	trigger     string
	channel     intent.Channel // how it reached the function: see intent.Channel
	since       time.Time
	key         string // the event's identity, "" if it has none
	fingerprint string // what key was given for: a hash of the body
	noSecrets   bool   // the body is stored in plain text: refuse passwords
	mayForce    bool   // an authenticated webhook: "force" may override the budget
	arrivalKey  bool   // key names the event only by when it arrived: a retry may have another
}

// createdAt is when an event was created, for the task-list check: its own
// time t where it has one, else the time it arrived less untimedLookback.
// An event's own time later than its arrival is no time at all: a clock
// that runs fast, or lies, would hide this event's restore from its
// redelivery (which arrives later still), so it is searched for as an
// untimed event's is.
func (inv *invocation) createdAt(t time.Time) time.Time {
	if t.IsZero() || t.After(inv.received) {
		return inv.received.Add(-untimedLookback)
	}
	return t
}

// notAfterArrival is t, or the invocation's arrival if t is later: the
// event's clock may run fast, or lie.
func (inv *invocation) notAfterArrival(t time.Time) time.Time {
	if t.After(inv.received) {
		return inv.received
	}
	return t
}

func (inv *invocation) directSource() source {
	return source{trigger: "direct", channel: intent.ChannelInvoke, since: inv.createdAt(time.Time{})}
}

// timerSource: a timer event without Time (not documented, but not
// impossible) is keyed by the minute it arrived in: one firing, not one
// key for the memory's whole lifetime.
func (inv *invocation) timerSource(ev *events.TimerEvent) source {
	fired := ev.Time
	if fired.IsZero() {
		fired = inv.received.Truncate(time.Minute)
	}
	return source{trigger: "timer", channel: intent.ChannelInvoke, since: inv.createdAt(ev.Time),
		key: "timer:" + ev.TriggerName + ":" + fired.UTC().Format(time.RFC3339), noSecrets: true, arrivalKey: ev.Time.IsZero()}
}

func (inv *invocation) cmqSource(m *events.CMQMessage) source {
	src := source{trigger: "cmq", channel: intent.ChannelInvoke, since: inv.createdAt(m.PublishTime), noSecrets: true}
	if m.MsgID != "" {
		src.key = "cmq:" + m.MsgID
	}
	return src
}

// ckafkaSource: a Kafka message carries no time the trigger passes on:
// like other events without one, a restore of the instance in the last
// untimedLookback is taken for this message's (the trigger retries a
// failed batch at once). Topic, partition and offset identify it however
// often the trigger delivers it.
func (inv *invocation) ckafkaSource(m *events.CKafkaMessage) source {
	return source{trigger: "ckafka", channel: intent.ChannelInvoke, since: inv.createdAt(time.Time{}), noSecrets: true,
		key: "ckafka:" + m.Topic + ":" + strconv.FormatInt(m.Partition, 10) + ":" + strconv.FormatInt(m.Offset, 10)}
}

func (inv *invocation) eventBridgeSource(ev *events.EventBridgeEvent) source {
	src := source{trigger: eventBridgeTrigger, channel: intent.ChannelInvoke, since: inv.createdAt(ev.Time.Time), noSecrets: true}
	if ev.ID != "" {
		src.key = "eventbridge:" + ev.ID
	}
	return src
}

// handoffSource keeps the HTTP call's identity and channel, which its MAC
// proves (see handoff.go). Passwords never travel in a hand-off (see
// mayHandOff).
func (inv *invocation) handoffSource(h *events.HandoffCall) source {
	// A fleet's members may carry its force: the fleet was admitted with
	// it, and the seal proves that.
	return source{trigger: h.Trigger, channel: intent.Channel(h.Channel), since: inv.createdAt(h.Since), key: h.Key, fingerprint: h.Fingerprint, noSecrets: true,
		mayForce: h.Fleet != ""}
}

// webhookSource gives a webhook call its identity:
//   - a signed call is named by its signature, which covers its time and
//     body: the same signed request sent again is the same event, in any
//     container (the task list is searched from the time it was signed);
//   - an Idempotency-Key names the request across new signatures, bound to
//     the body (the same key with another body is refused), and searched
//     keyLookback back, since the caller says it is the same request;
//   - a basic-auth call without a key has no identity: it is searched
//     untimedLookback back, like a direct invocation.
//
// The event's time is the earlier of the signature's and the arrival: a
// caller whose clock runs fast must not hide its own restore.
func (inv *invocation) webhookSource(who caller, idempotencyKey string, body []byte) source {
	src := source{trigger: inv.kind.String(), channel: intent.ChannelBasic, since: inv.received, mayForce: true}
	if who.method == "signature" {
		src.channel = intent.ChannelSigned
		if who.signedAt.Before(src.since) {
			src.since = who.signedAt
		}
		src.key = "sig:" + who.signature
	}
	switch key := strings.TrimSpace(idempotencyKey); {
	case key != "":
		sum := sha256.Sum256(body)
		src.key = "apigw:" + key
		src.fingerprint = hex.EncodeToString(sum[:])
		src.since = src.since.Add(-keyLookback)
	case who.method != "signature":
		src.since = src.since.Add(-untimedLookback)
	}
	return src
}

func requestKey(src source, i int) string {
	if src.key == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", src.key, i)
}

// alarmKey names a firing of an alarm policy on an instance: a flapping
// alarm is a new event at every firing, a notification sent again is not.
func alarmKey(instanceID, policy string, first time.Time) string {
	return "alarm:" + instanceID + ":" + policy + ":" + first.UTC().Format("20060102T150405Z")
}

// cloudMonitorEventKey names a Cloud Monitor event's occurrence. Not the
// EventBridge event's id: the same occurrence delivered again under
// another id is still one restore.
func cloudMonitorEventKey(instanceID, eventType string, at time.Time) string {
	return "eventbridge:" + instanceID + ":" + eventType + ":" + at.UTC().Format("20060102T150405.000Z")
}

// firstOfKey says, for each job of a batch, which job first carries its
// event key (a firing alarm notified again within one batch): only that
// one runs.
func firstOfKey(jobs []job) map[string]int {
	first := map[string]int{}
	for i, j := range jobs {
		if _, seen := first[j.Key]; j.decided == nil && j.Key != "" && !seen {
			first[j.Key] = i
		}
	}
	return first
}

// sameEvent is the answer to a job whose event another job of the batch
// already answered: a restore that was (or may have been) started is a
// duplicate, anything else is the first's answer.
func sameEvent(r intent.Result) intent.Result {
	if r.Status == intent.Accepted || r.Status == intent.Duplicate || r.Status == intent.Unknown {
		r.Status = intent.Duplicate
		r.MessageID = ""
		r.Undelivered = false
		r.Reason = "same event as another in this batch"
	}
	return r
}
