package restore_test

// The budget against DescribeTaskList's wire: the API's example answer
// read through internal/cloud, which judges each task's type code.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/config"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
)

var budgetCST = time.FixedZone("CST", 8*3600)

// taskListServer answers DescribeTaskList the way the API's example does
// (its fields, its "TaskType": "037" codes, China Standard Time without a
// zone), with the tasks given, and ignores the TaskTypes and time filters,
// as the API may: the function must judge each task itself. It records the
// filters it was sent.
func taskListServer(t *testing.T, tasks []map[string]any) (*cloud.Session, *[]map[string]any) {
	t.Helper()
	var requests []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		requests = append(requests, req)
		if a := r.Header.Get("X-TC-Action"); a != "DescribeTaskList" {
			http.Error(w, "unexpected action "+a, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"Response": map[string]any{
			"RequestId": "19a7fb07-8e21-4827-88dd-fee57f38e8cd", "Tasks": tasks, "TotalCount": len(tasks)}})
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	s := cloud.New(cloud.Options{RequestsPerSecond: 1000}).Session(config.Credentials{SecretID: "id", SecretKey: "key"}, u)
	return s, &requests
}

// exampleTask is one task as the DescribeTaskList example lists it.
func exampleTask(id int64, typ string, start time.Time) map[string]any {
	return map[string]any{
		"EndTime": start.Add(9 * time.Second).In(budgetCST).Format(time.DateTime), "InstanceId": "crs-opcazbrb",
		"InstanceName": "multidbccbugfix11153", "Progress": 1, "ProjectId": 0, "Result": 2,
		"StartTime": start.In(budgetCST).Format(time.DateTime), "TaskId": id, "TaskType": typ,
	}
}

func budgetService(s *cloud.Session, now time.Time, b intent.Budget) *restore.Service {
	return &restore.Service{Settings: restore.Settings{Region: "ap-guangzhou", AlarmBudget: b}, Redis: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Runtime: restore.Runtime{Now: func() time.Time { return now }, Sleep: restore.SleepContext, NewID: func() string { return "id" }}}
}

// The budget counts restores and clones only: the example's "037" tasks,
// an automatic backup ("017") and a manual backup ("012") in the window do
// not count; "010", FLOW_RESTOREBACKUP and a clone ("026", a billed
// instance made from a backup) do; a restore before the window does not.
func TestBudgetCountsRestoreAndCloneTasksInTheWindow(t *testing.T) {
	now := time.Date(2019, 11, 15, 15, 0, 0, 0, budgetCST)
	tasks := []map[string]any{
		exampleTask(42372, "037", time.Date(2019, 11, 15, 14, 25, 37, 0, budgetCST)),
		exampleTask(42371, "037", time.Date(2019, 11, 15, 14, 25, 16, 0, budgetCST)),
		exampleTask(42380, "017", time.Date(2019, 11, 15, 14, 40, 0, 0, budgetCST)),
		exampleTask(42381, "012", time.Date(2019, 11, 15, 14, 41, 0, 0, budgetCST)),
		exampleTask(42382, "026", time.Date(2019, 11, 15, 14, 42, 0, 0, budgetCST)),
		exampleTask(42360, "010", time.Date(2019, 11, 15, 13, 50, 0, 0, budgetCST)), // before the window
		exampleTask(42370, "010", time.Date(2019, 11, 15, 14, 10, 0, 0, budgetCST)),
		exampleTask(42375, "FLOW_RESTOREBACKUP", time.Date(2019, 11, 15, 14, 30, 0, 0, budgetCST)),
	}
	s, requests := taskListServer(t, tasks)
	job := intent.Intent{Request: intent.Request{InstanceID: "crs-opcazbrb", BackupID: "latest"}, Trigger: "apigw",
		Since: now.Add(-time.Minute), Key: "alarm:x", JobGuard: intent.JobGuard{Alarm: true}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	t.Run("spent", func(t *testing.T) {
		svc := budgetService(s, now, intent.Budget{Limit: 3, Window: time.Hour})
		res := intent.Result{InstanceID: "crs-opcazbrb", Region: "ap-guangzhou"}
		if !restore.OverBudget(svc, context.Background(), job, &res, true, log) {
			t.Fatalf("not held with two restores and a clone in the hour: %+v", res)
		}
		if res.Status != intent.Skipped || !res.Held || res.Error == nil || res.Error.Code != intent.CodeBudgetExceeded {
			t.Fatalf("held result %+v %+v", res, res.Error)
		}
		var ids []int64
		for _, u := range res.Budget.Used {
			ids = append(ids, u.TaskID)
		}
		if fmt.Sprint(ids) != "[42370 42375 42382]" {
			t.Errorf("counted tasks %v, want [42370 42375 42382]", ids)
		}
		// Frees up when the oldest of the three leaves the hour: 15:10 CST.
		if want := time.Date(2019, 11, 15, 15, 10, 0, 0, budgetCST); res.Budget.FreesAt == nil || !res.Budget.FreesAt.Equal(want) {
			t.Errorf("frees at %v, want %v", res.Budget.FreesAt, want)
		}
		if restore.MessageType(&res) != intent.EventTypePrefix+"held" {
			t.Errorf("message type %q", restore.MessageType(&res))
		}
	})
	t.Run("room left", func(t *testing.T) {
		svc := budgetService(s, now, intent.Budget{Limit: 4, Window: time.Hour})
		res := intent.Result{InstanceID: "crs-opcazbrb", Region: "ap-guangzhou"}
		if restore.OverBudget(svc, context.Background(), job, &res, true, log) {
			t.Fatalf("held with three of four used: %+v %+v", res, res.Error)
		}
	})
	t.Run("off", func(t *testing.T) {
		n := len(*requests)
		svc := budgetService(s, now, intent.Budget{})
		res := intent.Result{InstanceID: "crs-opcazbrb", Region: "ap-guangzhou"}
		if restore.OverBudget(svc, context.Background(), job, &res, true, log) || len(*requests) != n {
			t.Fatalf("budget off: held %+v, or the task list was read", res)
		}
	})
	// The window asked for is the budget's, in the API's time format.
	first := (*requests)[0]
	if first["BeginTime"] != "2019-11-15 14:00:00" || first["InstanceId"] != "crs-opcazbrb" {
		t.Errorf("request %v: want BeginTime 2019-11-15 14:00:00 for crs-opcazbrb", first)
	}
}

// Only non-restore tasks in the window: nothing used, nothing held.
func TestBudgetIgnoresBackupsAndOtherFlows(t *testing.T) {
	now := time.Date(2019, 11, 15, 15, 0, 0, 0, budgetCST)
	s, _ := taskListServer(t, []map[string]any{
		exampleTask(42372, "037", now.Add(-30*time.Minute)), exampleTask(42380, "017", now.Add(-20*time.Minute)),
		exampleTask(42381, "FLOW_AUTOBACKUP", now.Add(-10*time.Minute)), exampleTask(42382, "0100", now.Add(-5*time.Minute)),
	})
	svc := budgetService(s, now, intent.Budget{Limit: 1, Window: time.Hour})
	st, _, err := restore.ReadBudget(svc, context.Background(), intent.Intent{Request: intent.Request{InstanceID: "crs-opcazbrb"}, JobGuard: intent.JobGuard{Alarm: true}}, "ap-guangzhou", true)
	if err != nil || st == nil || len(st.Used) != 0 || st.FreesAt != nil {
		t.Fatalf("budget %+v, %v: want nothing used", st, err)
	}
}
