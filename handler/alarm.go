package handler

import (
	"fmt"
	"sort"
	"strings"

	"redis-restore/events"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
	"redis-restore/internal/restore"
)

// alarmJob turns a Cloud Monitor alarm into a restore of the newest backup
// that started before the trouble began (less a margin). It returns a
// non-empty skip reason when the alarm asks for nothing, and an error when
// the alarm cannot be understood.
func alarmJob(a *events.AlarmNotification, cfg *config.Config, trigger string) (restore.Job, string, error) {
	instanceID := a.InstanceID()
	policy := a.AlarmPolicyInfo.PolicyID
	switch {
	case instanceID == "":
		return restore.Job{}, fmt.Sprintf("alarm of policy %q names no Redis instance in its dimensions (%s)", policy, dimensionNames(a)), nil
	case !a.Firing():
		return restore.Job{Request: events.RestoreRequest{InstanceID: instanceID}}, fmt.Sprintf("alarm of policy %q on %s is resolved (alarmStatus %q)", policy, instanceID, string(a.AlarmStatus)), nil
	case !cfg.PolicyWanted(policy):
		return restore.Job{Request: events.RestoreRequest{InstanceID: instanceID}}, fmt.Sprintf("alarm policy %q is not in RESTORE_ALARM_POLICIES", policy), nil
	}
	first, err := a.FirstOccur()
	if err != nil {
		return restore.Job{}, "", failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), failure.Field("firstOccurTime"), err.Error())
	}
	before := first.Add(-cfg.AlarmMargin)
	req := events.RestoreRequest{
		InstanceID: instanceID,
		BackupID:   events.LatestBackup,
		Region:     a.Region(),
		Before:     &before,
	}
	if err := req.Validate(); err != nil {
		return restore.Job{}, "", err
	}
	return restore.Job{
		Request: req,
		Trigger: trigger,
		Since:   first,
		Key:     "alarm:" + instanceID + ":" + policy + ":" + first.UTC().Format("20060102T150405Z"),
		// Alarms fall under RESTORE_BUDGET: a flapping alarm is a new event
		// at every firing.
		JobGuard: restore.JobGuard{Alarm: true},
		Reason: fmt.Sprintf("alarm %q (%s) on %s firing since %s China Standard Time, less a margin of %s",
			policy, a.What(), instanceID, a.FirstOccurTime, cfg.AlarmMargin),
	}, "", nil
}

func dimensionNames(a *events.AlarmNotification) string {
	var names []string
	for k := range a.AlarmObjInfo.Dimensions {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
