package restore

import (
	"fmt"
	"strings"
	"time"

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

// A restore task carries nothing of who started it, so a restore that
// follows a safety backup could be anyone's (someone's restore in the
// console). The function marks each restore it starts after a safety
// backup on the instance itself, in one tag (MarkKey): the task's ID and
// a MAC over the instance, the task, the backup it restores and the undo
// point, newest first, the last markKeep of them. Only a restore so
// marked is reported as the intent's, with its backup and its undo
// (undoOf); another restore after the safety backup supersedes the intent,
// which is then reported failed and never restored over it.
const (
	MarkKey  = "redis-restore"
	markKeep = 6  // entries: a tag value holds 255 characters
	markHex  = 16 // MAC digits: 64 bits
)

// markEntry is one restore's entry in the mark.
func markEntry(seal *Seal, instanceID string, taskID int64, backupID, undoID string) string {
	t := fmt.Sprint(taskID)
	return t + "." + seal.Hex(markHex, "restoretask", instanceID, t, backupID, undoID)
}

// withMark is the mark's new value with the entry first. Only entries of
// the function's form are kept (anyone with tag rights can write the
// tag: a long foreign value would make every later mark too long for a
// tag, 255 characters).
func withMark(old, entry string) string {
	out := []string{entry}
	for _, e := range strings.Fields(old) {
		if len(out) < markKeep && e != entry && markForm(e) {
			out = append(out, e)
		}
	}
	return strings.Join(out, " ")
}

// markForm reports whether e reads like an entry: task ID, ".", markHex
// hex digits.
func markForm(e string) bool {
	id, mac, ok := strings.Cut(e, ".")
	if !ok || len(id) == 0 || len(id) > 19 || len(mac) != markHex {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	for _, r := range mac {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// A safety backup that fails where the API lists a backup only once it
// is done is never listed: only its task remains, which carries nothing
// of whose it is. Before its watch reports it failed, the watch adds an
// entry for that task to the same mark, with a MAC over the intent it
// belonged to (its trigger and its event's time). A later delivery of an
// event then tells its own failure (the same outcome again, nothing new
// taken) from another intent's (failedEarlier).
func failedEntry(seal *Seal, instanceID string, taskID int64, trigger string, since time.Time) string {
	t := fmt.Sprint(taskID)
	return t + "." + seal.Hex(markHex, "failedsafety", failedParts(instanceID, t, trigger, since)...)
}

func failedParts(instanceID, task, trigger string, since time.Time) []string {
	return []string{instanceID, task, trigger, since.UTC().Truncate(time.Second).Format(time.RFC3339)}
}

// failedMark reads the mark's entry for the failed manual backup task:
// whether there is one, and whether it proves the task this intent's.
// An entry that does not is another intent's.
func failedMark(seal *Seal, in Instance, taskID int64, trigger string, since time.Time) (found, ours bool) {
	t := fmt.Sprint(taskID)
	for _, e := range strings.Fields(in.Tags[MarkKey]) {
		if id, mac, ok := strings.Cut(e, "."); ok && id == t && markForm(e) {
			found = true
			ours = ours || seal.VerifyHex(mac, "failedsafety", failedParts(in.ID, t, trigger, since)...)
		}
	}
	return found, ours
}

// marked reports whether the instance's mark proves restore task t the
// function's restore of backupID with the undo point undoID.
func marked(seal *Seal, in Instance, taskID int64, backupID, undoID string) bool {
	t := fmt.Sprint(taskID)
	for _, e := range strings.Fields(in.Tags[MarkKey]) {
		if id, mac, ok := strings.Cut(e, "."); ok && id == t && len(mac) == markHex && seal.VerifyHex(mac, "restoretask", in.ID, t, backupID, undoID) {
			return true
		}
	}
	return false
}
