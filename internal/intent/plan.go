package intent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"redis-restore/internal/edition"
	"redis-restore/internal/failure"
	sealpkg "redis-restore/internal/seal"
)

// Planned: the restore waits for a person (RESTORE_APPROVAL); the result's
// plan says what would be done, and its token applies it.
const Planned Status = "planned"

// Codes of refused approvals.
const (
	CodeInvalidApproval = "InvalidApproval" // not a plan this function signed: tampered, truncated, another secret
	CodePlanExpired     = "PlanExpired"
	CodePlanOutdated    = "PlanOutdated" // the backup chosen is no longer the right one
)

// Plan is what a restore would do, worked out without doing it: the dry
// run's answer, and, signed, what a person approves. It is self-contained:
// approving sends it back, and nothing is stored.
type Plan struct {
	ID         string `json:"id,omitempty"`
	InstanceID string `json:"instanceId"`
	Region     string `json:"region"`
	Edition    string `json:"edition"` // as DescribeInstances told it; "unknown" if it was not read
	// InstanceType is DescribeInstances' Type when the plan was made: an
	// approval after the instance changed edition is refused.
	InstanceType int64     `json:"instanceType,omitempty"`
	BackupID     string    `json:"backupId"`
	BackupStart  time.Time `json:"backupStart"`
	Why          string    `json:"why"`       // why this backup
	Requested    string    `json:"requested"` // what was asked for: "latest" or a backup ID
	// Before bounds "latest": the newest restorable backup that started
	// before it. Nil: before the moment of restoring.
	Before       *time.Time `json:"before,omitempty"`
	SafetyBackup string     `json:"safetyBackup,omitempty"`
	// The rest of the intent, applied exactly as shown: the mode, the
	// clone's point in time, whether a safety backup comes first, and the
	// channel the request came by.
	Mode              string       `json:"mode"`
	CloneTime         *time.Time   `json:"cloneTime,omitempty"`
	TakesSafetyBackup bool         `json:"takesSafetyBackup"`
	Channel           Channel      `json:"channel"`
	Trigger           string       `json:"trigger"`
	Alarm             bool         `json:"alarm,omitempty"`
	Reason            string       `json:"reason,omitempty"` // why a restore at all
	Budget            *BudgetState `json:"budget,omitempty"`
	Created           time.Time    `json:"created,omitzero"`
	Expires           time.Time    `json:"expires,omitzero"`
	// Token is the signed plan: {"approve": "<token>"} through the webhook,
	// or ?approve=<token>, applies it.
	Token string `json:"token,omitempty"`
}

// PlanClaims is what the token signs: everything needed to apply the plan
// and to tell whether it still holds.
type PlanClaims struct {
	V           int    `json:"v"`
	ID          string `json:"id"`
	Instance    string `json:"i"`
	Region      string `json:"r"`
	Backup      string `json:"b"`
	Type        int64  `json:"it,omitempty"`
	BackupStart int64  `json:"bs"`
	Requested   string `json:"q"`
	Before      int64  `json:"bf,omitempty"`
	Trigger     string `json:"t"`
	Channel     string `json:"ch"`
	Mode        string `json:"m"`
	CloneTime   int64  `json:"ct,omitempty"`
	Safety      bool   `json:"s,omitempty"`
	Alarm       bool   `json:"a,omitempty"`
	Reason      string `json:"why,omitempty"`
	Created     int64  `json:"c"`
	Expires     int64  `json:"e"`
}

// Sign fills the plan's ID, creation, expiry and token. The ID comes from
// the event when it has an identity, so that the deliveries of one alarm
// offer one plan (and their messages share an id); else from the plan.
func (p *Plan) Sign(seal *Seal, eventKey string, now time.Time, ttl time.Duration) {
	p.Created = now.UTC().Truncate(time.Second)
	p.Expires = p.Created.Add(ttl)
	seed := eventKey + "|" + p.BackupID
	if eventKey == "" {
		seed = fmt.Sprintf("%s|%s|%d", p.InstanceID, p.BackupID, now.UnixNano())
	}
	sum := sha256.Sum256([]byte(seed))
	p.ID = "plan-" + hex.EncodeToString(sum[:8])
	c := PlanClaims{V: 1, ID: p.ID, Instance: p.InstanceID, Region: p.Region, Backup: p.BackupID, Type: p.InstanceType,
		BackupStart: p.BackupStart.Unix(), Requested: p.Requested, Trigger: p.Trigger, Channel: string(p.Channel),
		Mode: p.Mode, Safety: p.TakesSafetyBackup, Alarm: p.Alarm,
		Reason: p.Reason, Created: p.Created.Unix(), Expires: p.Expires.Unix()}
	if p.Before != nil {
		c.Before = p.Before.Unix()
	}
	if p.CloneTime != nil {
		c.CloneTime = p.CloneTime.Unix()
	}
	p.Token = seal.Token("plan", c)
}

// ParsePlan verifies a plan token against the function's own key and
// returns the plan it signs. A token this function did not sign with this
// key, or that was changed in any byte, is refused as Unauthenticated.
// Expiry is not judged here: applying an expired plan is refused.
func ParsePlan(seal *Seal, token string) (*Plan, error) {
	var c PlanClaims
	switch err := seal.Open("plan", token, &c); {
	case err == nil && c.V == 1:
	case errors.Is(err, sealpkg.ErrNoKey):
		return nil, refusePlan("approvals need RESTORE_SIGNING_KEY, with which the function signs its plans")
	case errors.Is(err, sealpkg.ErrForged):
		return nil, refusePlan("the plan's signature does not match it: changed since it was made, or not made by this function")
	case errors.Is(err, sealpkg.ErrMalformed):
		return nil, refusePlan("not a plan token (v1.<plan>.<signature>)")
	default:
		return nil, refusePlan("the plan is not readable")
	}
	p := &Plan{ID: c.ID, InstanceID: c.Instance, Region: c.Region, Edition: "unknown", InstanceType: c.Type, BackupID: c.Backup,
		BackupStart: time.Unix(c.BackupStart, 0).UTC(), Requested: c.Requested,
		Trigger: c.Trigger, Channel: Channel(c.Channel), Mode: c.Mode, TakesSafetyBackup: c.Safety, Alarm: c.Alarm, Reason: c.Reason,
		Created: time.Unix(c.Created, 0).UTC(), Expires: time.Unix(c.Expires, 0).UTC(), Token: strings.TrimSpace(token)}
	if c.CloneTime != 0 {
		ct := time.Unix(c.CloneTime, 0).UTC()
		p.CloneTime = &ct
	}
	if c.Type != 0 {
		p.Edition = edition.Of(c.Type).String()
	}
	if c.Before != 0 {
		b := time.Unix(c.Before, 0).UTC()
		p.Before = &b
	}
	// Signed by us, but checked all the same: it becomes a request.
	req := p.Request()
	if err := req.Validate(); err != nil {
		return nil, refusePlan("the plan's request is not valid: " + err.Error())
	}
	return p, nil
}

func refusePlan(msg string) error {
	return failure.E(failure.Unauthenticated, failure.Code(CodeInvalidApproval), failure.Field("approve"), msg)
}

// Request is the restore a plan applies: exactly its backup, mode, clone
// time and safety backup, whatever the settings say now.
func (p *Plan) Request() Request {
	r := Request{InstanceID: p.InstanceID, BackupID: p.BackupID, Region: p.Region}
	r.Mode, r.CloneTime = p.Mode, p.CloneTime
	if !r.Clone() && r.Mode != ModeUnswitch {
		safety := p.TakesSafetyBackup
		r.SafetyBackup = &safety
	}
	return r
}

// ApprovalIntent is the intent that applies an approved plan: exactly its
// backup, with the plan's creation as the event's time and its ID as the
// event's identity, so that approving twice restores once.
func ApprovalIntent(p *Plan, force bool) Intent {
	return Intent{
		Request:  p.Request(),
		Trigger:  p.Trigger,
		Channel:  p.Channel,
		Since:    p.Created,
		Key:      "plan:" + p.ID,
		Reason:   JoinReason(p.Reason, "approved plan "+p.ID),
		JobGuard: JobGuard{Alarm: p.Alarm, Force: force, Approved: p},
	}
}
