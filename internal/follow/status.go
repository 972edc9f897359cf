package follow

import (
	"context"
	"fmt"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
)

// State answers where the restore of a task, or the newest restore of an
// instance, stands, in whichever of the function's regions it is (the
// sweep follows them all). Only allowed instances are told about.
func (s *Follower) State(ctx context.Context, instanceID string, taskID int64) (intent.State, error) {
	if s.Refuse != nil {
		return intent.State{}, s.Refuse
	}
	if s.Settings.Region == "" {
		return intent.State{}, failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), failure.Field("TENCENTCLOUD_REGION"), "no region")
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
	return intent.State{}, first
}

func (s *Follower) stateIn(ctx context.Context, region, instanceID string, taskID int64) (intent.State, error) {
	lr := s.Redis
	// An instance or task outside the allow-list, a task of another
	// instance than the one named, and one that does not exist get the
	// same answer, naming only what was asked: the status tells nothing
	// of what the function may not touch.
	notFound := failure.E(failure.NotFound, failure.Code("RestoreNotFound"), failure.Field("instanceId"),
		"no restore matching this query that this function may tell of")
	if instanceID != "" && !s.Settings.AllowedInstance(instanceID) {
		return intent.State{}, notFound
	}
	var asked *intent.TaskInfo
	if taskID != 0 {
		info, err := restore.Retry(ctx, s.Service, func() (intent.TaskInfo, error) { return lr.DescribeTaskInfo(ctx, region, taskID) })
		switch {
		case failure.KindOf(err) == failure.NotFound || failure.KindOf(err) == failure.Invalid:
			return intent.State{}, notFound
		case err != nil:
			return intent.State{}, err
		case instanceID != "" && info.InstanceID != instanceID:
			return intent.State{}, notFound
		}
		instanceID, asked = info.InstanceID, &info
	}
	if instanceID == "" || !s.Settings.AllowedInstance(instanceID) {
		return intent.State{}, notFound
	}
	now := s.Now()
	world, err := s.Reader().Observe(ctx, region, instanceID, now.Add(-intent.SweepLookback), now.Add(time.Minute), s.Log)
	if err != nil {
		return intent.State{}, err
	}
	st, restoreTask, undo := intent.JudgeState(world, instanceID, asked, now, s.Settings.Seal)
	if len(st.NewInstanceIDs) > 0 {
		return st, nil
	}
	switch {
	case restoreTask != nil:
		info, err := restore.Retry(ctx, s.Service, func() (intent.TaskInfo, error) { return lr.DescribeTaskInfo(ctx, region, restoreTask.ID) })
		if err != nil {
			return intent.State{}, err
		}
		st.TaskStatus, st.TaskMessage = info.Status, info.Message
		st.Phase = intent.RestorePhase(info, st.InstanceStatus == 2)
	case undo != nil:
		_, seen := intent.FirstRestore(s.Settings.Seal, world.Instance(instanceID), world.Tasks[instanceID], *undo, world.Safety[instanceID])
		st.Phase = intent.JudgeSafety(*undo, seen, now, s.Settings.Life.SafetyDeadline).Phase()
	default:
		return intent.State{}, failure.E(failure.NotFound, failure.Code("RestoreNotFound"), failure.Field("instanceId"),
			fmt.Sprintf("no restore of %s in the last %s", instanceID, intent.SweepLookback))
	}
	return st, nil
}
