package restore

import (
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
// instance, stands, in whichever of the function's regions it is (the
// sweep follows them all). Only allowed instances are told about.
func (s *Service) State(ctx context.Context, instanceID string, taskID int64) (State, error) {
	if s.Refuse != nil {
		return State{}, s.Refuse
	}
	if s.Settings.Region == "" {
		return State{}, failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), failure.Field("TENCENTCLOUD_REGION"), "no region")
	}
	regions := s.Settings.Regions
	if len(regions) == 0 {
		regions = []string{s.Settings.Region}
	}
	var first error
	for _, region := range regions {
		st, err := s.stateIn(ctx, region, instanceID, taskID)
		if failure.KindOf(err) != failure.NotFound {
			return st, err
		}
		if first == nil {
			first = err
		}
	}
	return State{}, first
}

func (s *Service) stateIn(ctx context.Context, region, instanceID string, taskID int64) (State, error) {
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
	world, err := s.observe(ctx, region, instanceID, now.Add(-sweepLookback), now.Add(time.Minute), s.Log)
	if err != nil {
		return State{}, err
	}
	st, restoreTask, undo := judgeState(world, instanceID, asked, now, s.Settings.Seal)
	if len(st.NewInstanceIDs) > 0 {
		return st, nil
	}
	switch {
	case restoreTask != nil:
		info, err := retry(ctx, s, func() (TaskInfo, error) { return lr.DescribeTaskInfo(ctx, region, restoreTask.ID) })
		if err != nil {
			return State{}, err
		}
		st.TaskStatus, st.TaskMessage = info.Status, info.Message
		st.Phase = restorePhase(info, st.InstanceStatus == 2)
	case undo != nil:
		_, seen := firstRestore(s.Settings.Seal, world.instance(instanceID), world.tasks[instanceID], *undo, world.safety[instanceID])
		st.Phase = judgeSafety(*undo, seen, now, s.Settings.Life.SafetyDeadline).phase()
	default:
		return State{}, failure.E(failure.NotFound, failure.Code("RestoreNotFound"), failure.Field("instanceId"),
			fmt.Sprintf("no restore of %s in the last %s", instanceID, sweepLookback))
	}
	return st, nil
}
