package cloudemu

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Cloud Monitor's GetMonitorData, for the one metric the function reads:
// an instance's key count (namespace QCE/REDIS_MEM, metric Keys, dimension
// instanceid; Tencent's "Monitoring Metrics (Memory Edition, 5-Second)"),
// which says what a backup held at its time.
//
// The emulator records each instance's count from its Redis server
// (Options.Redis; without it there is nothing to count and no point):
//
//   - when a backup is snapshotted (ManualBackupInstance, SnapshotBackup),
//     stamped with the backup's StartTime: the monitor's point of the
//     moment the backup was taken. Only the first snapshot of a backup is
//     recorded: a test that later replaces a backup's content (a damaged
//     backup) does not rewrite the monitor's history;
//   - on a tick, every monitorTick of the emulator's clock, for every
//     running server, when the emulator next handles anything.
//
// An answer's points are these samples in buckets of the asked Period,
// aligned to the period in China Standard Time, each bucket's largest
// count (the Keys metric's statistic at every period is the maximum:
// "Key总个数 ... [60s, max] [300s, max] ..."), only buckets holding a
// sample, and only as far back as the cloud keeps that period (1 day for
// 5 s, 15 days for 60 s, 31 for 300 s, 93 for an hour, 186 for a day:
// "Using API to Pull Tencent Cloud Service Monitoring Data"). A request
// asks for at most 10 instances and 1,440 points each. An instance
// unknown, in another region, or named by a dimension of another spelling
// ("InstanceId") gets a data point with no values, as the cloud answers
// (its FAQ: "Name 参数所填是否与监控指标文档所对应 ... 需要填小写的 instanceid").

const (
	monitorNamespace = "QCE/REDIS_MEM"
	monitorKeys      = "Keys"
	monitorDimension = "instanceid"
	monitorTick      = time.Minute
	monitorMaxInst   = 10
	monitorMaxPoints = 1440
	monitorDefPeriod = 300
)

// monitorRetention is how long the cloud keeps each period's points.
var monitorRetention = map[int64]time.Duration{
	5:     24 * time.Hour,
	60:    15 * 24 * time.Hour,
	300:   31 * 24 * time.Hour,
	3600:  93 * 24 * time.Hour,
	86400: 186 * 24 * time.Hour,
}

// chinaZone is the zone of the API's ISO times ("2019-03-24T10:50:00+08:00").
var chinaZone = time.FixedZone("CST", 8*3600)

type monitorState struct {
	samples  map[string][]keySample // by instance, in the order recorded
	sampled  map[string]bool        // snapshotKey → its backup's count recorded
	lastTick time.Time
}

type keySample struct {
	at   time.Time
	keys int64
}

func newMonitorState() monitorState {
	return monitorState{samples: map[string][]keySample{}, sampled: map[string]bool{}}
}

// KeySample is one count the emulator recorded of an instance.
type KeySample struct {
	At   time.Time
	Keys int64
}

// KeySamples returns the key counts recorded of an instance, in the order
// recorded.
func (e *Emulator) KeySamples(instanceID string) []KeySample {
	defer e.lock()()
	out := make([]KeySample, 0, len(e.monitor.samples[instanceID]))
	for _, s := range e.monitor.samples[instanceID] {
		out = append(out, KeySample{At: s.at, Keys: s.keys})
	}
	return out
}

// recordKeys counts an instance's keys from its running server and keeps
// the count at the time given; nothing without a running server. Caller
// holds e.mu.
func (e *Emulator) recordKeys(instanceID string, at time.Time) error {
	s := e.data.running[instanceID]
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), dataTimeout)
	defer cancel()
	n, err := s.Keys(ctx)
	if err != nil {
		return fmt.Errorf("cloudemu: the key count of %s: %w", instanceID, err)
	}
	e.monitor.samples[instanceID] = append(e.monitor.samples[instanceID], keySample{at: at, keys: n})
	return nil
}

// recordBackupKeys records the count of an instance as its backup's, at
// the backup's StartTime (now for a backup not listed yet), once per
// backup. Caller holds e.mu and started the instance's server.
func (e *Emulator) recordBackupKeys(instanceID, backupID string, now time.Time) error {
	key := snapshotKey(instanceID, backupID)
	if e.monitor.sampled[key] {
		return nil
	}
	at := now
	for _, b := range e.backups[instanceID] {
		if b.ID == backupID {
			at = b.StartTime
		}
	}
	if err := e.recordKeys(instanceID, at); err != nil {
		return err
	}
	e.monitor.sampled[key] = true
	return nil
}

// tickMonitor samples every running server once per monitorTick. A server
// that cannot be counted is skipped: the cloud's series have gaps too.
// Caller holds e.mu.
func (e *Emulator) tickMonitor(now time.Time) {
	m := &e.monitor
	if !m.lastTick.IsZero() && now.Sub(m.lastTick) < monitorTick {
		return
	}
	m.lastTick = now
	for _, id := range slices.Sorted(maps.Keys(e.data.running)) {
		_ = e.recordKeys(id, now)
	}
}

// dimension is one of GetMonitorData's Instances.N.Dimensions.
type dimension struct {
	Name  string
	Value string
}

type dataPoint struct {
	Dimensions []dimension
	Timestamps []int64
	Values     []float64
}

func (e *Emulator) getMonitorData(c *call) (any, *apiError) {
	p := c.p
	ns := p.requiredName("Namespace")
	metric := p.requiredName("MetricName")
	p.check(ns == "" || ns == monitorNamespace, "InvalidParameterValue", "the namespace %s is not emulated: only %s", ns, monitorNamespace)
	p.check(metric == "" || metric == monitorKeys, "InvalidParameterValue", "the metric %s of %s is not emulated: only %s", metric, ns, monitorKeys)
	instances := monitorInstances(p)
	period, ok := p.int("Period")
	if !ok {
		period = monitorDefPeriod
	}
	_, known := monitorRetention[period]
	p.check(known, "InvalidParameterValue", "the Period %d is not one of %s's: 5, 60, 300, 3600, 86400", period, monitorKeys)
	end := monitorTime(p, "EndTime", c.now)
	// The old API's default start: the day's beginning.
	start := monitorTime(p, "StartTime", time.Date(end.In(chinaZone).Year(), end.In(chinaZone).Month(), end.In(chinaZone).Day(), 0, 0, 0, 0, chinaZone))
	if p.err != nil {
		return nil, p.err
	}
	if end.Before(start) {
		return nil, errf("InvalidParameterValue", "EndTime %s is before StartTime %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	step := time.Duration(period) * time.Second
	first, last := alignTo(start, step), alignTo(end, step)
	if n := int64(last.Sub(first)/step) + 1; n > monitorMaxPoints {
		return nil, errf("InvalidParameterValue", "%d points of %d s asked, at most %d a request", n, period, monitorMaxPoints)
	}
	kept := c.now.Add(-monitorRetention[period])
	points := make([]dataPoint, 0, len(instances))
	for _, dims := range instances {
		dp := dataPoint{Dimensions: dims, Timestamps: []int64{}, Values: []float64{}}
		buckets := map[int64]int64{}
		for _, s := range e.monitor.samples[e.monitoredInstance(dims, c.region)] {
			b := alignTo(s.at, step)
			if b.Before(first) || b.After(last) || b.Before(kept) {
				continue
			}
			if v, ok := buckets[b.Unix()]; !ok || s.keys > v {
				buckets[b.Unix()] = s.keys
			}
		}
		for _, ts := range slices.Sorted(maps.Keys(buckets)) {
			dp.Timestamps = append(dp.Timestamps, ts)
			dp.Values = append(dp.Values, float64(buckets[ts]))
		}
		points = append(points, dp)
	}
	return map[string]any{
		"StartTime": first.In(chinaZone).Format(time.RFC3339), "EndTime": last.In(chinaZone).Format(time.RFC3339),
		"Period": period, "MetricName": metric, "DataPoints": points, "Msg": "",
	}, nil
}

// monitoredInstance is the instance the dimensions name in the region, or
// "" (no data): only the dimension instanceid, spelt so, names one.
func (e *Emulator) monitoredInstance(dims []dimension, region string) string {
	for _, d := range dims {
		if d.Name != monitorDimension {
			continue
		}
		if in, ok := e.instances[d.Value]; ok && in.Region == region {
			return d.Value
		}
	}
	return ""
}

// monitorInstances reads Instances: 1 to 10 objects, each with a list of
// Dimensions {Name, Value}, both strings.
func monitorInstances(p *params) [][]dimension {
	raw, ok := p.m["Instances"]
	p.missing(ok && raw != nil, "Instances")
	if p.err != nil {
		return nil
	}
	b, _ := json.Marshal(raw)
	var list []struct {
		Dimensions []struct {
			Name  *string
			Value *string
		}
	}
	if err := json.Unmarshal(b, &list); err != nil {
		p.fail(errf("InvalidParameter", "the parameter Instances must be an array of {Dimensions: [{Name, Value}]}: %v", err))
		return nil
	}
	p.check(len(list) > 0 && len(list) <= monitorMaxInst, "InvalidParameterValue", "Instances holds %d instances: 1 to %d a request", len(list), monitorMaxInst)
	out := make([][]dimension, 0, len(list))
	for i, in := range list {
		p.check(len(in.Dimensions) > 0, "MissingParameter", "the request is missing the required parameter Instances.%d.Dimensions", i)
		dims := make([]dimension, 0, len(in.Dimensions))
		for j, d := range in.Dimensions {
			p.check(d.Name != nil && d.Value != nil, "MissingParameter", "Instances.%d.Dimensions.%d needs a Name and a Value", i, j)
			if d.Name != nil && d.Value != nil {
				dims = append(dims, dimension{Name: *d.Name, Value: *d.Value})
			}
		}
		out = append(out, dims)
	}
	return out
}

// monitorTime reads an ISO time ("2018-09-22T19:51:23+08:00"), or the
// form without a zone in China Standard Time that the API's examples also
// show ("2024-11-20 21:12:50"); def when absent.
func monitorTime(p *params, name string, def time.Time) time.Time {
	s, ok := p.str(name)
	if !ok {
		return def
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	t, err := time.ParseInLocation(time.DateTime, s, chinaZone)
	p.check(err == nil, "InvalidParameterValue", "the parameter %s %q is not a time like 2018-09-22T19:51:23+08:00", name, s)
	return t
}

// alignTo is the start of t's period, periods counted in China Standard
// Time (so that a day's point is the day there).
func alignTo(t time.Time, step time.Duration) time.Time {
	const offset = 8 * time.Hour
	return t.Add(offset).Truncate(step).Add(-offset)
}
