package cloud

import (
	"context"
	"fmt"
	"time"

	"redis-restore/internal/failure"
)

// Cloud Monitor has no product module this machine's module proxy serves
// (`go get .../tencentcloud/monitor` finds none): GetMonitorData goes
// through the common module's CommonClient, like SSM.
const (
	monitorService = "monitor"
	monitorVersion = "2018-07-24"
	// The Redis instance's key count: namespace, metric and dimension of
	// Tencent's "Monitoring Metrics (Memory Edition, 5-Second)". The
	// dimension is lower case: "InstanceId" names nothing, and the cloud
	// answers no values (its FAQ on empty GetMonitorData answers).
	keysNamespace = "QCE/REDIS_MEM"
	keysMetric    = "Keys"
	keysDimension = "instanceid"
	// keysLookBack is how many periods before the time asked for are
	// read: a few missing points (the cloud's series have gaps) still
	// leave the one before.
	keysLookBack = 10
)

// keysPeriods are the periods of the Keys metric with how long the cloud
// keeps each ("Using API to Pull Tencent Cloud Service Monitoring Data":
// 1 minute 15 days, 5 minutes 31, 1 hour 93, 1 day 186), finest first.
// The 5-second period is kept one day only, and a backup is rarely that
// recent when it is restored: a minute is the finest asked for.
var keysPeriods = []struct {
	period, kept time.Duration
}{
	{time.Minute, 15 * 24 * time.Hour},
	{5 * time.Minute, 31 * 24 * time.Hour},
	{time.Hour, 93 * 24 * time.Hour},
	{24 * time.Hour, 186 * 24 * time.Hour},
}

// KeyCount is Cloud Monitor's key count of an instance at a time.
type KeyCount struct {
	Keys int64
	// At is the point's time: the start of the period it counts (the
	// largest count within it), at or before the time asked for.
	At     time.Time
	Period time.Duration
}

// monitorAnswer is the part of GetMonitorData's answer that we read.
type monitorAnswer struct {
	DataPoints []struct {
		Timestamps []int64   `json:"Timestamps"`
		Values     []float64 `json:"Values"`
	} `json:"DataPoints"`
	RequestID string `json:"RequestId"`
}

// KeysAt is the instance's key count at or just before at, by Cloud
// Monitor (GetMonitorData, one call): the latest point whose period starts
// at or before at, of the finest period the cloud still keeps for that
// time. An error of kind NotFound says there is no such point (a time
// older than the cloud keeps, an instance not monitored then); other
// errors are the call's.
func (s *Session) KeysAt(ctx context.Context, region, instanceID string, at time.Time) (KeyCount, error) {
	const action = "GetMonitorData"
	age := s.clients.clock().Sub(at)
	i := 0
	for i < len(keysPeriods)-1 && age > keysPeriods[i].kept {
		i++
	}
	period := keysPeriods[i].period
	if age > keysPeriods[i].kept {
		return KeyCount{}, failure.E(failure.NotFound, failure.Code("NoMonitorData"),
			fmt.Sprintf("%s: %s is older than Cloud Monitor keeps points (%s)", action, at.UTC().Format(time.RFC3339), keysPeriods[i].kept))
	}
	cst := time.FixedZone("CST", 8*3600)
	body, err := s.common(ctx, monitorService, monitorVersion, region, action, map[string]any{
		"Namespace":  keysNamespace,
		"MetricName": keysMetric,
		"Period":     int64(period / time.Second),
		"Instances":  []any{map[string]any{"Dimensions": []any{map[string]any{"Name": keysDimension, "Value": instanceID}}}},
		"StartTime":  at.Add(-keysLookBack * period).In(cst).Format(time.RFC3339),
		"EndTime":    at.In(cst).Format(time.RFC3339),
	})
	if err != nil {
		return KeyCount{}, err
	}
	var answer monitorAnswer
	if err := decodeResponse(body, &answer); err != nil {
		return KeyCount{}, failure.E(failure.Upstream, failure.Code("BadMonitorAnswer"), action+": unreadable answer", err)
	}
	found, ok := KeyCount{Period: period}, false
	for _, dp := range answer.DataPoints {
		for j, ts := range dp.Timestamps {
			t := time.Unix(ts, 0)
			if j >= len(dp.Values) || dp.Values[j] < 0 || t.After(at) || (ok && !t.After(found.At)) {
				continue
			}
			found.Keys, found.At, ok = int64(dp.Values[j]), t, true
		}
	}
	if !ok {
		return KeyCount{}, &failure.Error{Kind: failure.NotFound, Code: "NoMonitorData", RequestID: answer.RequestID,
			Message: fmt.Sprintf("%s: no %s point of %s in the %s before %s", action, keysMetric, instanceID, keysLookBack*period, at.UTC().Format(time.RFC3339))}
	}
	return found, nil
}
