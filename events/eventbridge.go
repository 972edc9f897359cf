package events

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventBridgeEvent is one event an EventBridge rule delivers to the
// function: a CloudEvents-like envelope. The documents disagree on several
// fields, so they are decoded loosely: specversion is "1.0", "1.0.2" or
// "0"; time is milliseconds as a number or a string; some samples misspell
// subject as subjuect; resource, tags and status appear only in Cloud
// Monitor's events.
type EventBridgeEvent struct {
	SpecVersion     String          `json:"specversion"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Source          string          `json:"source"`
	Subject         string          `json:"subject,omitempty"`
	Subjuect        string          `json:"subjuect,omitempty"` // the connector pages' spelling
	Time            EventTime       `json:"time"`
	Region          string          `json:"region,omitempty"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	Resource        List            `json:"resource,omitempty"`
	Tags            json.RawMessage `json:"tags,omitempty"`   // an object in the samples, "String" in one table: kept as it came
	Status          String          `json:"status,omitempty"` // Cloud Monitor: "1" abnormal, "0" recovered, "-" stateless
	Data            json.RawMessage `json:"data,omitempty"`
}

// EventBridgeBatch is what a target with batch delivery receives.
type EventBridgeBatch struct {
	EventList []EventBridgeEvent `json:"EventList"`
}

// RestoreRequestedType is the type of an event that asks for a restore; its
// data is the restore request.
const RestoreRequestedType = "com.tencentcloud.redis.restore.requested"

// outcomeTypePrefix starts the types of the function's own outcome
// messages (accepted, failed, planned): routed back to it, they must not be
// taken for requests.
const outcomeTypePrefix = "com.tencentcloud.redis.restore."

// IsRestoreRequest reports whether the event asks for a restore.
func (e *EventBridgeEvent) IsRestoreRequest() bool {
	return strings.TrimSpace(e.Type) == RestoreRequestedType
}

// IsOutcome reports whether the event is one of the function's own outcome
// messages.
func (e *EventBridgeEvent) IsOutcome() bool {
	return !e.IsRestoreRequest() && strings.HasPrefix(strings.TrimSpace(e.Type), outcomeTypePrefix)
}

// CloudMonitorEvent splits a Cloud Monitor event alarm's type,
// <product>:ErrorEvent:<EventType>, and reports whether it is one.
func (e *EventBridgeEvent) CloudMonitorEvent() (product, eventType string, ok bool) {
	parts := strings.Split(strings.TrimSpace(e.Type), ":")
	if len(parts) != 3 || !strings.EqualFold(parts[1], "ErrorEvent") || parts[0] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// EventSubject is the subject, under either spelling.
func (e *EventBridgeEvent) EventSubject() string {
	return cmp.Or(strings.TrimSpace(e.Subject), strings.TrimSpace(e.Subjuect))
}

// CloudMonitorData is the data of a Cloud Monitor event alarm. Dimensions
// and additionalMsg vary by product and event, and are kept as they came.
type CloudMonitorData struct {
	AppID         String          `json:"appId"`
	InstanceID    String          `json:"instanceId"`
	ProjectID     String          `json:"projectId"`
	Dimensions    json.RawMessage `json:"dimensions,omitempty"`
	AdditionalMsg json.RawMessage `json:"additionalMsg,omitempty"`
}

// CloudMonitorData decodes the data of a Cloud Monitor event alarm.
func (e *EventBridgeEvent) CloudMonitorData() (CloudMonitorData, error) {
	var d CloudMonitorData
	if len(bytes.TrimSpace(e.Data)) == 0 || bytes.Equal(bytes.TrimSpace(e.Data), []byte("null")) {
		return d, nil
	}
	err := json.Unmarshal(e.Data, &d)
	return d, err
}

// InstanceID is the Redis instance a Cloud Monitor event is about: its
// subject (an instance ID, or a resource description ending in one), else
// data.instanceId; "" when neither is a crs- ID.
func (e *EventBridgeEvent) InstanceID() string {
	s := e.EventSubject()
	if i := strings.LastIndexAny(s, "/:"); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "crs-") {
		return s
	}
	if d, err := e.CloudMonitorData(); err == nil {
		if v := strings.TrimSpace(string(d.InstanceID)); strings.HasPrefix(v, "crs-") {
			return v
		}
	}
	return ""
}

// RequestBody is the restore request an event carries as its data: a JSON
// object, or a string holding one (a producer that sends text).
func (e *EventBridgeEvent) RequestBody() ([]byte, error) {
	data := bytes.TrimSpace(e.Data)
	switch {
	case len(data) == 0 || bytes.Equal(data, []byte("null")):
		return nil, &FieldError{"data", "is missing: an event of type " + RestoreRequestedType + " carries the restore request as its data"}
	case data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, &FieldError{"data", "not a valid JSON string"}
		}
		return []byte(s), nil
	}
	return data, nil
}

// EventTime is an EventBridge event's time: milliseconds since the epoch as
// a JSON number (Cloud Monitor's samples) or as a string (the EventBridge
// and SCF target samples), or an RFC 3339 string. It marshals as a number
// of milliseconds, and the zero time as null.
type EventTime struct{ time.Time }

// maxEventMillis is the end of year 9999: beyond it a time cannot be
// written in RFC 3339, and it is surely wrong.
const maxEventMillis = 253402300799999

func (t *EventTime) UnmarshalJSON(data []byte) error {
	*t = EventTime{}
	return loose(data, func(s string) error {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-:T") {
			return t.setMillis(s)
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("want milliseconds since 1970 or an RFC 3339 time, got %q", truncate([]byte(s)))
		}
		t.Time = v
		return nil
	}, func(data []byte) error { return t.setMillis(string(data)) })
}

func (t *EventTime) setMillis(s string) error {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms < 0 || ms > maxEventMillis {
		return fmt.Errorf("want milliseconds since 1970 or an RFC 3339 time, got %s", truncate([]byte(s)))
	}
	t.Time = time.UnixMilli(ms).UTC()
	return nil
}

func (t EventTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatInt(t.UnixMilli(), 10)), nil
}
