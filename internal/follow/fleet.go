package follow

import (
	"context"
	"fmt"
	"time"

	"redis-restore/internal/intent"
	"redis-restore/internal/uuid"
)

// WatchFleet looks at a fleet once: it judges every member in the region's
// world, sends the step's progress and, when every member ended (or the
// watch's life did), the fleet's one completed message. done says whether
// the watch ends here. A message that could not be sent is an error: the
// platform retries the step, whose messages keep their ids.
func (s *Follower) WatchFleet(ctx context.Context, fw intent.FleetWatch) (intent.FleetCounts, bool, error) {
	log := s.Log.With("fleetId", fw.ID, "step", fw.Step)
	now := s.Now()
	if fw.ID == "" {
		return s.watchIntent(ctx, fw, log)
	}
	w, err := s.Reader().Observe(ctx, fw.Region, "", fw.Since.Truncate(time.Second), now.Add(time.Minute), log)
	if err != nil {
		return intent.FleetCounts{}, false, err
	}
	if now.Sub(fw.Began()) >= intent.FleetStartWithin+intent.FleetResendWindow {
		for _, id := range fw.Members {
			// Past any member's time to start, a member out of sight (out
			// of the allow-list since, or gone) whose tasks the world has
			// not read, where CAM refuses the region-wide lists, would be
			// counted never started: it is read by its ID, and judged by
			// its own task. A read that fails leaves it as it was (the
			// log says so), never the step: one member's error must not
			// hold the fleet's messages.
			if w.Instance(id).ID != "" || len(w.Tasks[id]) > 0 {
				continue
			}
			if err := s.Reader().Add(ctx, &w, fw.Region, id, fw.Since.Truncate(time.Second), now.Add(time.Minute)); err != nil {
				log.Warn("fleet.memberUnread", "detail", "a member out of sight could not be read by its ID: judged without its tasks", "instanceId", id, "error", err.Error())
			}
		}
	}
	c := intent.JudgeWatch(w, fw, now, s.Settings.Life.SafetyDeadline, s.Settings.Seal)
	done := c.AllEnded() || now.Sub(fw.Began()) >= intent.FleetWatchLife
	if done && !c.AllEnded() {
		c.NotEnded = c.Accepted + c.Running
	}
	data := map[string]any{"fleetId": fw.ID, "region": fw.Region, "step": fw.Step, "counts": c}
	if err := s.FleetMessage(ctx, "fleet.progress", uuid.FromName(fmt.Sprintf("fleet/%s/progress/%d", fw.ID, fw.Step)), fw.Trigger, fw.Region, data, log); err != nil {
		return c, false, err
	}
	if !done {
		return c, false, nil
	}
	data = map[string]any{"fleetId": fw.ID, "region": fw.Region, "status": "completed", "counts": c, "members": c.Members}
	err = s.FleetMessage(ctx, "fleet.completed", uuid.FromName("fleet/"+fw.ID+"/completed"), fw.Trigger, fw.Region, data, log)
	return c, err == nil, err
}
