package main

import (
	"fmt"
	"regexp"
	"strings"

	"redis-restore/internal/config"
)

// Policy is a CAM policy document (version 2.0).
type Policy struct {
	Version   string      `json:"version"`
	Statement []Statement `json:"statement"`
}

// Statement is one statement of a Policy.
type Statement struct {
	Effect   string   `json:"effect"`
	Action   []string `json:"action"`
	Resource []string `json:"resource"`
}

// Audience is whose policy is generated.
type Audience string

const (
	// FunctionRole is the function's execution role: everything it calls,
	// the Redis calls too unless RESTORE_ROLE_ARN hands them to another role.
	FunctionRole Audience = "function"
	// AssumedRole is the role RESTORE_ROLE_ARN names, in the instances'
	// account: the Redis calls only.
	AssumedRole Audience = "assumed-role"
)

// Resource-level Redis actions the function calls ([TC 239/32846]).
var redisActions = []string{"redis:DescribeInstanceBackups", "redis:DescribeInstances", "redis:DescribeTaskList", "redis:RestoreInstance"}

// NotResourceLevel are the actions granted on "*": DescribeTaskInfo is in
// both of the Redis CAM page's lists (resource-level and not), so only "*"
// works for certain; it follows a restore's task.
var NotResourceLevel = []string{"redis:DescribeTaskInfo"}

var uinPattern = regexp.MustCompile(`^[0-9]{5,20}$`)
var roleARNPattern = regexp.MustCompile(`^qcs::cam::uin/([0-9]{5,20}):role(?:Name)?/[A-Za-z0-9_+=,.@-]+$`)

// Input is what the policy is generated from: the function's environment,
// read as the function reads it, and the account.
type Input struct {
	Config     *config.Config
	UIN        string // the account of the function, its queue and its secret
	CreatorUIN string // the secret's creator, default UIN
	Audience   Audience
}

// Generate builds the least-privilege policy for in. Every error names the
// setting at fault.
func Generate(in Input) (Policy, []string, error) {
	cfg := in.Config
	var notes []string
	switch {
	case cfg.Region == "":
		return Policy{}, nil, fmt.Errorf("TENCENTCLOUD_REGION (or -region): not set; CAM resources name a region")
	case !uinPattern.MatchString(in.UIN):
		return Policy{}, nil, fmt.Errorf("TENCENTCLOUD_UIN (or -uin): %q is not an account ID (digits)", in.UIN)
	}
	creator := in.CreatorUIN
	if creator == "" {
		creator = in.UIN
	}
	if !uinPattern.MatchString(creator) {
		return Policy{}, nil, fmt.Errorf("-creator-uin: %q is not an account ID (digits)", creator)
	}
	roleOwner := ""
	if cfg.RoleARN != "" {
		m := roleARNPattern.FindStringSubmatch(cfg.RoleARN)
		if m == nil {
			return Policy{}, nil, fmt.Errorf("RESTORE_ROLE_ARN: %q is not a role ARN such as qcs::cam::uin/200000000002:roleName/RedisRestoreRole", cfg.RoleARN)
		}
		roleOwner = m[1]
	}

	p := Policy{Version: "2.0"}
	redisStatements := func(uin string) {
		var res []string
		if len(cfg.AllowedInstances) == 0 {
			res = []string{fmt.Sprintf("qcs::redis:%s:uin/%s:instance/*", cfg.Region, uin)}
			notes = append(notes, "RESTORE_ALLOWED_INSTANCES is not set: the Redis actions are granted on every instance of the account")
		}
		for _, pattern := range cfg.AllowedInstances {
			res = append(res, fmt.Sprintf("qcs::redis:%s:uin/%s:instance/%s", cfg.Region, uin, pattern))
		}
		p.Statement = append(p.Statement,
			Statement{Effect: "allow", Action: redisActions, Resource: res},
			Statement{Effect: "allow", Action: NotResourceLevel, Resource: []string{"*"}})
		notes = append(notes, "not resource-level, granted on *: "+strings.Join(NotResourceLevel, ", "))
		if cfg.Life.SafetyBackup != "off" {
			// The safety backup before a restore (on by default for alarms
			// and timers): an operation on the instance, taken to be
			// resource-level like RestoreInstance (the CAM page does not
			// list it).
			p.Statement = append(p.Statement, Statement{Effect: "allow", Action: []string{"redis:ManualBackupInstance"}, Resource: res})
			// The mark of a restore started after a safety backup, on its
			// instance: what proves it the function's own when its end is
			// reported (internal/intent/provenance.go). The Tag API
			// authorises its actions on "*"; STS GetCallerIdentity, which
			// names the account in the tagged resource, needs no grant.
			p.Statement = append(p.Statement, Statement{Effect: "allow", Action: []string{"tag:TagResources"}, Resource: []string{"*"}})
			notes = append(notes, "safety backups: tag:TagResources granted on * (the mark that proves a restore the function's own)")
		}
		if cfg.Life.Verify {
			// The check of restored data reads what the backup held: the
			// instance's key count from Cloud Monitor (GetMonitorData),
			// with the credentials of the Redis calls. Cloud Monitor's
			// CAM page authorises reading other products' metrics on "*".
			p.Statement = append(p.Statement, Statement{Effect: "allow", Action: []string{"monitor:GetMonitorData"}, Resource: []string{"*"}})
			notes = append(notes, "RESTORE_VERIFY: monitor:GetMonitorData granted on * (the restored backup's key count)")
		}
		if cfg.Life.Clone {
			// Clone mode: CloneInstances is in neither of the CAM page's
			// lists, DescribeInstanceSecurityGroup in none: "*".
			// A drill's clone is released by DestroyPostpaidInstance: its
			// ID is not known in advance, so on "*" too.
			// The sweep follows clones and drills by their signed names in
			// the region's instance list: their IDs are not known in
			// advance, so DescribeInstances on "*" too.
			p.Statement = append(p.Statement, Statement{Effect: "allow", Action: []string{"redis:CloneInstances", "redis:DescribeInstanceSecurityGroup", "redis:DestroyPostpaidInstance", "redis:DescribeInstances"}, Resource: []string{"*"}})
			notes = append(notes, "RESTORE_CLONE: redis:CloneInstances, redis:DescribeInstanceSecurityGroup, redis:DestroyPostpaidInstance (a drill releases its clone) and redis:DescribeInstances (the sweep finds clones and drills by their signed names) granted on *; a clone is a new, billed instance")
		}
		if cfg.Life.CloneSwitch {
			// Clone and switch: the clone's ID is not known in advance,
			// and its switches are its own tasks.
			actions := []string{"redis:CloneInstances", "redis:DescribeInstanceSecurityGroup", "redis:DescribeInstances", "redis:DescribeTaskList", "redis:SwitchInstanceVip"}
			note := "RESTORE_CLONE_SWITCH: redis:CloneInstances, DescribeInstanceSecurityGroup, DescribeInstances, DescribeTaskList and SwitchInstanceVip granted on *: the clone's ID is not known in advance; the switch swaps the instance's address with it"
			if cfg.Life.SwitchRetention > 0 || cfg.Life.SwitchReleaseUnverified {
				// The instance no longer serving after the retention, or
				// a clone that did not verify, is released: either may
				// be the clone, whose ID is not known in advance.
				actions = append(actions, "redis:DestroyPostpaidInstance")
				note += "; redis:DestroyPostpaidInstance on * too: RESTORE_SWITCH_RETENTION or RESTORE_SWITCH_UNVERIFIED=release releases a pay-as-you-go instance, the old one or the clone"
			} else {
				note += "; nothing is released (RESTORE_SWITCH_RETENTION 0, RESTORE_SWITCH_UNVERIFIED keep), so redis:DestroyPostpaidInstance is not granted for it"
			}
			p.Statement = append(p.Statement, Statement{Effect: "allow", Action: actions, Resource: []string{"*"}})
			notes = append(notes, note)
		}
	}

	if in.Audience == AssumedRole {
		if roleOwner == "" {
			return Policy{}, nil, fmt.Errorf("RESTORE_ROLE_ARN: not set, so there is no assumed role to write a policy for")
		}
		redisStatements(roleOwner)
		notes = append(notes, "attach to "+cfg.RoleARN+"; its trust policy must let the function's role assume it")
		return p, notes, nil
	}

	if roleOwner == "" {
		redisStatements(in.UIN)
	} else {
		notes = append(notes, "the Redis actions belong to "+cfg.RoleARN+": run with -for assumed-role for its policy")
	}
	switch {
	case cfg.Queue != "" && cfg.Topic != "":
		return Policy{}, nil, fmt.Errorf("RESTORE_TOPIC: both RESTORE_QUEUE and RESTORE_TOPIC are set: set one")
	case cfg.Queue != "":
		p.Statement = append(p.Statement, Statement{Effect: "allow", Action: []string{"tdmq:SendCmqMsg"},
			Resource: []string{fmt.Sprintf("qcs::tdmq:%s:uin/%s:queue/%s", cfg.Region, in.UIN, cfg.Queue)}})
	case cfg.Topic != "":
		p.Statement = append(p.Statement, Statement{Effect: "allow", Action: []string{"tdmq:PublishCmqMsg"},
			Resource: []string{fmt.Sprintf("qcs::tdmq:%s:uin/%s:topic/%s", cfg.Region, in.UIN, cfg.Topic)}})
	default:
		return Policy{}, nil, fmt.Errorf("RESTORE_QUEUE: neither RESTORE_QUEUE nor RESTORE_TOPIC is set")
	}
	if cfg.QueueAPI == config.QueueAPIDataflow {
		// TDMQ CMQ's CAM page lists no action of the data flow's own: its
		// sends are granted as the cloud API's, on the same queue or topic
		// (our reading, docs/fleet.md). A data flow that answers 4000
		// "(10461) no cam authentication" says otherwise.
		notes = append(notes, "RESTORE_QUEUE_API=dataflow: the data flow's SendMessage/PublishMessage are granted as tdmq:SendCmqMsg/tdmq:PublishCmqMsg on the queue or topic; TDMQ CMQ's CAM page names no data flow action, so check the first send (docs/fleet.md)")
	}
	if cfg.PasswordSecret != "" {
		ref, err := config.ParseSecretRef(cfg.PasswordSecret)
		if err != nil {
			return Policy{}, nil, err
		}
		actions := []string{"ssm:GetSecretValue"}
		if ref.Version == "" {
			// The newest version is found by listing them.
			actions = append(actions, "ssm:ListSecretVersionIds")
		}
		p.Statement = append(p.Statement, Statement{Effect: "allow", Action: actions,
			Resource: []string{fmt.Sprintf("qcs::ssm:%s:uin/%s:secret/creatorUin/%s/%s", cfg.Region, in.UIN, creator, ref.Name)}})
	}
	if cfg.RoleARN != "" {
		p.Statement = append(p.Statement, Statement{Effect: "allow", Action: []string{"sts:AssumeRole"}, Resource: []string{cfg.RoleARN}})
	}
	// An HTTP call hands its restore to the function's own asynchronous
	// invocation (RESTORE_HANDOFF), and a fleet request hands out its
	// members and its watch the same way, whatever that setting says
	// (platform-2026.md §6: resource-level).
	p.Statement = append(p.Statement, Statement{Effect: "allow", Action: []string{"scf:InvokeFunction"},
		Resource: []string{fmt.Sprintf("qcs::scf:%s:uin/%s:namespace/%s/function/%s", cfg.Region, in.UIN, cfg.Namespace, cfg.FunctionName)}})
	return p, notes, nil
}
