package events

import (
	"bytes"
	"encoding/json"
	"time"
)

// HandoffField is the one key of a hand-off event.
const HandoffField = "redisRestoreHandoff"

// HandoffEvent is what an HTTP call hands to the function's own
// asynchronous invocation (SCF Invoke, InvocationType Event), so that the
// caller (Cloud Monitor waits 5 s) is answered at once: the authenticated
// body and the identity the call was given, which the asynchronous
// invocation keeps so that a retry or a second delivery still finds the
// first's restore. It is the function's own format; only a principal that
// may invoke the function can send it, as with any direct invocation.
type HandoffEvent struct {
	Handoff HandoffCall `json:"redisRestoreHandoff"`
}

// HandoffCall is one handed-off call.
type HandoffCall struct {
	Trigger     string    `json:"trigger"` // the trigger it came through: functionurl or apigw
	Since       time.Time `json:"since"`   // when its event counts as created
	Key         string    `json:"key,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Body        string    `json:"body"` // the request body as authenticated
}

// DecodeHandoff decodes a hand-off event strictly: it is ours, so anything
// unexpected in it is a mistake.
func DecodeHandoff(payload []byte) (HandoffCall, error) {
	var ev HandoffEvent
	if err := strictUnmarshal(payload, &ev); err != nil {
		return HandoffCall{}, invalid(HandoffField, err.Error())
	}
	if ev.Handoff.Body == "" || ev.Handoff.Trigger == "" {
		return HandoffCall{}, invalid(HandoffField, "trigger and body are required")
	}
	return ev.Handoff, nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
