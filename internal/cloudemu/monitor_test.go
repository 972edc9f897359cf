package cloudemu_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"redis-restore/internal/cloudemu"
)

// monitorData asks GetMonitorData through the SDK's CommonClient (signed
// with cred) for the Keys of one instance, named by the dimension dim.
func (v *env) monitorData(cred common.CredentialIface, dim, instanceID string, period int64, start, end time.Time) (map[string]any, error) {
	return v.commonWith(cred, "monitor", "2018-07-24", "GetMonitorData", map[string]any{
		"Namespace": "QCE/REDIS_MEM", "MetricName": "Keys", "Period": period,
		"Instances": []any{map[string]any{"Dimensions": []any{map[string]any{"Name": dim, "Value": instanceID}}}},
		"StartTime": start.Format(time.RFC3339), "EndTime": end.Format(time.RFC3339),
	})
}

// points reads the one DataPoint of an answer as timestamp → value.
func points(t *testing.T, answer map[string]any) map[int64]float64 {
	t.Helper()
	dps := answer["DataPoints"].([]any)
	if len(dps) != 1 {
		t.Fatalf("%d DataPoints, want 1", len(dps))
	}
	dp := dps[0].(map[string]any)
	ts, vs := dp["Timestamps"].([]any), dp["Values"].([]any)
	if len(ts) != len(vs) {
		t.Fatalf("%d Timestamps, %d Values", len(ts), len(vs))
	}
	out := map[int64]float64{}
	for i := range ts {
		out[int64(ts[i].(float64))] = vs[i].(float64)
	}
	return out
}

// GetMonitorData answers, through the SDK with a checked signature, an
// instance's key count as its real redis-server had it when each backup
// was taken: at the backup's StartTime, in the period's bucket, as far
// back as the cloud keeps that period; a later copy over the backup does
// not rewrite the history; the period's tick samples the live count.
func TestGetMonitorDataAnswersTheKeyCountAtTheBackupsTime(t *testing.T) {
	v := newDataEnv(t)
	ctx := context.Background()
	const id = "crs-monitor01"
	now := v.clock.Now()
	hourAgo, longAgo := now.Add(-time.Hour), now.Add(-16*24*time.Hour)
	v.e.AddInstance(cloudemu.Instance{ID: id, Region: v.d.Region, Status: 2})
	v.e.AddBackup(id, cloudemu.Backup{ID: "b-recent", StartTime: hourAgo, Status: 2})
	v.e.AddBackup(id, cloudemu.Backup{ID: "b-old", StartTime: longAgo, Status: 2})
	addr, err := v.e.RedisAddr(id)
	if err != nil {
		t.Fatal(err)
	}
	c := v.dial(addr, "")
	write := func(n int) {
		for i := range n {
			if err := c.Set(ctx, fmt.Sprintf("k:%d:%d", time.Now().UnixNano(), i), "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(42)
	if err := v.e.SnapshotBackup(id, "b-recent"); err != nil {
		t.Fatal(err)
	}
	write(8)
	if err := v.e.SnapshotBackup(id, "b-old"); err != nil {
		t.Fatal(err)
	}
	write(100)
	if err := v.e.SnapshotBackup(id, "b-recent"); err != nil { // its content replaced: the history stays
		t.Fatal(err)
	}

	bucket := func(at time.Time, period int64) int64 {
		step := period
		return (at.Unix()+8*3600)/step*step - 8*3600
	}
	a, err := v.monitorData(v.cred(), "instanceid", id, 60, hourAgo.Add(-5*time.Minute), hourAgo.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := points(t, a); len(got) != 1 || got[bucket(hourAgo, 60)] != 42 {
		t.Fatalf("60 s points around the recent backup: %v, want {%d: 42}", got, bucket(hourAgo, 60))
	}
	if a["Period"] != float64(60) || a["MetricName"] != "Keys" || !strings.HasSuffix(a["StartTime"].(string), "+08:00") {
		t.Errorf("answer %v", a)
	}

	// 16 days back: past the 15 days the cloud keeps 60 s points, within
	// the 31 of 300 s points.
	a, err = v.monitorData(v.cred(), "instanceid", id, 60, longAgo.Add(-5*time.Minute), longAgo.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := points(t, a); len(got) != 0 {
		t.Errorf("60 s points 16 days back: %v, want none (kept 15 days)", got)
	}
	a, err = v.monitorData(v.cred(), "instanceid", id, 300, longAgo.Add(-time.Hour), longAgo.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := points(t, a); len(got) != 1 || got[bucket(longAgo, 300)] != 50 {
		t.Errorf("300 s points 16 days back: %v, want {%d: 50}", got, bucket(longAgo, 300))
	}

	// The dimension spelt otherwise names nothing: no values, as the cloud.
	a, err = v.monitorData(v.cred(), "InstanceId", id, 60, hourAgo.Add(-5*time.Minute), hourAgo.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := points(t, a); len(got) != 0 {
		t.Errorf("dimension InstanceId: %v, want no values", got)
	}

	// The tick: a minute on, the next request samples the live count.
	v.clock.Advance(time.Minute)
	a, err = v.monitorData(v.cred(), "instanceid", id, 5, v.clock.Now().Add(-10*time.Second), v.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := points(t, a); got[bucket(v.clock.Now(), 5)] != 150 {
		t.Errorf("5 s points of the last 10 s: %v, want the live 150 at %d", got, bucket(v.clock.Now(), 5))
	}

	// A request signed with another key is refused before it is read.
	_, err = v.monitorData(common.NewTokenCredential(v.d.SecretID, "not-the-key", v.d.Token), "instanceid", id, 60, hourAgo, now)
	wantCode(t, err, "AuthFailure.SignatureFailure")
}

// What GetMonitorData refuses, by name.
func TestGetMonitorDataRefusesWhatTheCloudRefuses(t *testing.T) {
	v := newEnv(t)
	now := v.clock.Now()
	ask := func(params map[string]any) error {
		p := map[string]any{
			"Namespace": "QCE/REDIS_MEM", "MetricName": "Keys", "Period": 60,
			"Instances": []any{map[string]any{"Dimensions": []any{map[string]any{"Name": "instanceid", "Value": v.d.InstanceID}}}},
			"StartTime": now.Add(-time.Hour).Format(time.RFC3339), "EndTime": now.Format(time.RFC3339),
		}
		for k, x := range params {
			if x == nil {
				delete(p, k)
			} else {
				p[k] = x
			}
		}
		_, err := v.common("monitor", "2018-07-24", "GetMonitorData", p)
		return err
	}
	if err := ask(nil); err != nil {
		t.Fatalf("a sound request: %v", err)
	}
	eleven := []any{}
	for range 11 {
		eleven = append(eleven, map[string]any{"Dimensions": []any{map[string]any{"Name": "instanceid", "Value": v.d.InstanceID}}})
	}
	for _, c := range []struct {
		name   string
		params map[string]any
		code   string
		names  string
	}{
		{"no namespace", map[string]any{"Namespace": nil}, "MissingParameter", "Namespace"},
		{"another metric", map[string]any{"MetricName": "CpuUtil"}, "InvalidParameterValue", "CpuUtil"},
		{"a period the metric has not", map[string]any{"Period": 61}, "InvalidParameterValue", "Period"},
		{"eleven instances", map[string]any{"Instances": eleven}, "InvalidParameterValue", "Instances"},
		{"more than 1,440 points", map[string]any{"Period": 5, "StartTime": now.Add(-3 * time.Hour).Format(time.RFC3339)}, "InvalidParameterValue", "1440"},
		{"an end before the start", map[string]any{"EndTime": now.Add(-2 * time.Hour).Format(time.RFC3339)}, "InvalidParameterValue", "EndTime"},
		{"a time that is none", map[string]any{"StartTime": "yesterday"}, "InvalidParameterValue", "StartTime"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := ask(c.params)
			wantCode(t, err, c.code)
			if !strings.Contains(message(err), c.names) {
				t.Errorf("message %q does not name %s", message(err), c.names)
			}
		})
	}
}

// The account's limit: 20 GetMonitorData a second per principal.
func TestGetMonitorDataHasItsAccountLimit(t *testing.T) {
	v := newEnv(t)
	v.e.LimitAccount()
	now := v.clock.Now()
	refused := 0
	for range 25 {
		if _, err := v.monitorData(v.cred(), "instanceid", v.d.InstanceID, 60, now.Add(-time.Hour), now); code(t, err) == "RequestLimitExceeded" {
			refused++
		}
	}
	if refused != 5 || v.e.Throttled()["GetMonitorData"] != 5 {
		t.Fatalf("%d of 25 refused in one second of a frozen clock (throttled %v), want 5", refused, v.e.Throttled())
	}
}
