package handler

import (
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"redis-restore/events"
	"redis-restore/internal/config"
	"redis-restore/internal/intent"
)

// What the tests of the decoding reach inside the package.

// Detect recognises an event as Invoke does.
func Detect(payload []byte) (Kind, error) {
	ev, err := detect(payload)
	return ev.kind, err
}

// DetectBody recognises a body (a timer's Message, an HTTP or message body).
func DetectBody(data []byte) (Kind, error) {
	b := decodeBody(data)
	if b.err != nil {
		return Unknown, b.err
	}
	return bodyKind(b.obj)
}

func IsRestoreRequest(obj map[string]json.RawMessage) bool { return isRestoreRequest(obj) }

// CountDecodes counts, until the returned function is called, how often
// each payload or body is decoded.
func CountDecodes() (counts map[string]int, stop func()) {
	counts = map[string]int{}
	countDecode = func(data []byte) { counts[string(data)]++ }
	return counts, func() { countDecode = nil }
}

func DecodeCKafka(payload []byte) (events.CKafkaEvent, error) {
	ev, err := detect(payload)
	if err != nil {
		return events.CKafkaEvent{}, err
	}
	recs, err := decodeRecords[events.CKafkaRecord](ev.records)
	return events.CKafkaEvent{Records: recs}, err
}

func DecodeWebhook(payload []byte) (events.APIGatewayRequest, error) {
	var req events.APIGatewayRequest
	ev, err := detect(payload)
	if err != nil {
		return req, err
	}
	return req, decodeFields(ev.obj, &req, "")
}

func DecodeEventBridge(payload []byte) ([]events.EventBridgeEvent, error) {
	ev, err := detect(payload)
	if err != nil {
		return nil, err
	}
	return decodeEventBridge(ev)
}

// RequestBody is an EventBridge event's data, its error as the handler
// gives it.
func RequestBody(e *events.EventBridgeEvent) ([]byte, error) {
	data, err := e.RequestBody()
	if err != nil {
		return nil, decodeError("", err)
	}
	return data, nil
}

func FirstOccur(a *events.AlarmNotification) (time.Time, error) { return firstOccur(a) }

// CKafkaKey is the identity of a CKafka message.
func CKafkaKey(m events.CKafkaMessage) string { return (&invocation{}).ckafkaSource(&m).key }

// Jobs decodes an event as Invoke does, down to its jobs, without running
// them: the decoding's cost, for the benchmarks. It reports how many jobs.
func Jobs(payload []byte) (int, error) {
	inv := &invocation{h: &Handler{}, log: slog.New(slog.DiscardHandler), cfg: &config.Config{}, received: time.Now()}
	ev, err := detect(payload)
	if err != nil {
		return 0, err
	}
	var jobs []job
	switch ev.kind {
	case Timer:
		var t events.TimerEvent
		if err := decodeFields(ev.obj, &t, ""); err != nil {
			return 0, err
		}
		jobs = inv.jobs(decodeBody([]byte(t.Message)), inv.timerSource(&t))
	case APIGateway:
		var req events.APIGatewayRequest
		if err := decodeFields(ev.obj, &req, ""); err != nil {
			return 0, err
		}
		data, err := req.RawBody()
		if err != nil {
			return 0, err
		}
		jobs = inv.jobs(decodeBody(data), source{trigger: "apigw"})
	case CMQ:
		recs, err := decodeRecords[events.CMQRecord](ev.records)
		if err != nil {
			return 0, err
		}
		for _, rec := range recs {
			jobs = append(jobs, inv.jobs(decodeBody([]byte(rec.CMQ.MsgBody)), inv.cmqSource(&rec.CMQ))...)
		}
	default:
		jobs = inv.jobs(body{data: payload, obj: ev.obj}, inv.directSource())
	}
	for _, j := range jobs {
		if j.decided != nil && j.decided.Status == intent.Failed {
			return 0, errors.New(j.decided.Error.Message)
		}
	}
	return len(jobs), nil
}
