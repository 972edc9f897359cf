package events

import "time"

// FleetWatchField is the one key of a fleet's watch event.
const FleetWatchField = "redisRestoreFleetWatch"

// FleetWatchEvent is the function's own asynchronous invocation that
// follows a fleet of restores to its end: it looks at the members, sends
// the fleet's progress, and invokes itself again a period later until
// every member ended. Sealed with the function's own key, as a hand-off.
type FleetWatchEvent struct {
	Watch FleetWatch `json:"redisRestoreFleetWatch"`
}

// FleetWatch is one step of a fleet's watch.
type FleetWatch struct {
	ID      string    `json:"id"`
	Region  string    `json:"region"`
	Trigger string    `json:"trigger"`
	Since   time.Time `json:"since"` // the fleet's event time: its members' restores started since
	Start   time.Time `json:"start"` // when the watch began: step N is due N periods later
	Step    int       `json:"step"`
	Members []string  `json:"members"`
	// Backups are the members' backups as the fleet admitted them, in
	// Members' order: a member's own safety backup restores its backup.
	Backups []string `json:"backups,omitempty"`
	// SafetyTask and Restores, where set, make this the watch of one
	// intent rather than a fleet's (ID ""): the task of the safety backup
	// the function started for its one member, which the backup list does
	// not show yet, and the backup the intent restores.
	SafetyTask int64  `json:"safetyTask,omitempty"`
	Restores   string `json:"restores,omitempty"`
	// Key is the intent's event's identity ("" where it has none): the
	// mark of a failed safety backup records it (restore.failedEntry).
	Key string `json:"key,omitempty"`
	// Seal is the function's MAC over all of the above.
	Seal string `json:"seal"`
}
