package cloud

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"

	"redis-restore/internal/chinatime"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
)

// redis is a copy of the session's Redis client of a region: its calls
// go through call, not through the product client's methods (see Clients).
func (s *Session) redis(region string) *common.Client {
	c := *s.cached("redis", region, func() *common.Client {
		c, _ := redis.NewClient(s.cred, region, s.profile())
		s.prepare(&c.Client)
		return &c.Client
	})
	return &c
}

// call waits for the action's pace (pace.go), sends, and lets the pace
// learn from the answer.
func (s *Session) call(ctx context.Context, c *common.Client, action string, req tchttp.Request, resp tchttp.Response) error {
	p := s.clients.pacerFor(ctx, action)
	if err := p.lim.Wait(ctx); err != nil {
		return failure.E(failure.Transient, failure.Code(failure.CodeDeadlineExceeded), action+": no time left to wait for the rate limit", err)
	}
	if check := restore.SendCheck(ctx); check != nil {
		// The caller's last look, after the wait (restore.withSendCheck).
		if err := check(); err != nil {
			return err
		}
	}
	err := c.Send(req, resp)
	p.observe(err, time.Now())
	return classify(action, err)
}

// taskID decodes the TaskId as a JSON number or as a string of digits:
// RestoreInstance's documented example answers "6954227", on which the
// SDK's typed response fails after the restore has been accepted.
type taskID int64

func (t *taskID) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		return nil
	}
	s := strings.Trim(string(data), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("TaskId %q is not an integer", s)
	}
	*t = taskID(n)
	return nil
}

// restoreResponse replaces the SDK's RestoreInstanceResponse for the one
// field whose type the API and its documentation disagree on.
type restoreResponse struct {
	*tchttp.BaseResponse
	Response *struct {
		TaskID    *taskID `json:"TaskId"`
		RequestID string  `json:"RequestId"`
	} `json:"Response"`
}

// task is the answer's TaskId and RequestId. An answer without a usable
// TaskId is no proof that nothing started: the caller looks for the task
// before it says anything.
func (r *restoreResponse) task(action string) (int64, string, error) {
	p := r.Response
	if p == nil || p.TaskID == nil || *p.TaskID <= 0 {
		rid := ""
		if p != nil {
			rid = p.RequestID
		}
		return 0, rid, failure.E(failure.Upstream, failure.Code(failure.CodeMissingTaskID), action+" answered without a TaskId")
	}
	return int64(*p.TaskID), p.RequestID, nil
}

// RestoreInstance starts a restore and returns its TaskId.
func (s *Session) RestoreInstance(ctx context.Context, region, instanceID, backupID, password string) (int64, string, error) {
	req := redis.NewRestoreInstanceRequest()
	req.InstanceId = common.StringPtr(instanceID)
	req.BackupId = common.StringPtr(backupID)
	if password != "" {
		req.Password = common.StringPtr(password)
	}
	req.SetContext(ctx)
	resp := &restoreResponse{BaseResponse: &tchttp.BaseResponse{}}
	if err := s.call(ctx, s.redis(region), "RestoreInstance", req, resp); err != nil {
		return 0, "", err
	}
	return resp.task("RestoreInstance")
}

// DescribeInstanceBackups lists one page of an instance's backups that
// started within [begin, end] (at most 30 days apart).
func (s *Session) DescribeInstanceBackups(ctx context.Context, region, instanceID string, begin, end time.Time, limit, offset int64) (intent.BackupPage, error) {
	req := redis.NewDescribeInstanceBackupsRequest()
	if instanceID != "" { // "": every instance's, for the sweep
		req.InstanceId = common.StringPtr(instanceID)
	}
	req.BeginTime = cloudTimePtr(begin)
	req.EndTime = cloudTimePtr(end)
	req.Limit = common.Int64Ptr(limit)
	req.Offset = common.Int64Ptr(offset)
	req.SetContext(ctx)
	resp := redis.NewDescribeInstanceBackupsResponse()
	if err := s.call(ctx, s.redis(region), "DescribeInstanceBackups", req, resp); err != nil {
		return intent.BackupPage{}, err
	}
	var page intent.BackupPage
	if resp.Response == nil {
		return page, nil
	}
	if resp.Response.TotalCount != nil {
		page.Total = *resp.Response.TotalCount
	}
	for _, b := range resp.Response.BackupSet {
		if b == nil || b.BackupId == nil {
			continue
		}
		bk := intent.Backup{ID: *b.BackupId, Status: deref(b.Status), Locked: deref(b.Locked) != 0,
			Type: deref(b.BackupType), Remark: deref(b.Remark), InstanceID: deref(b.InstanceId)}
		var err error
		if bk.StartTime, err = parseCloudTime(b.StartTime); err != nil {
			return page, failure.E(failure.Upstream, failure.Code("BadBackupTime"), fmt.Sprintf("backup %s: %v", bk.ID, err))
		}
		bk.EndTime, _ = parseCloudTime(b.EndTime)
		page.Backups = append(page.Backups, bk)
	}
	return page, nil
}

// DescribeRestoreTasks lists the instance's restore tasks that started
// within [begin, end], every page, running ones included. The TaskTypes
// filter is sent, but a task counts only if its own type says restore
// (taskKind): if the API ignores the filter, an automatic backup that
// started after an alarm must not pass for the alarm's restore.
func (s *Session) DescribeRestoreTasks(ctx context.Context, region, instanceID string, begin, end time.Time) ([]intent.Task, error) {
	all, err := s.describeTaskList(ctx, region, instanceID, []string{TaskTypeRestore}, begin, end)
	if err != nil {
		return nil, err
	}
	var out []intent.Task
	for _, t := range all {
		if t.Kind == intent.RestoreTask {
			out = append(out, t)
		}
	}
	return out, nil
}

// cloudTimePtr formats t as the API wants it: China Standard Time, no zone.
func cloudTimePtr(t time.Time) *string {
	return common.StringPtr(chinatime.Format(t))
}

func parseCloudTime(s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, fmt.Errorf("no time")
	}
	t, err := chinatime.Parse(*s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not in the API's format", *s)
	}
	return t, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
