package events

import (
	"encoding/json"
	"strings"
)

// Kind is the kind of an event, recognised from its shape: SCF does not say
// which trigger sent an event.
type Kind int

const (
	Unknown    Kind = iota
	Direct          // a restore request or a batch, invoked directly
	Timer           // a timer trigger
	APIGateway      // an API gateway request or a function URL call
	CMQ             // a CMQ topic or queue trigger
	Alarm           // a Cloud Monitor alarm notification (normally a body inside APIGateway or CMQ)
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
	if raw, ok := obj["Records"]; ok && isCMQRecords(raw) {
		return CMQ, nil
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
	if hasMethod && (hasContext || hasHeaders) {
		return APIGateway, nil
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
		"a timer, API gateway or CMQ event, or a Cloud Monitor alarm notification")
}

func isAlarm(obj map[string]json.RawMessage) bool {
	_, status := obj["alarmStatus"]
	_, info := obj["alarmObjInfo"]
	_, policy := obj["alarmPolicyInfo"]
	return status && (info || policy)
}

func isCMQRecords(raw json.RawMessage) bool {
	var recs []map[string]json.RawMessage
	if json.Unmarshal(raw, &recs) != nil || len(recs) == 0 {
		return false
	}
	_, ok := recs[0]["CMQ"]
	return ok
}
