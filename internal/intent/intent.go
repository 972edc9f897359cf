package intent

import "time"

// Intent is one restore asked for. Every request, from any trigger,
// becomes one intent that carries all it asked; what a plan shows, what
// is signed and approved, what a safety backup's remark or a clone's name
// records, what the sweep continues and what the status reports are that
// same intent.
type Intent struct {
	Request Request
	Trigger string // timer, apigw, cmq, direct (with "+alarm" for alarms)
	// Channel is how the request reached the function, which its sender
	// cannot choose: what RESTORE_APPROVAL holds by.
	Channel Channel
	// Since is when the event that asked for this restore was created: a
	// restore task of the instance that started since then is this event's,
	// started by an earlier delivery of it.
	Since time.Time
	// Key identifies the event (and the restore within it) for the warm
	// container's memory; "" if it has no identity.
	Key string
	// KeyFromArrival: Key names the event only by when it arrived (a
	// timer without its Time): the platform's retry may have another, so
	// it proves nothing of which event a failed safety backup was.
	KeyFromArrival bool
	// Fingerprint is what Key was given for (a hash of the webhook body):
	// the same key with another fingerprint is refused, not a duplicate.
	Fingerprint string
	// Reason says why this restore, for the logs and the message.
	Reason   string
	JobGuard // budget and approval
	// Undo is the safety backup already taken for this restore: it goes
	// ahead without another (the sweep continuing it).
	Undo *SafetyBackup
	// Fleet is the fleet this restore is a member of, from a hand-off the
	// function sealed: the fleet was admitted as a whole, its approval
	// included.
	Fleet string
}

// EventKey is the event's identity where it is stable across deliveries,
// else "".
func (j Intent) EventKey() string {
	if j.KeyFromArrival {
		return ""
	}
	return j.Key
}

// Restores is the backup the intent restores where it names one, "" for
// "latest" (chosen at admission).
func (j Intent) Restores() string {
	if j.Request.BackupID == LatestBackup {
		return ""
	}
	return j.Request.BackupID
}

// JobGuard is what the guard rails need to know of a job (issue 14).
type JobGuard struct {
	// Alarm: the restore was asked for by an alarm, whatever trigger
	// brought it. Alarms fall under RESTORE_BUDGET, the rest under
	// RESTORE_BUDGET_REQUESTS.
	Alarm bool
	// Force overrides the budget: only an authenticated webhook may set it.
	Force bool
	// Approved is the plan being applied, verified: the job restores
	// exactly its backup, or refuses with a fresh plan.
	Approved *Plan
}
