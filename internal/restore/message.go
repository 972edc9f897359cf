package restore

import (
	"fmt"
	"time"

	"redis-restore/internal/intent"
	"redis-restore/internal/uuid"
)

// newEvent builds the message of a result. The id of an accepted restore is
// derived from its TaskId, so that a message sent again after a retry (see
// Duplicate) carries the same id and consumers can drop the copy.
func newEvent(source, trigger string, now time.Time, r *Result, fallbackID string) intent.Event {
	id := fallbackID
	if r.TaskID != 0 {
		id = uuid.FromName(fmt.Sprintf("%s/%d", r.InstanceID, r.TaskID))
	}
	if r.Life != nil && r.Life.EventID != "" {
		id = r.Life.EventID // the life cycle's messages: see lifecycle.go
	}
	return intent.Event{
		SpecVersion:     "1.0",
		ID:              id,
		Source:          source,
		Type:            resultEventType(r),
		Time:            now.UTC(),
		DataContentType: "application/json",
		Data: intent.EventData{
			TaskID:     r.TaskID,
			InstanceID: r.InstanceID,
			BackupID:   r.BackupID,
			Region:     r.Region,
			FleetID:    r.FleetID,
			RequestID:  r.RequestID,
			Trigger:    trigger,
			Status:     r.Status,
			Reason:     r.Reason,
			Error:      r.Error,
			Guardrail:  r.Guardrail,
			Life:       r.Life,
		},
	}
}
