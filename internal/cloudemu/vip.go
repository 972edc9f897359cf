package cloudemu

import (
	"strconv"
	"time"
)

// Clone and switch, the restore of editions that cannot restore in place:
// SwitchInstanceVip swaps two instances' addresses, so that clients of the
// old instance reach the clone; DestroyPostpaidInstance releases a
// pay-as-you-go instance once it is no longer the way back. Both are tasks
// that lock their instance while they run (Status 1), and act when they
// succeed (data.go).

// SwitchCall records a SwitchInstanceVip that started a switch.
type SwitchCall struct {
	SrcInstanceID, DstInstanceID string
	ForceSwitch                  int64
	SwitchTime                   string // as sent; empty if absent
	TimeDelay                    int64
	TaskID                       int64
	Time                         time.Time
}

// DestroyCall records a DestroyPostpaidInstance that started a release.
type DestroyCall struct {
	InstanceID string
	TaskID     int64
	Time       time.Time
}

// Switches returns every SwitchInstanceVip that started a switch.
func (e *Emulator) Switches() []SwitchCall {
	defer e.lock()()
	return append([]SwitchCall(nil), e.data.switches...)
}

// Destroys returns every DestroyPostpaidInstance that started a release.
func (e *Emulator) Destroys() []DestroyCall {
	defer e.lock()()
	return append([]DestroyCall(nil), e.data.destroys...)
}

// switchInstanceVip swaps the VIPs of two running instances when its task
// ends. The API switches instances that DTS keeps in sync; no DTS links
// the emulator's instances (a clone is not synced with its source), so the
// emulator reads the documentation strictly: only a forced switch
// (ForceSwitch 1) is done, and SwitchTime syncComplete, which waits for a
// sync that never comes, is refused. Both answer FailedOperation.
// DtsStatusAbnormal, a code the API lists for this action.
func (e *Emulator) switchInstanceVip(c *call) (any, *apiError) {
	p := c.p
	req := SwitchCall{SrcInstanceID: p.requiredStr("SrcInstanceId"), DstInstanceID: p.requiredStr("DstInstanceId")}
	req.TimeDelay, _ = p.int("TimeDelay")
	req.ForceSwitch, _ = p.int("ForceSwitch")
	req.SwitchTime, _ = p.str("SwitchTime")
	p.check(req.TimeDelay >= 0, "InvalidParameterValue", "the parameter TimeDelay must not be negative, got %d", req.TimeDelay)
	p.check(req.ForceSwitch == 0 || req.ForceSwitch == 1, "InvalidParameterValue", "the parameter ForceSwitch must be 0 or 1, got %d", req.ForceSwitch)
	p.check(req.SwitchTime == "" || req.SwitchTime == "now" || req.SwitchTime == "syncComplete",
		"InvalidParameterValue", "the parameter SwitchTime must be now or syncComplete, got %q", req.SwitchTime)
	p.check(req.SrcInstanceID != req.DstInstanceID, "InvalidParameter.InvalidParameter", "the source and the destination are the same instance %s", req.SrcInstanceID)
	src := e.instanceIn(c, req.SrcInstanceID)
	dst := e.instanceIn(c, req.DstInstanceID)
	if p.err != nil {
		return nil, p.err
	}
	for _, in := range []*Instance{src, dst} {
		if in.Locked || e.inFlow(in.ID, c.now, true) {
			return nil, errf("ResourceUnavailable.InstanceStatusAbnormal", "the instance %s is locked by another process", in.ID)
		}
		if in.Status != 2 {
			return nil, errf("ResourceUnavailable.InstanceStateError", "the instance %s has status %d, not running", in.ID, in.Status)
		}
	}
	if req.SwitchTime == "syncComplete" {
		return nil, errf("FailedOperation.DtsStatusAbnormal", "no DTS sync links %s and %s: there is no sync to wait for, switch now", req.SrcInstanceID, req.DstInstanceID)
	}
	if req.ForceSwitch != 1 {
		return nil, errf("FailedOperation.DtsStatusAbnormal", "no DTS sync links %s and %s: only a forced switch (ForceSwitch 1) swaps them", req.SrcInstanceID, req.DstInstanceID)
	}

	d := e.life.timing.Switch
	if d <= 0 {
		d = defaultSwitchDuration
	}
	t := e.startTask(Task{InstanceID: req.SrcInstanceID, Type: TaskTypeSwitchVIP, StartTime: c.now}, d)
	e.life.flows[t.TaskID] = true
	e.data.pending[t.TaskID] = effect{kind: "switch", instance: req.SrcInstanceID, other: req.DstInstanceID}
	req.TaskID, req.Time = t.TaskID, c.now
	e.data.switches = append(e.data.switches, req)
	e.advance(c.now)
	return map[string]any{"TaskId": t.TaskID}, nil
}

// destroyPostpaidInstance isolates a running pay-as-you-go instance when
// its task ends (Status -2, as the recycle bin shows it): its server stops
// and its address is released. A monthly instance is refused, with
// InvalidParameterValue.UnSupportedType (the API lists the code for this
// action; what it answers for a monthly instance is not documented).
func (e *Emulator) destroyPostpaidInstance(c *call) (any, *apiError) {
	id := c.p.requiredStr("InstanceId")
	in := e.instanceIn(c, id)
	if c.p.err != nil {
		return nil, c.p.err
	}
	if in.BillingMode != 0 {
		return nil, errf("InvalidParameterValue.UnSupportedType", "the instance %s is billed monthly (BillingMode %d), not pay as you go", id, in.BillingMode)
	}
	if in.Locked || e.inFlow(id, c.now, true) {
		return nil, errf("ResourceUnavailable.InstanceStatusError", "the instance %s is locked by another process", id)
	}
	if in.Status != 2 {
		return nil, errf("ResourceUnavailable.InstanceStatusError", "the instance %s has status %d, not running", id, in.Status)
	}
	d := e.life.timing.Destroy
	if d <= 0 {
		d = defaultDestroyDuration
	}
	t := e.startTask(Task{InstanceID: id, Type: TaskTypeDestroy, StartTime: c.now}, d)
	e.life.flows[t.TaskID] = true
	e.data.pending[t.TaskID] = effect{kind: "destroy", instance: id}
	e.data.destroys = append(e.data.destroys, DestroyCall{InstanceID: id, TaskID: t.TaskID, Time: c.now})
	e.advance(c.now)
	// The API's example answers TaskId as a string; the SDK types it int64.
	var taskID any = t.TaskID
	if e.taskIDAsString {
		taskID = strconv.FormatInt(t.TaskID, 10)
	}
	return map[string]any{"TaskId": taskID}, nil
}
