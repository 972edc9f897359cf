package restore

import (
	"redis-restore/internal/failure"
	"redis-restore/internal/seal"
)

// State that can start work must be the function's own, and provably so
// (internal/seal): a safety backup's remark, a clone's name, a hand-off
// and a plan's token carry the function's MAC over what they record.

// Channel is how a request reached the function: the one thing about it a
// sender cannot choose, and so what RESTORE_APPROVAL holds by.
type Channel string

const (
	// ChannelInvoke: an event the function was invoked with (direct,
	// timer, CMQ, CKafka, EventBridge): anyone who may invoke the
	// function can send any of these shapes.
	ChannelInvoke Channel = "invoke"
	// ChannelSigned: an HTTP call signed with RESTORE_WEBHOOK_SECRET.
	ChannelSigned Channel = "signed"
	// ChannelBasic: an HTTP call with RESTORE_WEBHOOK_BASIC_AUTH (Cloud
	// Monitor's callbacks).
	ChannelBasic Channel = "basic"
)

// Seal makes and checks the function's MACs: see internal/seal.
type Seal = seal.Seal

// CodeNoSigningKey is the code of a restore refused because what it needs
// could not be proven the function's own.
const CodeNoSigningKey = "SigningKeyMissing"

func errNoSeal(what string) error {
	return failure.E(failure.Config, failure.Code(CodeNoSigningKey), failure.Field("RESTORE_SIGNING_KEY"),
		what+" needs RESTORE_SIGNING_KEY, the function's own key, so that nobody else can make something the function would take for its own: set a random key of at least 32 characters (make deploy generates one)")
}
