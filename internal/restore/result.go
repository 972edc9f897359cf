package restore

import (
	"cmp"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// Result is one restore's outcome, as returned to the caller.
type Result struct {
	InstanceID string            `json:"instanceId,omitempty"`
	BackupID   string            `json:"backupId,omitempty"`
	TaskID     int64             `json:"taskId,omitempty"`
	RequestID  string            `json:"requestId,omitempty"`
	Status     intent.Status     `json:"status"`
	Region     string            `json:"region,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Error      *intent.ErrorBody `json:"error,omitempty"`
	MessageID  string            `json:"messageId,omitempty"` // the queue's id of the outcome message
	// FleetID is the fleet the restore is a member of; Fleet, the answer
	// to a fleet request (fleet.go).
	FleetID          string        `json:"fleetId,omitempty"`
	Fleet            *FleetOutcome `json:"fleet,omitempty"`
	intent.Guardrail               // held by the budget, or planned: see budget.go
	*intent.Life                   // phase, undoBackupId, plan, new instances: see lifecycle.go

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
	r.Status = intent.Failed
	r.Kind = e.Kind
	r.Error = &intent.ErrorBody{Code: cmp.Or(e.Code, e.Kind.String()), Message: e.Error(), RequestID: e.RequestID}
	r.RequestID = cmp.Or(r.RequestID, e.RequestID)
}

// Unclear fills r as unknown: err left it open whether the restore started.
func (r *Result) Unclear(err error) {
	r.Fail(err)
	r.Status = intent.Unknown
}
