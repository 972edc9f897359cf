package events

import "time"

// TimerEvent is what a timer trigger sends. Message is the trigger's
// argument (serverless.yml's `argument`), at most 4 KB, and for this function
// a restore request in JSON.
type TimerEvent struct {
	Type        string    `json:"Type"`
	TriggerName string    `json:"TriggerName"`
	Time        time.Time `json:"Time"`
	Message     string    `json:"Message"`
}
