package events

import "time"

// HandoffField is the one key of a hand-off event.
const HandoffField = "redisRestoreHandoff"

// HandoffEvent is what an HTTP call hands to the function's own
// asynchronous invocation (SCF Invoke, InvocationType Event), so that the
// caller (Cloud Monitor waits 5 s) is answered at once: the authenticated
// body and the identity the call was given, which the asynchronous
// invocation keeps so that a retry or a second delivery still finds the
// first's restore. It is the function's own format, sealed with the
// function's own key: anyone who may invoke the function can send this
// shape, but only the function can seal it.
type HandoffEvent struct {
	Handoff HandoffCall `json:"redisRestoreHandoff"`
}

// HandoffCall is one handed-off call.
type HandoffCall struct {
	Trigger     string    `json:"trigger"` // the trigger it came through: functionurl or apigw
	Channel     string    `json:"channel"` // how it was authenticated: signed or basic
	Since       time.Time `json:"since"`   // when its event counts as created
	Key         string    `json:"key,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Body        string    `json:"body"` // the request body as authenticated
	// Fleet is the fleet whose members Body holds, admitted as a whole
	// (its approval included) by the invocation that handed them out.
	Fleet string `json:"fleet,omitempty"`
	// StartBy is when a fleet's members must have started: the fleet's
	// watch counts one not started by then failed (intent.FleetStartWithin).
	StartBy *time.Time `json:"startBy,omitempty"`
	// Seal is the function's MAC over all of the above.
	Seal string `json:"seal"`
}
