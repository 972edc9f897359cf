package intent

import (
	"fmt"
	"time"

	"redis-restore/internal/uuid"
)

// Event is the CloudEvents 1.0 envelope of an outcome message.
type Event = Envelope[EventData]

// Envelope is the CloudEvents 1.0 envelope of every message the function
// sends: a restore's outcome (Event), a fleet's own (fleet.go).
type Envelope[D any] struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            D         `json:"data"`
}

// EventData is what a consumer waiting for a restore needs. The password is
// not here, and must never be.
type EventData struct {
	TaskID     int64      `json:"taskId,omitempty"`
	InstanceID string     `json:"instanceId"`
	BackupID   string     `json:"backupId,omitempty"`
	Region     string     `json:"region,omitempty"`
	FleetID    string     `json:"fleetId,omitempty"`
	RequestID  string     `json:"requestId,omitempty"`
	Trigger    string     `json:"trigger"`
	Status     Status     `json:"status"`
	Reason     string     `json:"reason,omitempty"`
	Error      *ErrorBody `json:"error,omitempty"`
	Guardrail             // the budget of a held restore, the plan of a planned one
	*Life                 // phase, undoBackupId, times, new instances: see lifecycle.go
}

// EventTypePrefix prefixes every message's type.
const EventTypePrefix = "com.tencentcloud.redis.restore."

// EventType names the message of a result; "" for results that send none.
func EventType(s Status) string {
	switch s {
	case Accepted, Duplicate:
		return EventTypePrefix + "accepted"
	case Failed:
		return EventTypePrefix + "failed"
	case Unknown:
		return EventTypePrefix + "unknown"
	case DryRun:
		return EventTypePrefix + "planned"
	default:
		return ""
	}
}

// NewEvent builds the message of a result. The id of an accepted restore is
// derived from its TaskId, so that a message sent again after a retry (see
// Duplicate) carries the same id and consumers can drop the copy.
func NewEvent(source, trigger string, now time.Time, r *Result, fallbackID string) Event {
	id := fallbackID
	if r.TaskID != 0 {
		id = uuid.FromName(fmt.Sprintf("%s/%d", r.InstanceID, r.TaskID))
	}
	if r.Life != nil && r.Life.EventID != "" {
		id = r.Life.EventID // the life cycle's messages: see lifecycle.go
	}
	return Event{
		SpecVersion:     "1.0",
		ID:              id,
		Source:          source,
		Type:            ResultEventType(r),
		Time:            now.UTC(),
		DataContentType: "application/json",
		Data: EventData{
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
