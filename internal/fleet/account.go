package fleet

import (
	"fmt"
	"time"

	"redis-restore/internal/cloudemu"
)

// What a run of alarms (Run) and a fleet request (RunRequest) share: the
// instances of the incident, and the judgement of what the emulated
// account saw.

// addInstances adds n password-free instances to the region, crs-fleet00001
// and on, each with one restorable backup from before the incident.
func addInstances(emu *cloudemu.Emulator, region string, n int, now time.Time) []string {
	ids := make([]string, n)
	start := now.Add(-3 * time.Hour).Truncate(time.Second)
	for i := range ids {
		ids[i] = fmt.Sprintf("crs-fleet%05d", i+1)
		emu.AddInstance(cloudemu.Instance{ID: ids[i], Name: "fleet", Region: region, Status: 2})
		emu.AddBackup(ids[i], cloudemu.Backup{ID: fmt.Sprintf("7%023d", i+1), StartTime: start, EndTime: start.Add(5 * time.Minute), Status: 2, BackupType: "1", Size: 1 << 20})
	}
	return ids
}

// judge counts, from the emulator, how often each instance was restored
// and when the last restore was accepted (from began), the TaskIds
// missing from the queue, the queue's messages by sender and the API
// calls; it returns the restores.
func (r *Result) judge(emu *cloudemu.Emulator, queue string, ids []string, began time.Time) []cloudemu.RestoreCall {
	calls := emu.RestoreCalls()
	byInstance := map[string]int{}
	for _, c := range calls {
		byInstance[c.InstanceID]++
		r.LastAccepted = max(r.LastAccepted, c.Time.Sub(began))
	}
	for _, id := range ids {
		switch n := byInstance[id]; {
		case n == 0:
			r.Lost++
		case n == 1:
			r.RestoredOnce++
		default:
			r.Double++
		}
	}
	msgs := emu.Messages(queue)
	r.Undelivered = undelivered(calls, msgs)
	r.Sent = map[string]int{}
	for _, m := range msgs {
		r.Sent[m.Action]++
	}
	r.Calls, r.Throttled = emu.CallCounts(), emu.Throttled()
	return calls
}
