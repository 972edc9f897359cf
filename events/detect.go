package events

import (
	"encoding/json"
	"strings"
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
)

func (k Kind) String() string {
	switch k {
	case Direct:
		return "direct"
	case Timer:
		return "timer"
	case APIGateway:
		return "apigw"
	case CMQ:
		return "cmq"
	case Alarm:
		return "alarm"
	case FunctionURL:
		return "functionurl"
	case CKafka:
		return "ckafka"
	case EventBridge:
		return "eventbridge"
	case Handoff:
		return "handoff"
	default:
		return "unknown"
	}
}

// Detect recognises an event by its shape. Its error is failure.Invalid and
// says what shapes are understood.
func Detect(payload []byte) (Kind, error) {
	obj, err := decodeObject(payload)
	if err != nil {
		return Unknown, err
	}
	if _, ok := obj[HandoffField]; ok && len(obj) == 1 {
		return Handoff, nil
	}
	if raw, ok := obj["Records"]; ok {
		switch recordsKey(raw) {
		case "CMQ":
			return CMQ, nil
		case "Ckafka":
			return CKafka, nil
		}
	}
	if raw, ok := obj["Type"]; ok {
		var t string
		if json.Unmarshal(raw, &t) == nil && strings.EqualFold(t, "Timer") {
			return Timer, nil
		}
	}
	_, hasMethod := obj["httpMethod"]
	_, hasContext := obj["requestContext"]
	_, hasHeaders := obj["headers"]
	switch {
	case hasMethod && hasContext:
		return APIGateway, nil
	case hasMethod && hasHeaders:
		// A function URL sends API gateway's shape without requestContext.
		return FunctionURL, nil
	}
	if isEventBridge(obj) {
		return EventBridge, nil
	}
	return bodyKind(obj)
}

// DetectBody recognises what a timer message, API gateway body or CMQ
// message body carries: a restore request or an alarm notification.
func DetectBody(body []byte) (Kind, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return Unknown, err
	}
	return bodyKind(obj)
}

func bodyKind(obj map[string]json.RawMessage) (Kind, error) {
	if IsRestoreRequest(obj) {
		return Direct, nil
	}
	if isAlarm(obj) {
		return Alarm, nil
	}
	return Unknown, invalid("", "not an event this function understands: want a restore request "+
		`({"instanceId": ..., "backupId": ...} or {"restores": [...]}), `+
		"a timer, function URL, API gateway, CKafka, CMQ or EventBridge event, or a Cloud Monitor alarm notification")
}

func isAlarm(obj map[string]json.RawMessage) bool {
	_, status := obj["alarmStatus"]
	_, info := obj["alarmObjInfo"]
	_, policy := obj["alarmPolicyInfo"]
	return status && (info || policy)
}

// recordsKey says whose records these are: "CMQ" or "Ckafka" (the key of
// the first record's message), or "".
func recordsKey(raw json.RawMessage) string {
	var recs []map[string]json.RawMessage
	if json.Unmarshal(raw, &recs) != nil || len(recs) == 0 {
		return ""
	}
	for _, k := range []string{"CMQ", "Ckafka"} {
		if _, ok := recs[0][k]; ok {
			return k
		}
	}
	return ""
}

// isEventBridge recognises an EventBridge delivery: a batch
// {"EventList": [...]}, or one event with specversion and type. The
// function's own outcome messages have that shape too; they are recognised
// as events and then skipped by their type.
func isEventBridge(obj map[string]json.RawMessage) bool {
	if raw, ok := obj["EventList"]; ok {
		var list []json.RawMessage
		return json.Unmarshal(raw, &list) == nil
	}
	_, spec := obj["specversion"]
	_, typ := obj["type"]
	return spec && typ
}
