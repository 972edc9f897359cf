package intent

import (
	"fmt"
	"time"
)

// World is what one reading of a region shows of the intents in it: the
// allowed instances, the clones the function made of them (by their
// signed names), and their tasks and safety backups (by their signed
// remarks) over a span. The sweep and the status judge intents in it
// (judge.go); nothing else reads these lists.
type World struct {
	Instances []Instance
	Clones    []Instance
	Tasks     map[string][]Task         // by instance
	Safety    map[string][]SafetyBackup // by instance
}

// Instance is an observed instance, by ID (zero if not seen).
func (w World) Instance(id string) Instance {
	for _, in := range w.Instances {
		if in.ID == id {
			return in
		}
	}
	return Instance{}
}

// CloneTaskAt reports whether a clone task started within a minute of t.
func CloneTaskAt(tasks []Task, t time.Time) bool {
	for _, x := range tasks {
		if d := x.StartTime.Sub(t); x.Kind == CloneTask && d > -time.Minute && d < time.Minute {
			return true
		}
	}
	return false
}

func StartedSince(tasks []Task, begin time.Time) []Task {
	var out []Task
	for _, t := range tasks {
		if !t.StartTime.Before(begin) {
			out = append(out, t)
		}
	}
	return out
}

// OwnSafety is an intent's safety backup among an instance's: the newest
// that started since its event and restores its backup ("" where not
// chosen yet: any).
func OwnSafety(bs []SafetyBackup, since time.Time, restores string) (SafetyBackup, bool) {
	var best SafetyBackup
	found := false
	for _, b := range safetySince(bs, since) {
		if (restores == "" || b.Restores == restores) && (!found || b.StartTime.After(best.StartTime)) {
			best, found = b, true
		}
	}
	return best, found
}

// NewestTask is the newest task of a kind.
func NewestTask(tasks []Task, kind TaskKind) (Task, bool) {
	var newest Task
	found := false
	for _, t := range tasks {
		if t.Kind == kind && (!found || t.StartTime.After(newest.StartTime) || t.StartTime.Equal(newest.StartTime) && t.ID > newest.ID) {
			newest, found = t, true
		}
	}
	return newest, found
}

// Backup statuses that can be restored: 2 normal, 4 RDB conversion done.
func Restorable(b Backup) bool {
	// A safety backup is an undo point, not a known-good state: "latest"
	// never picks one (see lifecycle.go).
	return (b.Status == 2 || b.Status == 4) && !b.Locked && !IsSafetyRemark(b.Remark)
}

// NotRestorable says why a backup cannot be restored, "" if it can.
func NotRestorable(b Backup) string {
	switch {
	case b.Locked:
		return "is locked"
	case b.Status == -1:
		return "has expired (status -1)"
	case b.Status == -2:
		return "was deleted (status -2)"
	case !Restorable(b):
		return fmt.Sprintf("has status %d, not restorable", b.Status)
	}
	return ""
}
