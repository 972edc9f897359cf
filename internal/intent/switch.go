package intent

import (
	"fmt"
	"sort"
	"time"
)

const SwitchMarker = "-switch-"

// SwitchName is "<source>-switch-<state><ordered><mac>": the time of the
// state the clone holds and when it was ordered, each 8 hex digits of
// Unix seconds.
func SwitchName(seal *Seal, instanceID string, state, ordered time.Time) string {
	return timedName(seal, "switch", instanceID, state, ordered)
}

// SwitchOf reads a switch clone's name: its source, the time of the state
// it holds and when it was ordered, if the name carries the function's
// MAC.
func SwitchOf(seal *Seal, name string) (src string, state, ordered time.Time, ok bool) {
	return readTimedName(seal, "switch", name)
}

// PhaseSwitching: the clone's data checked out, and the addresses are
// being swapped.
const PhaseSwitching Phase = "switching"

// SwitchesOf are the switch tasks of a switch clone, oldest first.
func SwitchesOf(tasks []Task) []Task {
	var out []Task
	for _, t := range tasks {
		if t.Kind == SwitchTask {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartTime.Before(out[j].StartTime) })
	return out
}

// UnswitchRequest is the undo of a switch: its addresses swapped back.
func UnswitchRequest(instanceID string) string {
	return fmt.Sprintf(`{"instanceId":%q,"mode":%q}`, instanceID, ModeUnswitch)
}
