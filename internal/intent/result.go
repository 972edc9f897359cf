package intent

import (
	"cmp"

	"redis-restore/internal/failure"
)

// Status is the outcome of one restore, as the contract names it.
type Status string

const (
	Accepted  Status = "accepted"  // RestoreInstance accepted it; TaskID is set
	Duplicate Status = "duplicate" // already started earlier; TaskID is the earlier one
	DryRun    Status = "dry-run"   // everything but RestoreInstance was done
	Skipped   Status = "skipped"   // nothing to do; Reason says why
	Failed    Status = "failed"    // not done; Error says why
	// Unknown: RestoreInstance may have started a restore, and its task
	// could not be found in the time left. Not retried here: a retry of the
	// event looks for the task first. Error says what went wrong.
	Unknown Status = "unknown"
	// Queued: an HTTP call's restore was checked and handed to the
	// function's own asynchronous invocation, whose outcome goes to the
	// queue. The caller is answered at once (Cloud Monitor waits 5 s).
	Queued Status = "queued"
)

// ErrorBody is the contract's error object.
type ErrorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId,omitempty"`
}

// Result is one restore's outcome, as returned to the caller.
type Result struct {
	InstanceID string     `json:"instanceId,omitempty"`
	BackupID   string     `json:"backupId,omitempty"`
	TaskID     int64      `json:"taskId,omitempty"`
	RequestID  string     `json:"requestId,omitempty"`
	Status     Status     `json:"status"`
	Region     string     `json:"region,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	Error      *ErrorBody `json:"error,omitempty"`
	MessageID  string     `json:"messageId,omitempty"` // the queue's id of the outcome message
	// FleetID is the fleet the restore is a member of; Fleet, the answer
	// to a fleet request (fleet.go).
	FleetID   string        `json:"fleetId,omitempty"`
	Fleet     *FleetOutcome `json:"fleet,omitempty"`
	Guardrail               // held by the budget, or planned: see budget.go
	*Life                   // phase, undoBackupId, plan, new instances: see lifecycle.go

	// Kind is the failure's kind, for the HTTP status and the retry
	// decision; not part of the answer.
	Kind failure.Kind `json:"-"`
	// Undelivered is set when a TaskId could not be put on the queue: the
	// invocation must fail so that the platform retries it.
	Undelivered bool `json:"-"`
}

// Fail fills r as failed with err.
func (r *Result) Fail(err error) {
	e := failure.As(err)
	r.Status = Failed
	r.Kind = e.Kind
	r.Error = &ErrorBody{Code: cmp.Or(e.Code, e.Kind.String()), Message: e.Error(), RequestID: e.RequestID}
	r.RequestID = cmp.Or(r.RequestID, e.RequestID)
}

// Unclear fills r as unknown: err left it open whether the restore started.
func (r *Result) Unclear(err error) {
	r.Fail(err)
	r.Status = Unknown
}
