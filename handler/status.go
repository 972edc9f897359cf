package handler

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"redis-restore/events"
	"redis-restore/internal/follow"
)

// status answers an authenticated GET on the webhook path:
// ?taskId=<restore or safety backup task> or ?instanceId=<crs-...>, with
// where that restore stands (phase, TaskIds, times, undo, new instances),
// read from the cloud at the time of asking.
func (inv *invocation) status(ctx context.Context, req *events.APIGatewayRequest) events.APIGatewayResponse {
	q := func(name string) string {
		v, _ := query(req, name)
		return strings.TrimSpace(v)
	}
	instanceID, rawTask := q("instanceId"), q("taskId")
	var taskID int64
	if rawTask != "" {
		n, err := strconv.ParseInt(rawTask, 10, 64)
		if err != nil || n <= 0 {
			return inv.statusError(invalid("taskId", "must be a positive integer"))
		}
		taskID = n
	}
	if instanceID == "" && taskID == 0 {
		return inv.statusError(invalid("taskId", "ask with ?taskId=<TaskId> or ?instanceId=<crs-...>"))
	}
	if instanceID != "" && !strings.HasPrefix(instanceID, "crs-") {
		return inv.statusError(invalid("instanceId", "is not a Redis instance ID (crs-xxxxxxxx)"))
	}
	st, err := (&follow.Follower{Service: inv.service(ctx)}).State(ctx, instanceID, taskID)
	if err != nil {
		return inv.statusError(err)
	}
	inv.log.Info("status.answered", "detail", "status answered", "instanceId", st.InstanceID, "phase", string(st.Phase), "taskId", st.TaskID)
	return jsonResponse(http.StatusOK, st)
}

func (inv *invocation) statusError(err error) events.APIGatewayResponse {
	results := inv.requestFailure(err)
	inv.log.Warn("status.refused", "detail", "status refused", "code", results[0].Error.Code, "error", results[0].Error.Message)
	return inv.gatewayResponse(results)
}
