package restore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"redis-restore/internal/edition"
	"redis-restore/internal/failure"
	sealpkg "redis-restore/internal/seal"
	"redis-restore/internal/uuid"
)

// A fleet is one request that restores many instances of a region (issue
// 20): every allowed instance, a list, or a pattern, each to its own
// newest restorable backup before a bound. It is admitted as a whole here
// (its members, their budgets and backups read from one observation of
// the region, its approval and dry run one plan), and then each member is
// its own intent: the handler fans the members out to the function's own
// asynchronous invocations, sealed, and each goes through Run and its one
// admission like any restore. A watch (WatchFleet), also the function's
// own asynchronous invocation, judges the members in the region's world
// and reports the fleet's progress and its one end.

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
		return invalid("instances", `is required: a list of instance IDs, or a pattern such as "crs-web-*" ("*": every allowed instance)`)
	case len(f.Instances) > MaxFleet:
		return invalid("instances", fmt.Sprintf("lists %d instances, a fleet has at most %d", len(f.Instances), MaxFleet))
	case f.Mode != "" && f.Mode != ModeRestore:
		return invalid("mode", fmt.Sprintf("%q: a fleet restores in place (\"restore\"); clones, drills and switches are asked for one instance at a time", truncate(f.Mode)))
	}
	if _, err := path.Match(f.Pattern, ""); err != nil {
		return invalid("instances", fmt.Sprintf("%q is not a pattern (%v)", truncate(f.Pattern), err))
	}
	seen := map[string]bool{}
	for _, id := range f.Instances {
		if !validInstanceID(id) {
			return invalid("instances", fmt.Sprintf("%q is not a Redis instance ID (crs-xxxxxxxx)", truncate(id)))
		}
		if seen[id] {
			return invalid("instances", fmt.Sprintf("%s is listed twice", id))
		}
		seen[id] = true
	}
	f.BackupID = cmp.Or(f.BackupID, LatestBackup)
	if !strings.EqualFold(f.BackupID, LatestBackup) {
		return invalid("backupId", `a fleet restores each instance's own backup: "latest", bounded by "before"`)
	}
	f.BackupID, f.Mode = LatestBackup, ""
	probe := f.member("crs-0000", "")
	return probe.Validate()
}

// names reports whether the request names an instance: listed, or
// matching its pattern.
func (f FleetRequest) names(id string) bool {
	if len(f.Instances) > 0 {
		return slices.Contains(f.Instances, id)
	}
	ok, _ := path.Match(f.Pattern, id)
	return ok
}

// member is the restore of one member: its backup named once the fleet
// chose it.
func (f FleetRequest) member(id, backupID string) Request {
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

// FleetOutcome is what became of a fleet request: the answer's "fleet".
type FleetOutcome struct {
	ID      string        `json:"id"`
	Status  Status        `json:"status"`
	Region  string        `json:"region,omitempty"`
	Members []FleetMember `json:"members,omitempty"`
	Plan    *FleetPlan    `json:"plan,omitempty"`
	// Jobs are the members' intents, to be fanned out when accepted.
	Jobs []Job `json:"-"`
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

// Fleet admits a fleet request as a whole, and returns its outcome as the
// result of the request (its Fleet) with the members' jobs to fan out when
// it is accepted. In order: the settings; the members (each allowed); one
// observation of the region (their tasks since the budget's window); a
// member this fleet already restored (a redelivery) is a duplicate, not
// restored again nor counted; each member's budget (held as a whole
// unless forced); each member's backup (the fleet is refused as a whole
// where one has none); an approved plan still holds; then the dry run, or
// a plan for approval, or the members.
func (s *Service) Fleet(ctx context.Context, f Fleet) (res Result) {
	req := f.Request
	region := cmp.Or(req.Region, s.Settings.Region)
	id := FleetID(f.Key)
	if f.Approved != nil {
		id = f.Approved.ID
	}
	out := &FleetOutcome{ID: id, Region: region}
	res = Result{Region: region, FleetID: id, Fleet: out}
	log := s.Log.With("fleetId", id)
	defer func() {
		if p := recover(); p != nil {
			log.Error("fleet.panic", "detail", "fleet panicked", "panic", fmt.Sprint(p))
			res.Fail(failure.E(failure.Internal, failure.Code(failure.CodeInternal), fmt.Sprintf("internal error: %v", p)))
		}
		out.Status = res.Status
		if res.Status != Accepted && res.Status != Planned && res.Status != DryRun && res.Status != Duplicate {
			s.fleetEnded(ctx, f, &res, log)
		}
	}()
	if err := s.settingsCheck(Request{Region: req.Region}, region); err != nil {
		failed(&res, err, log, "fleet refused")
		return res
	}
	if err := s.listedAllowed(req); err != nil {
		failed(&res, err, log, "fleet refused")
		return res
	}
	now := s.Now()
	budget, setting := s.budgetOf(Job{Channel: f.Channel})
	from := f.Since
	if !budget.Off() && (from.IsZero() || now.Add(-budget.Window).Before(from)) {
		from = now.Add(-budget.Window)
	}
	bound := latestBefore(req.Before, now)
	if f.Approved != nil {
		bound = latestBefore(f.Approved.Before, f.Approved.Created)
	}
	// The region's world and its recent backups are read at once: each
	// list has its own limit, and a fleet's admission is one container's.
	var w world
	var recent map[string]Backup
	var g errgroup.Group
	g.Go(func() (err error) {
		w, err = s.observe(ctx, region, "", cmp.Or(from, now).Truncate(time.Second), now.Add(time.Minute), log)
		return err
	})
	g.Go(func() (err error) {
		recent, err = s.recentBackups(ctx, region, bound, func(id string) bool { return req.names(id) && s.Settings.allowed(id) })
		return err
	})
	if err := g.Wait(); err != nil {
		failed(&res, err, log, "fleet refused: the region could not be read")
		return res
	}
	ids, err := s.fleetMembers(w, region, req)
	if err != nil {
		failed(&res, err, log, "fleet refused")
		return res
	}
	backups, err := s.newestBackups(ctx, region, ids, bound, recent)
	if err != nil {
		failed(&res, err, log, "fleet refused: no backups")
		return res
	}
	var held, started, missing, unfit []string
	for _, id := range ids {
		m := FleetMember{InstanceID: id}
		in, ed := w.instance(id), edition.Of(w.instance(id).Type)
		if t, ok := newestTask(startedSince(w.tasks[id], f.Since.Truncate(time.Second)), RestoreTask); ok && !f.Since.IsZero() {
			m.TaskID = t.ID
			started = append(started, id)
		} else if in.ID == "" {
			unfit = append(unfit, id+" (not in the region's instance list)")
		} else if ed.Known && !ed.InPlace {
			unfit = append(unfit, fmt.Sprintf("%s (%s, which cannot restore in place: restore it alone with \"mode\": \"switch\")", id, ed))
		} else if st := s.budgetFrom(w, id, budget, setting, now); st != nil && st.FreesAt != nil {
			m.Budget = st
			held = append(held, fmt.Sprintf("%s (until %s)", id, st.FreesAt.Format(time.RFC3339)))
		}
		if b, ok := backups[id]; ok {
			start := b.StartTime.UTC()
			m.BackupID, m.BackupStart = b.ID, &start
		} else if m.TaskID == 0 {
			missing = append(missing, id)
		}
		out.Members = append(out.Members, m)
	}
	switch {
	case len(started) == len(ids):
		res.Status = Duplicate
		res.Reason = fmt.Sprintf("fleet %s: every member's restore started already (a redelivery)", id)
		return res
	case len(unfit) > 0:
		failed(&res, failure.E(failure.Unavailable, failure.Code(CodeUnsupportedEdition), failure.Field("instances"),
			"the fleet restores none: "+strings.Join(unfit, ", ")), log, "fleet refused")
		return res
	case len(missing) > 0:
		failed(&res, failure.E(failure.NotFound, failure.Code(failure.CodeBackupNotFound), failure.Field("instances"),
			fmt.Sprintf("no restorable backup before %s of %s: the fleet restores none (narrow it, or restore these alone)",
				bound.UTC().Format(time.RFC3339), strings.Join(missing, ", "))), log, "fleet refused")
		return res
	case len(held) > 0 && !req.Force && !req.DryRun:
		res.Status, res.Held = Skipped, true
		res.Error = &ErrorBody{Code: CodeBudgetExceeded, Message: fmt.Sprintf(
			"%s allows %d restore(s) per instance per %s, spent for %s: the fleet restores none (an authenticated webhook may override with \"force\": true)",
			setting, budget.Limit, budget.WindowString(), strings.Join(held, ", "))}
		log.Warn("fleet.held", "detail", "fleet held back by its members' budgets", "held", len(held))
		return res
	}
	plan := &FleetPlan{ID: id, Region: region, Instances: req.Instances, Pattern: req.Pattern, Before: req.Before,
		TakesSafetyBackup: s.safetyWanted(Job{Request: req.member("", ""), Trigger: f.Trigger}), Trigger: f.Trigger, Channel: f.Channel,
		Members: out.Members, Digest: fleetDigest(out.Members)}
	if p := f.Approved; p != nil {
		switch {
		case now.After(p.Expires):
			failed(&res, failure.E(failure.Conflict, failure.Code(CodePlanExpired), failure.Field("approve"),
				fmt.Sprintf("fleet plan %s expired at %s: not restored; send the request again for a new plan", p.ID, p.Expires.Format(time.RFC3339))), log, "approval refused")
			return res
		case p.Digest != plan.Digest:
			failed(&res, failure.E(failure.Conflict, failure.Code(CodePlanOutdated), failure.Field("approve"),
				fmt.Sprintf("fleet plan %s: its members or their backups changed since it was made: not restored; send the request again for a new plan", p.ID)), log, "approval refused")
			out.Plan = plan
			return res
		}
		plan = p
		log.Info("approval.planHolds", "detail", "approved fleet plan still holds", "planId", p.ID, "members", len(p.Members))
	}
	switch {
	case req.DryRun || s.Settings.DryRun:
		res.Status, out.Plan = DryRun, plan
		res.Reason = fmt.Sprintf("dry run: fleet %s would restore %d instances; nothing was restored", id, len(ids))
		return res
	case f.Approved == nil && s.Settings.Approval[f.Channel]:
		if s.Settings.Seal == nil {
			failed(&res, errNoSeal("a fleet plan waiting for approval"), log, "fleet refused")
			return res
		}
		plan.sign(s.Settings.Seal, now, s.Settings.ApprovalTTL)
		res.Status, out.Plan = Planned, plan
		res.Reason = fmt.Sprintf("RESTORE_APPROVAL holds restores that come by %s for approval: fleet plan %s (%d instances) is on the queue (its planned message), for an approver to apply before %s",
			f.Channel, id, len(ids), plan.Expires.Format(time.RFC3339))
		s.fleetMessage(ctx, "fleet.planned", uuid.FromName("fleet/"+id+"/planned"), f.Trigger, region, map[string]any{"fleetId": id, "plan": plan}, log)
		out.Plan = plan.withoutToken()
		return res
	}
	// An approved fleet's event is its plan: its Since is the plan's
	// creation (ParseFleetPlan).
	key := "fleet:" + id
	for _, m := range out.Members {
		if m.TaskID != 0 {
			continue
		}
		r := req.member(m.InstanceID, m.BackupID)
		r.Region = region
		out.Jobs = append(out.Jobs, Job{Request: r, Trigger: f.Trigger, Channel: f.Channel, Since: f.Since, Key: key + ":" + m.InstanceID,
			Fleet: id, JobGuard: JobGuard{Force: req.Force}})
	}
	res.Status = Accepted
	res.Reason = fmt.Sprintf("fleet %s: %d instances to restore, %d already restored by it", id, len(out.Jobs), len(started))
	log.Info("fleet.accepted", "detail", "fleet admitted", "members", len(ids), "toStart", len(out.Jobs))
	return res
}

// fleetEnded reports a fleet that ended at its request (refused, held,
// failed): its completed message. Not a failure the platform retries
// (transient, or unknown): the retry may yet run the fleet, whose watch
// sends its end. And under an id of the refusal's own: a held fleet may
// be applied again with force (an approval's token), and the watch's
// end then has the fleet's id to itself.
func (s *Service) fleetEnded(ctx context.Context, f Fleet, res *Result, log *slog.Logger) {
	if res.Status == Unknown || res.Status == Failed && res.Kind.Retry() == failure.Backoff {
		log.Info("fleet.notEnded", "detail", "the fleet failed at its request, and the platform retries it: no end is reported yet", "code", res.Error.Code)
		return
	}
	code := "refused"
	if res.Error != nil {
		code = res.Error.Code
	}
	data := map[string]any{"fleetId": res.FleetID, "status": res.Status, "total": len(res.Fleet.Members), "error": res.Error,
		"reason": res.Reason}
	s.fleetMessage(ctx, "fleet.completed", uuid.FromName("fleet/"+res.FleetID+"/refused/"+code), f.Trigger, res.Region, data, log)
}

// fleetDigest covers the members and their backups, in order.
func fleetDigest(ms []FleetMember) string {
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%s=%s;", m.InstanceID, m.BackupID)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (p *FleetPlan) sign(seal *Seal, now time.Time, ttl time.Duration) {
	p.Created = now.UTC().Truncate(time.Second)
	p.Expires = p.Created.Add(ttl)
	c := fleetClaims{V: 1, ID: p.ID, Region: p.Region, Instances: p.Instances, Pattern: p.Pattern, Safety: p.TakesSafetyBackup,
		Trigger: p.Trigger, Channel: string(p.Channel), Digest: p.Digest, Created: p.Created.Unix(), Expires: p.Expires.Unix()}
	if p.Before != nil {
		c.Before = p.Before.Unix()
	}
	p.Token = seal.Token("fleetplan", c)
}

func (p *FleetPlan) withoutToken() *FleetPlan {
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

// fleetMessage puts one of a fleet's own messages on the queue, retried
// as an outcome is; a message that cannot be sent is logged, and its
// sender's invocation fails where that makes the platform send it again.
func (s *Service) fleetMessage(ctx context.Context, kind, id, trigger, region string, data any, log *slog.Logger) error {
	if s.Outbox == nil || !s.Settings.CanReport {
		return failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), "no queue for the fleet's messages")
	}
	body, err := json.Marshal(Envelope[any]{SpecVersion: "1.0", ID: id, Source: s.Source, Type: EventTypePrefix + kind, Time: s.Now().UTC(),
		DataContentType: "application/json", Data: data})
	if err != nil {
		return err
	}
	_, err = retry(ctx, s, func() (string, error) {
		return s.Outbox.Publish(ctx, cmp.Or(s.Settings.Region, region), string(body), []string{kind, trigger})
	})
	if err != nil {
		log.Error("fleet.messageUndelivered", "detail", "a fleet message could not be sent", "type", kind, "error", err.Error())
		return err
	}
	log.Info("fleet.messageSent", "detail", "fleet message sent", "type", kind, "id", id)
	return nil
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
	Total    int `json:"total"`
	Accepted int `json:"accepted"` // handed out, not started yet
	Running  int `json:"running"`  // safety backup or restore under way
	Done     int `json:"done"`
	Failed   int `json:"failed"`             // failed, expired, or not started in time
	Unproven int `json:"unproven,omitempty"` // a restore ended well after its safety backup, not provably its own
	NotEnded int `json:"notEnded,omitempty"` // at the watch's end of life
	members  []fleetMemberState
}

type fleetMemberState struct {
	InstanceID string `json:"instanceId"`
	Stage      string `json:"stage"`
	TaskID     int64  `json:"taskId,omitempty"`
}

// FleetResendWindow is how long after a fleet request the same request
// sent again is the same fleet (a key's lookback): its hand-out seals a
// start-by up to that much later than the first's, so the watch counts a
// member "never started" only past both.
const FleetResendWindow = 15 * time.Minute

// FleetStartWithin is how long a member may take to start (handed out,
// throttled, its safety backup): one not started by then never will, and
// counts as failed. fleetWatchLife ends a watch whatever is left.
const (
	FleetStartWithin = 30 * time.Minute
	fleetWatchLife   = 24 * time.Hour
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

// WatchFleet looks at a fleet once: it judges every member in the region's
// world, sends the step's progress and, when every member ended (or the
// watch's life did), the fleet's one completed message. done says whether
// the watch ends here. A message that could not be sent is an error: the
// platform retries the step, whose messages keep their ids.
func (s *Service) WatchFleet(ctx context.Context, fw FleetWatch) (FleetCounts, bool, error) {
	log := s.Log.With("fleetId", fw.ID, "step", fw.Step)
	now := s.Now()
	if fw.ID == "" {
		return s.watchIntent(ctx, fw, log)
	}
	w, err := s.observe(ctx, fw.Region, "", fw.Since.Truncate(time.Second), now.Add(time.Minute), log)
	if err != nil {
		return FleetCounts{}, false, err
	}
	c := judgeFleet(w, fw.Members, fw.Since, fw.began(), now, s.Settings.Life.SafetyDeadline, s.Settings.Seal)
	done := c.allEnded() || now.Sub(fw.began()) >= fleetWatchLife
	if done && !c.allEnded() {
		c.NotEnded = c.Accepted + c.Running
	}
	data := map[string]any{"fleetId": fw.ID, "region": fw.Region, "step": fw.Step, "counts": c}
	if err := s.fleetMessage(ctx, "fleet.progress", uuid.FromName(fmt.Sprintf("fleet/%s/progress/%d", fw.ID, fw.Step)), fw.Trigger, fw.Region, data, log); err != nil {
		return c, false, err
	}
	if !done {
		return c, false, nil
	}
	data = map[string]any{"fleetId": fw.ID, "region": fw.Region, "status": "completed", "counts": c, "members": c.members}
	err = s.fleetMessage(ctx, "fleet.completed", uuid.FromName("fleet/"+fw.ID+"/completed"), fw.Trigger, fw.Region, data, log)
	return c, err == nil, err
}

// judgeFleet judges each member of a fleet in the observed world: its
// restore since the fleet began by the task list's own status and the
// instance's; before that, its signed safety backup's stage.
//
// A member that took a safety backup is restored by the fleet only where
// the function's mark proves its restore after that backup its own
// (provenance.go): someone's restore (the console) is not the fleet's,
// and the member counts as failed.
// began is when a watch was handed out: what a member's time to start
// and the watch's life count from (an approved fleet's event is its
// plan, which may be hours older).
func (fw FleetWatch) began() time.Time { return cmp.Or(fw.Start, fw.Since) }

// WatchLife is how long a watch is followed at most, whatever its steps
// meet: a fleet's, or an intent's (ID "").
func (fw FleetWatch) WatchLife() time.Duration {
	if fw.ID == "" {
		return safetyWatchLife
	}
	return fleetWatchLife
}

// judgeFleet judges each member: since is the fleet's event (its
// members' restores started since), began its hand-out.
func judgeFleet(w world, members []string, since, began, now time.Time, deadline time.Duration, seal *Seal) FleetCounts {
	c := FleetCounts{Total: len(members)}
	for _, id := range members {
		m := fleetMemberState{InstanceID: id, Stage: "accepted"}
		tasks := startedSince(w.tasks[id], since.Truncate(time.Second))
		if t, ok := newestTask(tasks, RestoreTask); ok {
			b := newestSafety(safetySince(w.safety[id], since))
			if b != nil && !b.Since.IsZero() && !b.ofEvent(since) {
				b = nil // another intent's (an alarm's): the member's own is judged as its intent is
			}
			seen := notRestored
			if b != nil {
				// The member's own safety-backed intent: its first
				// restore since the event is its one end, as the sweep
				// reports it (firstRestore).
				t, seen = firstRestore(seal, w.instance(id), w.tasks[id], *b, w.safety[id])
			}
			m.TaskID = t.ID
			switch {
			case seen == restoredOther:
				m.Stage = "failed" // someone's restore since the fleet's event, not the member's
			case t.Result == 4 || !t.EndTime.IsZero() && t.Result != 2:
				m.Stage = "failed"
			case !t.EndTime.IsZero() && w.instance(id).Running() && seen == restoredOwn && !marked(seal, w.instance(id), t.ID, b.Restores, b.ID):
				// Ended well after the member's safety backup, but
				// nothing sealed proves it the member's restore: the
				// function's own whose mark could not be written, or
				// someone's. Neither done nor failed: not known.
				m.Stage = "unproven"
			case !t.EndTime.IsZero() && w.instance(id).Running():
				m.Stage = "done"
			case !t.EndTime.IsZero() && w.instance(id).ID == "":
				// Its task succeeded, and its instance is no longer read
				// (out of the allow-list since, or gone): judged by its
				// own task, not counted running for the watch's life.
				m.Stage = "done"
			case !t.EndTime.IsZero() && now.Sub(t.EndTime) >= FleetStartWithin:
				m.Stage = "failed" // succeeded, and not running long after
			default:
				m.Stage = "running"
			}
		} else if b := newestSafety(safetySince(w.safety[id], since)); b != nil {
			switch judgeSafety(*b, notRestored, now, deadline) {
			case safetyFailed, safetyExpired:
				m.Stage = "failed"
			default:
				m.Stage = "running"
			}
		} else if now.Sub(began) >= FleetStartWithin+FleetResendWindow {
			m.Stage = "failed" // never started: refused, held or lost on its way
		}
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
		c.members = append(c.members, m)
	}
	return c
}

// allEnded reports whether every member ended.
func (c FleetCounts) allEnded() bool { return c.Accepted+c.Running == 0 }

func safetySince(bs []SafetyBackup, since time.Time) []SafetyBackup {
	var out []SafetyBackup
	for _, b := range bs {
		if !b.StartTime.Before(since.Truncate(time.Second)) {
			out = append(out, b)
		}
	}
	return out
}

// sortedIDs is a fleet's members in a stable order.
func sortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
