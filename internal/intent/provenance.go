package intent

import (
	"fmt"
	"strings"

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

func ErrNoSeal(what string) error {
	return failure.E(failure.Config, failure.Code(CodeNoSigningKey), failure.Field("RESTORE_SIGNING_KEY"),
		what+" needs RESTORE_SIGNING_KEY, the function's own key, so that nobody else can make something the function would take for its own: set a random key of at least 32 characters (make deploy generates one)")
}

// A restore task carries nothing of who started it, so a restore that
// follows a safety backup could be anyone's (someone's restore in the
// console). The function marks each restore it starts after a safety
// backup on the instance itself, in one tag (MarkKey): the task's ID and
// a MAC over the instance, the task, the backup it restores and the undo
// point, newest first, the last MarkKeep of them. Only a restore so
// marked is reported as the intent's, with its backup and its undo
// (UndoOf); another restore after the safety backup supersedes the intent,
// which is then reported failed and never restored over it.
const (
	MarkKey  = "redis-restore"
	MarkKeep = 6  // entries: a tag value holds 255 characters
	markHex  = 16 // MAC digits: 64 bits
	// TagValueMax is the most a tag value holds.
	TagValueMax = 255
)

// MarkEntry is one restore's entry in the mark.
func MarkEntry(seal *Seal, instanceID string, taskID int64, backupID, undoID string) string {
	t := fmt.Sprint(taskID)
	return t + "." + seal.Hex(markHex, "restoretask", instanceID, t, backupID, undoID)
}

// WithMark is the mark's new value with the entry first. Only entries of
// the function's form are kept (anyone with tag rights can write the
// tag: a long foreign value would make every later mark too long for a
// tag, 255 characters).
func WithMark(old, entry string) string {
	out, n := []string{entry}, len(entry)
	failedKept := 0
	if failedForm(entry) {
		failedKept++
	}
	for _, e := range strings.Fields(old) {
		if len(out) >= MarkKeep || e == entry || !markForm(e) || n+1+len(e) > TagValueMax {
			continue
		}
		if failedForm(e) {
			// Failed safety backups' entries take at most failedKeep
			// places: they must not push out the restores' (whose
			// backup and undo the status and restorectl undo need).
			if failedKept >= failedKeep {
				continue
			}
			failedKept++
		}
		out = append(out, e)
		n += 1 + len(e)
	}
	return strings.Join(out, " ")
}

// failedKeep is how many failed safety backups' entries the mark keeps.
const failedKeep = 2

// failedForm reports whether e reads like a failed safety backup's entry.
func failedForm(e string) bool {
	_, mac, _ := strings.Cut(e, ".")
	return len(mac) == failedHex
}

// markForm reports whether e reads like an entry: task ID, ".", markHex
// (a restore's) or failedHex (a failed safety backup's) hex digits.
func markForm(e string) bool {
	id, mac, ok := strings.Cut(e, ".")
	if !ok || len(id) == 0 || len(id) > 19 || (len(mac) != markHex && len(mac) != failedHex) {
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
// entry for that task to the same mark: the task's ID, "." and failedHex
// hex digits, the first idHex of them naming the intent's event (a MAC
// over its key), the rest a MAC over the instance, the task and that
// name. A later event on the instance that meets the failed task tells
// its own failure (the same outcome again, nothing new taken) from
// another intent's only by an entry that verifies and names another
// event; an entry that does not verify (forged, or under another key) is
// no entry, and an event without a key of its own cannot tell: both hold
// it back as an unmarked failure does (failedEarlier).
const (
	idHex     = 8
	failedHex = idHex + markHex
)

func FailedEntry(seal *Seal, instanceID string, taskID int64, key string) string {
	t, id := fmt.Sprint(taskID), eventName(seal, key)
	return t + "." + id + seal.Hex(markHex, "failedsafety", instanceID, t, id)
}

func eventName(seal *Seal, key string) string { return seal.Hex(idHex, "failedsafety-event", key) }

// FailedMark reads the mark's entries for the failed manual backup task:
// whether one proves it an intent's failed safety backup, and whether
// that intent may be the one whose event key is given.
func FailedMark(seal *Seal, in Instance, taskID int64, key string) (found, ours bool) {
	t := fmt.Sprint(taskID)
	for _, e := range strings.Fields(in.Tags[MarkKey]) {
		id, hex, ok := strings.Cut(e, ".")
		if !ok || id != t || len(hex) != failedHex || !seal.VerifyHex(hex[idHex:], "failedsafety", in.ID, t, hex[:idHex]) {
			continue
		}
		found = true
		ours = ours || key == "" || hex[:idHex] == eventName(seal, key)
	}
	return found, ours
}

// MarkedAny reports whether the mark holds an entry of the restore form
// for the task, verified or not: the restore continued some intent's
// safety backup, whose backup and undo the reader does not know. A
// forged entry can only make a judge claim less.
func MarkedAny(in Instance, taskID int64) bool {
	t := fmt.Sprint(taskID)
	for _, e := range strings.Fields(in.Tags[MarkKey]) {
		if id, mac, ok := strings.Cut(e, "."); ok && id == t && len(mac) == markHex {
			return true
		}
	}
	return false
}

// Marked reports whether the instance's mark proves restore task t the
// function's restore of backupID with the undo point undoID.
func Marked(seal *Seal, in Instance, taskID int64, backupID, undoID string) bool {
	t := fmt.Sprint(taskID)
	for _, e := range strings.Fields(in.Tags[MarkKey]) {
		if id, mac, ok := strings.Cut(e, "."); ok && id == t && len(mac) == markHex && seal.VerifyHex(mac, "restoretask", in.ID, t, backupID, undoID) {
			return true
		}
	}
	return false
}
