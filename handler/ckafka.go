package handler

import (
	"context"
	"fmt"

	"redis-restore/events"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// ckafka handles a CKafka trigger's batch: each record's msgBody is a
// restore request or an alarm, handled on its own.
//
// The trigger retries an invocation that fails up to 10,000 times (its
// retry setting), and the partition waits meanwhile. So a record that can
// never succeed (not JSON, an invalid request, an instance not allowed, a
// backup that is not there) is answered as a failed result and the batch
// succeeds; only a transient failure or a TaskId that could not be queued
// fails the invocation (see retryError), as for the other asynchronous
// triggers.
func (inv *invocation) ckafka(ctx context.Context, ev event) []intent.Result {
	recs, err := decodeRecords[events.CKafkaRecord](ev.records)
	if err != nil {
		return inv.requestFailure(failure.E(err, "CKafka event: "+failure.As(err).Message))
	}
	var jobs []job
	restores := 0
	for i, rec := range recs {
		m := &rec.Ckafka
		for _, j := range inv.jobs(decodeBody([]byte(m.MsgBody)), inv.ckafkaSource(m)) {
			// The trigger's maxMsgNum may be up to 10,000 messages.
			overLimit(&j, &restores, "CKafka event (set the trigger's maxMsgNum to at most 100)")
			if j.decided != nil && j.decided.Status == intent.Failed {
				j.decided.Reason = fmt.Sprintf("CKafka record %d (topic %s, partition %d, offset %d)", i, m.Topic, m.Partition, m.Offset)
				inv.log.Warn("ckafka.recordFailed", "detail", "CKafka record cannot be restored; it is answered, not retried",
					"topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "code", j.decided.Error.Code)
			}
			jobs = append(jobs, j)
		}
	}
	return inv.run(ctx, jobs)
}

// retriedByPlatform reports whether the platform retries an invocation of
// this kind that returns an error, so that a transient failure is worth
// one: the asynchronous triggers and the queues. HTTP callers and direct
// invocations get their answer instead.
func retriedByPlatform(kind Kind) bool {
	switch kind {
	case Timer, CMQ, CKafka, EventBridge, Handoff, FleetWatch:
		return true
	}
	return false
}
