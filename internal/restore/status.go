package restore

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"redis-restore/internal/failure"
)

// State is where a restore stands, read from the cloud: the answer to
// "where is my restore?".
type State struct {
	InstanceID         string     `json:"instanceId"`
	Phase              Phase      `json:"phase"`
	TaskID             int64      `json:"taskId,omitempty"` // the restore's task
	SafetyBackupTaskID int64      `json:"safetyBackupTaskId,omitempty"`
	UndoBackupID       string     `json:"undoBackupId,omitempty"`
	BackupID           string     `json:"backupId,omitempty"` // what is restored, where known
	NewInstanceIDs     []string   `json:"newInstanceIds,omitempty"`
	StartedAt          *time.Time `json:"startedAt,omitempty"`
	EndedAt            *time.Time `json:"endedAt,omitempty"`
	TaskStatus         string     `json:"taskStatus,omitempty"`
	TaskMessage        string     `json:"taskMessage,omitempty"`
	InstanceStatus     int64      `json:"instanceStatus"`
	Undo               string     `json:"undo,omitempty"`
}

// State answers where the restore of a task, or the newest restore of an
// instance, stands. Only allowed instances are told about.
func (s *Service) State(ctx context.Context, instanceID string, taskID int64) (State, error) {
	region := s.Settings.Region
	if s.Refuse != nil {
		return State{}, s.Refuse
	}
	if region == "" {
		return State{}, failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), failure.Field("TENCENTCLOUD_REGION"), "no region")
	}
	lr := s.Redis
	// An instance or task outside the allow-list, a task of another
	// instance than the one named, and one that does not exist get the
	// same answer, naming only what was asked: the status tells nothing
	// of what the function may not touch.
	notFound := failure.E(failure.NotFound, failure.Code("RestoreNotFound"), failure.Field("instanceId"),
		"no restore matching this query that this function may tell of")
	if instanceID != "" && !s.Settings.allowed(instanceID) {
		return State{}, notFound
	}
	var asked *TaskInfo
	if taskID != 0 {
		info, err := retry(ctx, s, func() (TaskInfo, error) { return lr.DescribeTaskInfo(ctx, region, taskID) })
		switch {
		case failure.KindOf(err) == failure.NotFound || failure.KindOf(err) == failure.Invalid:
			return State{}, notFound
		case err != nil:
			return State{}, err
		case instanceID != "" && info.InstanceID != instanceID:
			return State{}, notFound
		}
		instanceID, asked = info.InstanceID, &info
	}
	if instanceID == "" || !s.Settings.allowed(instanceID) {
		return State{}, notFound
	}
	now := s.Now()
	tasks, err := retry(ctx, s, func() ([]Task, error) {
		return lr.DescribeTasks(ctx, region, instanceID, now.Add(-sweepLookback), now.Add(time.Minute))
	})
	if err != nil {
		return State{}, err
	}
	safety, err := s.safetyBackups(ctx, region, instanceID, now.Add(-sweepLookback), now.Add(time.Minute))
	if err != nil {
		return State{}, err
	}
	all, err := retry(ctx, s, func() ([]Instance, error) { return lr.ListInstances(ctx, region) })
	if err != nil {
		return State{}, err
	}
	st := State{InstanceID: instanceID}
	var clones []Instance
	for _, in := range all {
		if in.ID == instanceID {
			st.InstanceStatus = in.Status
		}
		if src, ok := cloneSource(s.Settings.Seal, in.Name); ok && src == instanceID {
			clones = append(clones, in)
		}
	}

	// The restore task asked about, or the newest restore task, safety
	// backup or clone of the instance.
	var restoreTask *Task
	var newest time.Time
	for i, t := range tasks {
		if t.Kind != RestoreTask {
			continue
		}
		if asked != nil && t.ID == taskID || asked == nil && t.StartTime.After(newest) {
			restoreTask, newest = &tasks[i], t.StartTime
		}
	}
	var undo *SafetyBackup
	if asked != nil && restoreTask == nil {
		// The task asked about may be the safety backup's own.
		for _, t := range tasks {
			if t.ID == taskID && t.Kind == ManualBackupTask {
				if b, ok := safetyOfTask(t, safety); ok {
					undo = &b
				}
			}
		}
	} else {
		for i, b := range safety {
			if (restoreTask == nil || !b.StartTime.After(restoreTask.StartTime)) && (undo == nil || b.StartTime.After(undo.StartTime)) {
				undo = &safety[i]
			}
		}
	}
	if asked == nil {
		// A safety backup newer than the newest restore is a restore
		// waiting for it.
		if undo != nil && restoreTask != nil && undo.StartTime.After(restoreTask.StartTime) {
			restoreTask = nil
		}
		if restoreTask == nil && undo == nil && len(clones) > 0 {
			return cloneState(st, clones[0]), nil
		}
	}
	if undo != nil {
		st.UndoBackupID, st.BackupID, st.Undo = undo.ID, undo.Restores, UndoRequest(instanceID, undo.ID)
		if t, ok := manualTaskOf(tasks, *undo); ok {
			st.SafetyBackupTaskID = t.ID
		}
	}
	switch {
	case restoreTask != nil:
		info, err := retry(ctx, s, func() (TaskInfo, error) { return lr.DescribeTaskInfo(ctx, region, restoreTask.ID) })
		if err != nil {
			return State{}, err
		}
		st.TaskID, st.TaskStatus, st.TaskMessage = restoreTask.ID, info.Status, info.Message
		started := restoreTask.StartTime
		st.StartedAt = &started
		if !restoreTask.EndTime.IsZero() {
			ended := restoreTask.EndTime
			st.EndedAt = &ended
		}
		switch {
		case !info.Ended() || info.Succeeded() && st.InstanceStatus != 2:
			st.Phase = PhaseRestoring
		case info.Succeeded():
			st.Phase = PhaseSucceeded
		default:
			st.Phase = PhaseFailed
		}
	case undo != nil:
		started := undo.StartTime
		st.StartedAt = &started
		st.Phase = PhaseSafetyBackup
		if undo.Gone() {
			st.Phase = PhaseFailed
		}
		if t, ok := manualTaskOf(tasks, *undo); ok && t.Result == 4 && !undo.Done() {
			st.Phase = PhaseFailed
		}
		// Done, and never restored within the deadline: it never will be
		// (the sweep reports it expired).
		if doneAt := cmp.Or(undo.EndTime, undo.StartTime); undo.Done() && now.Sub(doneAt) >= s.Settings.Life.SafetyDeadline {
			st.Phase = PhaseExpired
		}
	default:
		return State{}, failure.E(failure.NotFound, failure.Code("RestoreNotFound"), failure.Field("instanceId"),
			fmt.Sprintf("no restore of %s in the last %s", instanceID, sweepLookback))
	}
	return st, nil
}

func manualTaskOf(tasks []Task, b SafetyBackup) (Task, bool) {
	for _, t := range tasks {
		if t.Kind == ManualBackupTask && sameStart(b, t) {
			return t, true
		}
	}
	return Task{}, false
}

func cloneState(st State, c Instance) State {
	st.NewInstanceIDs = []string{c.ID}
	switch {
	case c.Status == 2:
		st.Phase = PhaseSucceeded
	case c.Status < 0:
		st.Phase = PhaseFailed
	default:
		st.Phase = PhaseCloning
	}
	return st
}
