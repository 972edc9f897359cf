package intent

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/uuid"
)

// cloneMarker joins the source's ID and the clone's identity in a clone's
// name: "<source>-clone-<id><mac>".
const cloneMarker = "-clone-"

// CloneName is the new instance's name: the source, a hash of what was
// asked for (instance, backup, before, clone time: not the event's key, so
// that a replay under another Idempotency-Key finds the clone instead of
// ordering another), and the function's MAC over both, so that only the
// function's own clones are followed by the sweep (provenance.go).
func CloneName(seal *Seal, req Request) string {
	before, cloneTime := "", ""
	if req.Before != nil {
		before = req.Before.UTC().Format(time.RFC3339)
	}
	if req.CloneTime != nil {
		cloneTime = req.CloneTime.UTC().Format(time.RFC3339)
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{req.InstanceID, req.BackupID, before, cloneTime}, "/")))
	id := hex.EncodeToString(sum[:])[:8]
	return req.InstanceID + cloneMarker + id + seal.Hex(8, "clone", req.InstanceID, id)
}

// CloneSource is the instance a clone's (or a drill's, a switch's) name
// says it was cloned from, if the name carries the function's MAC.
func CloneSource(seal *Seal, name string) (string, bool) {
	if src, _, _, ok := DrillOf(seal, name); ok {
		return src, true
	}
	if src, _, _, ok := SwitchOf(seal, name); ok {
		return src, true
	}
	src, rest, ok := strings.Cut(name, cloneMarker)
	if !ok || !strings.HasPrefix(src, "crs-") || len(rest) != 16 || seal == nil {
		return "", false
	}
	return src, seal.VerifyHex(rest[8:], "clone", src, rest[:8])
}

// timedName is a drill's or a switch's clone name,
// "<source>-<kind>-<a><b><mac>": two times, 8 hex digits of Unix seconds
// each, and the function's MAC over the source and both.
func timedName(seal *Seal, kind, instanceID string, a, b time.Time) string {
	ts := fmt.Sprintf("%08x%08x", a.Unix(), b.Unix())
	return instanceID + "-" + kind + "-" + ts + seal.Hex(8, kind, instanceID, ts)
}

// readTimedName reads a name timedName made for kind, if it carries the
// function's MAC.
func readTimedName(seal *Seal, kind, name string) (src string, a, b time.Time, ok bool) {
	src, rest, ok := strings.Cut(name, "-"+kind+"-")
	if !ok || !strings.HasPrefix(src, "crs-") || len(rest) != 24 || !seal.VerifyHex(rest[16:], kind, src, rest[:16]) {
		return "", time.Time{}, time.Time{}, false
	}
	x, err1 := strconv.ParseInt(rest[:8], 16, 64)
	y, err2 := strconv.ParseInt(rest[8:16], 16, 64)
	if err1 != nil || err2 != nil {
		return "", time.Time{}, time.Time{}, false
	}
	return src, time.Unix(x, 0).UTC(), time.Unix(y, 0).UTC(), true
}

// OwnCloneTask is the clone task that made c: of its source's clone
// tasks, the one that started closest to c's creation (Createtime); the
// newest where its creation is not known. Another clone or drill of the
// same source has a task of its own.
func OwnCloneTask(tasks []Task, c Instance) (Task, bool) {
	var own Task
	found := false
	for _, t := range tasks {
		switch {
		case t.Kind != CloneTask:
		case !found, c.Created.IsZero() && t.StartTime.After(own.StartTime),
			!c.Created.IsZero() && absDur(t.StartTime.Sub(c.Created)) < absDur(own.StartTime.Sub(c.Created)):
			own, found = t, true
		}
	}
	return own, found
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// Made is an instance the function made, read from its signed name: its
// kind (clone, drill, switch), its source, and the times a drill's or a
// switch's name records.
type Made struct {
	Kind   string // ModeClone, ModeDrill or ModeSwitch
	Source string
	// A drill: its start (at) and its backup's (backup). A switch: the
	// state it holds (at) and its order (ordered).
	At, Backup, Ordered time.Time
}

func CloneLife(instanceID, name string, ids []string, dealID string) *Life {
	typ := "cloned"
	if strings.Contains(name, DrillMarker) {
		typ = "drill.started"
	}
	return &Life{Phase: PhaseCloning, NewInstanceIDs: ids, DealID: dealID, EventType: EventTypePrefix + typ,
		EventID: uuid.FromName(fmt.Sprintf("%s/clone/%s/cloned", instanceID, name))}
}

// MadeOf reads an instance the function made. A drill's or a switch's
// clone, which the sweep releases or switches to, must also be what its
// name says by facts that cannot be given to another instance afterwards:
// created within minutes of its order, and not its source. A past clone's
// name, given by a rename to an older instance, is then no one's.
func MadeOf(seal *Seal, approvalTTL time.Duration, c Instance) (Made, bool) {
	var m Made
	var orderedAt time.Time
	var window time.Duration
	if src, at, b, ok := DrillOf(seal, c.Name); ok {
		// Ordered at its start, or when its plan was approved.
		m, orderedAt, window = Made{Kind: ModeDrill, Source: src, At: at, Backup: b}, at, approvalTTL+10*time.Minute
	} else if src, state, ordered, ok := SwitchOf(seal, c.Name); ok {
		m, orderedAt, window = Made{Kind: ModeSwitch, Source: src, At: state, Ordered: ordered}, ordered, 10*time.Minute
	} else if src, ok := CloneSource(seal, c.Name); ok {
		return Made{Kind: ModeClone, Source: src}, true
	} else {
		return Made{}, false
	}
	created := c.Created
	ok := c.ID != m.Source && !created.IsZero() &&
		!created.Before(orderedAt.Add(-time.Minute)) && created.Before(orderedAt.Add(window))
	return m, ok
}
