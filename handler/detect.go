package handler

import (
	"encoding/json"
	"strings"

	"redis-restore/events"
)

// Kind is the kind of an event, recognised from its shape: SCF does not say
// which trigger sent an event.
type Kind int

const (
	Unknown     Kind = iota
	Direct           // a restore request or a batch, invoked directly
	Timer            // a timer trigger
	APIGateway       // an API gateway request (it has a requestContext)
	CMQ              // a CMQ topic trigger
	Alarm            // a Cloud Monitor alarm notification: a direct callback (SCF:<region>/<ns>/<fn>/<qualifier>), or a body
	FunctionURL      // a function URL call (API gateway's shape without requestContext)
	CKafka           // a CKafka trigger
	EventBridge      // an event, or a batch of events, delivered by an EventBridge rule
	Handoff          // work an HTTP call handed to the function's own asynchronous invocation
	FleetWatch       // a fleet's watch: the function's own asynchronous invocation (fleet.go)
)

var kindNames = [...]string{"unknown", "direct", "timer", "apigw", "cmq", "alarm", "functionurl", "ckafka", "eventbridge", "handoff", "fleetwatch"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// event is a payload decoded once: its raw fields, and what it is.
type event struct {
	obj     fields
	kind    Kind
	records []fields          // a CMQ or CKafka event's Records, decoded to recognise it
	list    []json.RawMessage // an EventBridge batch's EventList, likewise
}

// detect decodes a payload into its raw fields and recognises it by their
// keys. Its error is failure.Invalid and says what shapes are understood.
func detect(payload []byte) (event, error) {
	obj, err := decodeObject(payload)
	if err != nil {
		return event{}, err
	}
	ev := event{obj: obj}
	if _, ok := obj[events.HandoffField]; ok && len(obj) == 1 {
		ev.kind = Handoff
		return ev, nil
	}
	if _, ok := obj[events.FleetWatchField]; ok && len(obj) == 1 {
		ev.kind = FleetWatch
		return ev, nil
	}
	if raw, ok := obj["Records"]; ok && json.Unmarshal(raw, &ev.records) == nil && len(ev.records) > 0 {
		// Whose records these are: the key of the first record's message.
		if _, ok := ev.records[0]["CMQ"]; ok {
			ev.kind = CMQ
			return ev, nil
		}
		if _, ok := ev.records[0]["Ckafka"]; ok {
			ev.kind = CKafka
			return ev, nil
		}
		ev.records = nil
	}
	if raw, ok := obj["Type"]; ok {
		var t string
		if json.Unmarshal(raw, &t) == nil && strings.EqualFold(t, "Timer") {
			ev.kind = Timer
			return ev, nil
		}
	}
	_, hasMethod := obj["httpMethod"]
	_, hasContext := obj["requestContext"]
	_, hasHeaders := obj["headers"]
	switch {
	case hasMethod && hasContext:
		ev.kind = APIGateway
	case hasMethod && hasHeaders:
		// A function URL sends API gateway's shape without requestContext.
		ev.kind = FunctionURL
	case isEventBridge(&ev):
		ev.kind = EventBridge
	default:
		ev.kind, err = bodyKind(obj)
	}
	return ev, err
}

// bodyKind recognises what a direct invocation, timer message, HTTP body or
// message body carries: a restore request or an alarm notification.
func bodyKind(obj fields) (Kind, error) {
	if isRestoreRequest(obj) {
		return Direct, nil
	}
	if isAlarm(obj) {
		return Alarm, nil
	}
	return Unknown, invalid("", "not an event this function understands: want a restore request "+
		`({"instanceId": ..., "backupId": ...}, {"restores": [...]} or {"fleet": {...}}), `+
		"a timer, function URL, API gateway, CKafka, CMQ or EventBridge event, or a Cloud Monitor alarm notification")
}

// isRestoreRequest reports whether an object looks like a restore request
// or a batch of them, as opposed to some other event.
func isRestoreRequest(obj fields) bool {
	for k := range obj {
		switch strings.ToLower(k) {
		case "restores", "instanceid", "backupid", "fleet":
			return true
		}
	}
	return false
}

func isAlarm(obj fields) bool {
	_, status := obj["alarmStatus"]
	_, info := obj["alarmObjInfo"]
	_, policy := obj["alarmPolicyInfo"]
	return status && (info || policy)
}

// isEventBridge recognises an EventBridge delivery: a batch
// {"EventList": [...]}, or one event with specversion and type. The
// function's own outcome messages have that shape too; they are recognised
// as events and then skipped by their type.
func isEventBridge(ev *event) bool {
	if raw, ok := ev.obj["EventList"]; ok {
		return json.Unmarshal(raw, &ev.list) == nil
	}
	_, spec := ev.obj["specversion"]
	_, typ := ev.obj["type"]
	return spec && typ
}
