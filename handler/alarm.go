package handler

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"redis-restore/events"
	"redis-restore/internal/chinatime"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// alarmJob turns a Cloud Monitor alarm body into a restore of the newest
// backup that started before the trouble began (less a margin), or a
// skipped result when the alarm asks for nothing. Its error says why the
// alarm cannot be understood.
func (inv *invocation) alarmJob(b body, src source) (job, error) {
	if err := checkUniqueKeys(b.data); err != nil {
		return job{}, err
	}
	var a events.AlarmNotification
	if err := decodeFields(b.obj, &a, ""); err != nil {
		return job{}, failure.E(err, "alarm notification: "+failure.As(err).Message)
	}
	cfg := inv.cfg
	instanceID := a.InstanceID()
	policy := a.AlarmPolicyInfo.PolicyID
	skip := ""
	switch {
	case instanceID == "":
		skip = fmt.Sprintf("alarm of policy %q names no Redis instance in its dimensions (%s)", policy, dimensionNames(&a))
	case !a.Firing():
		skip = fmt.Sprintf("alarm of policy %q on %s is resolved (alarmStatus %q)", policy, instanceID, string(a.AlarmStatus))
	case !cfg.PolicyWanted(policy):
		skip = fmt.Sprintf("alarm policy %q is not in RESTORE_ALARM_POLICIES", policy)
	}
	if skip != "" {
		inv.log.Info("alarm.skipped", "detail", "alarm skipped", "instanceId", instanceID, "reason", skip)
		return job{decided: &intent.Result{InstanceID: instanceID, Status: intent.Skipped, Reason: skip}}, nil
	}
	first, err := firstOccur(&a)
	if err != nil {
		return job{}, err
	}
	// Never later than the alarm's arrival: a firstOccurTime in the
	// future must neither reach past the backups taken until now nor hide
	// this alarm's restore from its next delivery.
	before := inv.notAfterArrival(first).Add(-cfg.AlarmMargin)
	req := intent.Request{
		InstanceID: instanceID,
		BackupID:   intent.LatestBackup,
		Region:     a.Region(),
		Before:     &before,
	}
	if err := req.Validate(); err != nil {
		return job{}, err
	}
	j := intent.Intent{
		Request: req,
		Trigger: src.trigger,
		Channel: src.channel,
		Since:   inv.createdAt(first),
		Key:     alarmKey(instanceID, policy, first),
		// Alarms fall under RESTORE_BUDGET: a flapping alarm is a new event
		// at every firing.
		JobGuard: intent.JobGuard{Alarm: true},
		Reason: fmt.Sprintf("alarm %q (%s) on %s firing since %s China Standard Time, less a margin of %s",
			policy, a.What(), instanceID, a.FirstOccurTime, cfg.AlarmMargin),
	}
	inv.log.Info("alarm.accepted", "detail", "alarm accepted", "instanceId", instanceID, "reason", j.Reason)
	return job{Intent: j}, nil
}

// firstOccur is when the alarm first fired: Cloud Monitor writes it in
// China Standard Time, without a zone.
func firstOccur(a *events.AlarmNotification) (time.Time, error) {
	t, err := chinatime.Parse(a.FirstOccurTime)
	if err != nil {
		return time.Time{}, invalid("firstOccurTime", fmt.Sprintf("firstOccurTime: want \"2006-01-02 15:04:05\" (China Standard Time), got %q", failure.Truncate(a.FirstOccurTime)))
	}
	return t, nil
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
