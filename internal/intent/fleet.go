package intent

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	sealpkg "redis-restore/internal/seal"
	"redis-restore/internal/uuid"
)

// MaxFleet bounds a fleet: its members' list travels in its watch event
// (at most 128 KB) and in its plan.
const MaxFleet = 1000

// FleetRequest is what a fleet request asks for.
type FleetRequest struct {
	// Instances lists the members; or Pattern selects the allowed
	// instances of the region whose IDs match it ("*": every one).
	Instances []string   `json:"instances,omitempty"`
	Pattern   string     `json:"pattern,omitempty"`
	BackupID  string     `json:"backupId"` // "latest": each member's own newest restorable backup
	Before    *time.Time `json:"before,omitempty"`
	Region    string     `json:"region,omitempty"`
	Mode      string     `json:"mode,omitempty"` // "restore" only: in place
	// SafetyBackup overrides RESTORE_SAFETY_BACKUP for every member.
	SafetyBackup *bool `json:"safetyBackup,omitempty"`
	DryRun       bool  `json:"dryRun,omitempty"`
	Force        bool  `json:"force,omitempty"`
}

// Validate checks a fleet request; its errors name the field at fault.
func (f *FleetRequest) Validate() error {
	switch {
	case len(f.Instances) == 0 && f.Pattern == "":
		return Invalid("instances", `is required: a list of instance IDs, or a pattern such as "crs-web-*" ("*": every allowed instance)`)
	case len(f.Instances) > MaxFleet:
		return Invalid("instances", fmt.Sprintf("lists %d instances, a fleet has at most %d", len(f.Instances), MaxFleet))
	case f.Mode != "" && f.Mode != ModeRestore:
		return Invalid("mode", fmt.Sprintf("%q: a fleet restores in place (\"restore\"); clones, drills and switches are asked for one instance at a time", truncate(f.Mode)))
	}
	if _, err := path.Match(f.Pattern, ""); err != nil {
		return Invalid("instances", fmt.Sprintf("%q is not a pattern (%v)", truncate(f.Pattern), err))
	}
	seen := map[string]bool{}
	for _, id := range f.Instances {
		if !validInstanceID(id) {
			return Invalid("instances", fmt.Sprintf("%q is not a Redis instance ID (crs-xxxxxxxx)", truncate(id)))
		}
		if seen[id] {
			return Invalid("instances", fmt.Sprintf("%s is listed twice", id))
		}
		seen[id] = true
	}
	f.BackupID = cmp.Or(f.BackupID, LatestBackup)
	if !strings.EqualFold(f.BackupID, LatestBackup) {
		return Invalid("backupId", `a fleet restores each instance's own backup: "latest", bounded by "before"`)
	}
	f.BackupID, f.Mode = LatestBackup, ""
	probe := f.Member("crs-0000", "")
	return probe.Validate()
}

// Names reports whether the request names an instance: listed, or
// matching its pattern.
func (f FleetRequest) Names(id string) bool {
	if len(f.Instances) > 0 {
		return slices.Contains(f.Instances, id)
	}
	ok, _ := path.Match(f.Pattern, id)
	return ok
}

// Member is the restore of one member: its backup named once the fleet
// chose it.
func (f FleetRequest) Member(id, backupID string) Request {
	r := Request{InstanceID: id, BackupID: cmp.Or(backupID, LatestBackup), Region: f.Region, Force: f.Force}
	if backupID == "" {
		r.Before = f.Before
	}
	r.SafetyBackup = f.SafetyBackup
	return r
}

// Fleet is a fleet intent: the request and where it came from.
type Fleet struct {
	Request FleetRequest
	Trigger string
	Channel Channel
	Since   time.Time // when its event was created, never later than its arrival
	Key     string    // its event's identity; "" if it has none
	// Approved is the plan being applied, verified.
	Approved *FleetPlan
}

// FleetMember is one member of a fleet plan or outcome.
type FleetMember struct {
	InstanceID  string       `json:"instanceId"`
	BackupID    string       `json:"backupId,omitempty"`
	BackupStart *time.Time   `json:"backupStart,omitempty"`
	Budget      *BudgetState `json:"budget,omitempty"`
	// TaskID is a restore of this fleet already started (a redelivery).
	TaskID int64 `json:"taskId,omitempty"`
}

// FleetPlan is what a fleet would do: every member and its backup. Signed,
// it is what one approval applies to the whole fleet.
type FleetPlan struct {
	ID                string        `json:"id"`
	Region            string        `json:"region"`
	Instances         []string      `json:"instances,omitempty"` // as asked
	Pattern           string        `json:"pattern,omitempty"`
	Before            *time.Time    `json:"before,omitempty"`
	TakesSafetyBackup bool          `json:"takesSafetyBackup"`
	Trigger           string        `json:"trigger"`
	Channel           Channel       `json:"channel"`
	Members           []FleetMember `json:"members"`
	// Digest covers every member and its backup: applying the plan
	// restores exactly these, or is refused with a fresh plan.
	Digest  string    `json:"digest"`
	Created time.Time `json:"created,omitzero"`
	Expires time.Time `json:"expires,omitzero"`
	Token   string    `json:"token,omitempty"`
}

type fleetClaims struct {
	V         int      `json:"v"`
	ID        string   `json:"id"`
	Region    string   `json:"r"`
	Instances []string `json:"in,omitempty"`
	Pattern   string   `json:"p,omitempty"`
	Before    int64    `json:"bf,omitempty"`
	Safety    bool     `json:"s,omitempty"`
	Trigger   string   `json:"t"`
	Channel   string   `json:"ch"`
	Digest    string   `json:"d"`
	Created   int64    `json:"c"`
	Expires   int64    `json:"e"`
}

// FleetID names a fleet by its event, so that every delivery of one
// request is one fleet.
func FleetID(key string) string {
	seed := key
	if seed == "" {
		seed = uuid.New() // no identity: one fleet per delivery
	}
	sum := sha256.Sum256([]byte("fleet|" + seed))
	return "fleet-" + hex.EncodeToString(sum[:8])
}

// FleetDigest covers the members and their backups, in order.
func FleetDigest(ms []FleetMember) string {
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%s=%s;", m.InstanceID, m.BackupID)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (p *FleetPlan) Sign(seal *Seal, now time.Time, ttl time.Duration) {
	p.Created = now.UTC().Truncate(time.Second)
	p.Expires = p.Created.Add(ttl)
	c := fleetClaims{V: 1, ID: p.ID, Region: p.Region, Instances: p.Instances, Pattern: p.Pattern, Safety: p.TakesSafetyBackup,
		Trigger: p.Trigger, Channel: string(p.Channel), Digest: p.Digest, Created: p.Created.Unix(), Expires: p.Expires.Unix()}
	if p.Before != nil {
		c.Before = p.Before.Unix()
	}
	p.Token = seal.Token("fleetplan", c)
}

func (p *FleetPlan) WithoutToken() *FleetPlan {
	c := *p
	c.Token = ""
	return &c
}

// ParseFleetPlan verifies a fleet plan's token and returns the fleet it
// applies: the request as planned, the plan as its approval.
func ParseFleetPlan(seal *Seal, token string) (Fleet, error) {
	var c fleetClaims
	switch err := seal.Open("fleetplan", token, &c); {
	case err == nil && c.V == 1:
	case errors.Is(err, sealpkg.ErrNoKey):
		return Fleet{}, refusePlan("approvals need RESTORE_SIGNING_KEY, with which the function signs its plans")
	default:
		return Fleet{}, refusePlan("not a fleet plan this function signed, or changed since")
	}
	p := &FleetPlan{ID: c.ID, Region: c.Region, Instances: c.Instances, Pattern: c.Pattern, TakesSafetyBackup: c.Safety,
		Trigger: c.Trigger, Channel: Channel(c.Channel), Digest: c.Digest,
		Created: time.Unix(c.Created, 0).UTC(), Expires: time.Unix(c.Expires, 0).UTC(), Token: strings.TrimSpace(token)}
	safety := c.Safety
	req := FleetRequest{Instances: c.Instances, Pattern: c.Pattern, Region: c.Region, SafetyBackup: &safety}
	if c.Before != 0 {
		b := time.Unix(c.Before, 0).UTC()
		p.Before, req.Before = &b, &b
	}
	if err := req.Validate(); err != nil {
		return Fleet{}, refusePlan("the fleet plan's request is not valid: " + err.Error())
	}
	return Fleet{Request: req, Trigger: p.Trigger, Channel: p.Channel, Since: p.Created, Key: "fleetplan:" + p.ID, Approved: p}, nil
}

// FleetWatch is one look at a fleet by its watch: the function's own
// asynchronous invocation, sealed, which looks again a period later until
// every member ended.
type FleetWatch struct {
	ID      string
	Region  string
	Trigger string
	Since   time.Time
	Members []string
	// Backups are the members' backups as admitted, in Members' order
	// (none in a watch handed out before they were carried).
	Backups []string
	Step    int
	// SafetyTask and Restores: the watch of one intent (ID ""), which
	// took its safety backup by this task (the function's own) for a
	// restore of that backup; see watchIntent.
	SafetyTask int64
	Restores   string
	// Start is when the watch began (its first step's hand-off).
	Start time.Time
	// Key is the intent's event's identity (Job.Key).
	Key string
}

// FleetCounts is what a fleet's progress message counts.
type FleetCounts struct {
	Total    int                `json:"total"`
	Accepted int                `json:"accepted"` // handed out, not started yet
	Running  int                `json:"running"`  // safety backup or restore under way
	Done     int                `json:"done"`
	Failed   int                `json:"failed"`             // failed, expired, or not started in time
	Unproven int                `json:"unproven,omitempty"` // a restore ended well after its safety backup, not provably its own
	NotEnded int                `json:"notEnded,omitempty"` // at the watch's end of life
	Members  []fleetMemberState `json:"-"`                  // the completed message lists them on its own
}

type fleetMemberState struct {
	InstanceID string `json:"instanceId"`
	Stage      string `json:"stage"`
	TaskID     int64  `json:"taskId,omitempty"`
	// SupersededBy is another's restore since the fleet's event that the
	// member's intent never restores over (its stage: failed).
	SupersededBy int64 `json:"supersededBy,omitempty"`
}

// FleetResendWindow is how long after a fleet request the same request
// sent again is the same fleet (a key's lookback): its hand-out seals a
// start-by up to that much later than the first's, so the watch counts a
// member "never started" only past both.
const FleetResendWindow = 15 * time.Minute

// FleetStartWithin is how long a member may take to start (handed out,
// throttled, its safety backup): one not started by then never will, and
// counts as failed. FleetWatchLife ends a watch whatever is left.
const (
	FleetStartWithin = 30 * time.Minute
	FleetWatchLife   = 24 * time.Hour
)

// FleetWatchFirst is when a fleet's watch first looks, after it was
// handed out: the least time its members' restores take at
// RestoreInstance's limit (20 a second per account, its API document).
// A step reads the region's task list, a page per 100 tasks, at its
// container's share of the same limits the restores are paced by: looked
// at earlier, the fleet would mostly be accepted, and the watch would
// hold a container and take reads from the restores.
func FleetWatchFirst(members int) time.Duration {
	return time.Duration(members) * time.Second / 20
}

// Began is when a watch was handed out: what a member's time to start
// and the watch's life count from (an approved fleet's event is its
// plan, which may be hours older).
func (fw FleetWatch) Began() time.Time { return cmp.Or(fw.Start, fw.Since) }

// WatchLife is how long a watch is followed at most, whatever its steps
// meet: a fleet's, or an intent's (ID "").
func (fw FleetWatch) WatchLife() time.Duration {
	if fw.ID == "" {
		return SafetyWatchLife
	}
	return FleetWatchLife
}

// JudgeFleet judges each member of a fleet in the observed world (see
// judgeMember): since is the fleet's event (its members' restores started
// since), began its hand-out.
func JudgeFleet(w World, members []string, since, began, now time.Time, deadline time.Duration, seal *Seal) FleetCounts {
	return judgeFleet(w, members, nil, "", since, began, now, deadline, seal)
}

// JudgeWatch is JudgeFleet for a watch's step, with its members' backups.
func JudgeWatch(w World, fw FleetWatch, now time.Time, deadline time.Duration, seal *Seal) FleetCounts {
	return judgeFleet(w, fw.Members, fw.Backups, fw.Trigger, fw.Since, fw.Began(), now, deadline, seal)
}

func judgeFleet(w World, members, backups []string, trigger string, since, began, now time.Time, deadline time.Duration, seal *Seal) FleetCounts {
	c := FleetCounts{Total: len(members)}
	for i, id := range members {
		backup := ""
		if len(backups) == len(members) {
			backup = backups[i]
		}
		m := judgeMember(w, id, backup, trigger, since, began, now, deadline, seal)
		switch m.Stage {
		case "accepted":
			c.Accepted++
		case "running":
			c.Running++
		case "done":
			c.Done++
		case "unproven":
			c.Unproven++
		default:
			c.Failed++
		}
		c.Members = append(c.Members, m)
	}
	return c
}

// judgeMember judges one member as its own intent is judged, whatever
// other intents did on its instance since. Its restore is the first
// since the fleet's event (any restore since the event is the event's,
// as never-twice has it); with its own safety backup (the one whose
// remark names the fleet's event), that backup's first restore
// (FirstRestore), and a restore the mark does not prove its own is
// unproven.
func judgeMember(w World, id, backup, trigger string, since, began, now time.Time, deadline time.Duration, seal *Seal) fleetMemberState {
	m := fleetMemberState{InstanceID: id, Stage: "accepted"}
	in, tasks := w.Instance(id), w.Tasks[id]
	own := memberSafety(w.Safety[id], since, backup)
	t, restored := firstRestoreAfter(tasks, since)
	proven := true
	switch {
	case own != nil:
		first, seen := FirstRestore(seal, in, tasks, *own, w.Safety[id])
		switch seen {
		case RestoredOther:
			// Someone's restore since the fleet's event, before the
			// member's backup was done (or after it failed), or another
			// intent's of another backup: the member's intent never
			// restores over it.
			m.SupersededBy, m.Stage = first.ID, "failed"
			return m
		case NotRestored:
			if st := JudgeSafety(*own, NotRestored, now, deadline); st == SafetyFailed || st == SafetyExpired {
				m.Stage = "failed"
			} else {
				m.Stage = "running"
			}
			return m
		}
		t, restored = first, true
		proven = false
		for _, o := range w.Safety[id] {
			// Its own mark, or another intent's restore of the same
			// backup, which put back what the member asked for
			// (FirstRestore): its end is the member's, as the sweep
			// reports it.
			proven = proven || o.Restores == own.Restores && Marked(seal, in, t.ID, o.Restores, o.ID)
		}
	case restored:
		claimed := false // marked a listed intent's restore of the member's backup, or an earlier delivery's
		for _, o := range w.Safety[id] {
			// After a safety backup of an earlier version's remark (no
			// event: the member's, maybe, taken before the upgrade), a
			// restore the mark does not prove is not known.
			if o.Since.IsZero() && !o.StartTime.Before(since.Truncate(time.Second)) && !t.StartTime.Before(o.StartTime.Truncate(time.Second)) {
				proven = false
			}
			if !Marked(seal, in, t.ID, o.Restores, o.ID) {
				continue
			}
			switch {
			case backup != "" && o.Restores == backup, backup == "" && earlierDelivery(o, trigger, since):
				// The member's backup put back, or the member's own
				// restore by an earlier delivery of a fleet without a key.
				claimed = true
			case backup == "":
				// Another intent's continuation, where the member's
				// backup is not known (a watch handed out before the
				// watch carried them, or a member an earlier delivery
				// restored): not known either.
				proven = false
			default:
				// Another intent's continuation of its own safety backup,
				// of another backup, as the mark proves: not the member's.
				m.SupersededBy, m.Stage = t.ID, "failed"
				return m
			}
		}
		// Marked some intent's continuation whose safety backup the world
		// does not hold (it started before the fleet's event), or after a
		// manual backup since the hand-out that the function marked an
		// intent's failed safety backup (the member's, where the API lists
		// a backup only once it is done, or another's): not known.
		if MarkedAny(in, t.ID) && !claimed || failedBefore(seal, in, tasks, began, t) {
			proven = false
		}
	}
	if !restored {
		switch {
		case unlistedBackupRuns(tasks, w.Safety[id], since, now):
			// A manual backup since the event still runs that the list
			// does not show: the member's safety backup where the API
			// lists a backup only once it is done. Its restore is bound
			// by RESTORE_SAFETY_DEADLINE, not by the hand-out's start-by.
			m.Stage = "running"
		case now.Sub(began) >= FleetStartWithin+FleetResendWindow:
			m.Stage = "failed" // never started: refused, held or lost on its way
		}
		return m
	}
	m.TaskID = t.ID
	ran := in.Running() || TaskAfter(tasks, t) // serving again, or a later task proves it ran in between
	switch {
	case t.Result == 4 || !t.EndTime.IsZero() && t.Result != 2:
		m.Stage = "failed"
	case t.EndTime.IsZero():
		m.Stage = "running"
	case !proven && (ran || in.ID == ""):
		// Ended well after the member's safety backup, but nothing
		// sealed proves it the member's restore: the function's own
		// whose mark could not be written, or someone's (or its instance
		// is no longer read, and its mark with it). Neither done nor
		// failed: not known.
		m.Stage = "unproven"
	case ran:
		m.Stage = "done"
	case in.ID == "":
		// Its task succeeded, and its instance is no longer read (out of
		// the allow-list since, or gone): judged by its own task, not
		// counted running for the watch's life.
		m.Stage = "done"
	case now.Sub(t.EndTime) >= FleetStartWithin:
		m.Stage = "failed" // succeeded, and not running long after
	default:
		m.Stage = "running"
	}
	return m
}

// memberSafety is a member's own safety backup: the first since the
// fleet's event whose remark names that event and the member's backup
// (any backup where the watch does not carry them).
func memberSafety(bs []SafetyBackup, since time.Time, backup string) *SafetyBackup {
	var own *SafetyBackup
	list := safetySince(bs, since)
	for i, b := range list {
		if b.OfEvent(since) && (backup == "" || b.Restores == backup) && (own == nil || b.StartTime.Before(own.StartTime)) {
			own = &list[i]
		}
	}
	return own
}

// unlistedBackupRuns reports whether a manual backup task that started
// since t still runs, listed as no one's safety backup, and started less
// than an intent's watch's life ago (a backup that long is no one's the
// fleet waits for).
func unlistedBackupRuns(tasks []Task, safety []SafetyBackup, t, now time.Time) bool {
	for _, x := range tasks {
		if x.Kind != ManualBackupTask || !x.EndTime.IsZero() || x.StartTime.Before(t.Truncate(time.Second)) || now.Sub(x.StartTime) >= SafetyWatchLife {
			continue
		}
		listed := false
		for _, b := range safety {
			listed = listed || SameStart(b, x)
		}
		if !listed {
			return true
		}
	}
	return false
}

// AllEnded reports whether every member ended.
func (c FleetCounts) AllEnded() bool { return c.Accepted+c.Running == 0 }

func safetySince(bs []SafetyBackup, since time.Time) []SafetyBackup {
	var out []SafetyBackup
	for _, b := range bs {
		if !b.StartTime.Before(since.Truncate(time.Second)) {
			out = append(out, b)
		}
	}
	return out
}

// SortedIDs is a fleet's members in a stable order.
func SortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// FleetOutcome is what became of a fleet request: the answer's "fleet".
type FleetOutcome struct {
	ID      string        `json:"id"`
	Status  Status        `json:"status"`
	Region  string        `json:"region,omitempty"`
	Members []FleetMember `json:"members,omitempty"`
	Plan    *FleetPlan    `json:"plan,omitempty"`
	// Jobs are the members' intents, to be fanned out when accepted.
	Jobs []Intent `json:"-"`
}

// earlierDelivery reports whether o may be the safety backup an earlier
// delivery of the same fleet took, where the fleet has no key of its own
// (named by its body, its event is its arrival less FleetResendWindow):
// its trigger's, of an event at most that window before.
func earlierDelivery(o SafetyBackup, trigger string, since time.Time) bool {
	return trigger != "" && o.Trigger == trigger && !o.Since.IsZero() && !o.Since.After(since) && since.Sub(o.Since) <= FleetResendWindow
}

// failedBefore reports whether a manual backup task that started since
// the member was handed out (began: where its own would) and before t
// failed, marked by the function an intent's failed safety backup.
func failedBefore(seal *Seal, in Instance, tasks []Task, began time.Time, t Task) bool {
	for _, x := range tasks {
		if x.Kind != ManualBackupTask || x.StartTime.Before(began.Truncate(time.Second)) || !x.StartTime.Before(t.StartTime) || x.Result == 2 {
			continue
		}
		if found, _ := FailedMark(seal, in, x.ID, ""); found {
			return true
		}
	}
	return false
}
