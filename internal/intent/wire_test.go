package intent

import (
	"encoding/json"
	"testing"
	"time"
	"unicode"
)

// What the function answers and queues is the contract's: every key
// lowerCamel. A field the restore keeps for itself (a message's type and
// id, a quiet continuation, a fleet's members in its counts) never
// reaches the wire, whatever its Go name.
func TestAnswersAndMessagesCarryOnlyTheContractsKeys(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	life := &Life{Phase: PhaseSucceeded, UndoBackupID: "u", EventType: EventTypePrefix + "succeeded", EventID: "id", Quiet: true,
		Verification: &Verification{}, Drill: &Drill{}}
	r := Result{InstanceID: "crs-1", Status: Succeeded, Life: life, Error: &ErrorBody{Code: "c", Message: "m"},
		Fleet: &FleetOutcome{ID: "f", Members: []FleetMember{{InstanceID: "crs-1"}}, Jobs: []Intent{{Trigger: "timer"}}}}
	counts := FleetCounts{Total: 1, Done: 1, Members: []fleetMemberState{{InstanceID: "crs-1", Stage: "done"}}}
	for name, v := range map[string]any{
		"result":  r,
		"message": NewEvent("scf/x", "timer", now, &r, "fallback"),
		"counts":  counts,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys(m) {
			if !unicode.IsLower([]rune(k)[0]) {
				t.Errorf("%s carries the key %q: %s", name, k, b)
			}
		}
	}
}

// keys lists every object key in v, at any depth.
func keys(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			out = append(out, k)
			out = append(out, keys(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, keys(e)...)
		}
	}
	return out
}
