package main

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"redis-restore/internal/fleet"
)

// fleetRequestSection is one fleet request for the same instances as the
// fleet section's alarms (internal/fleet.RunRequest): one direct
// invocation, its members handed out to the function's own asynchronous
// invocations, delivered to the same pool of function processes.
type fleetRequestSection struct{ fleet.RequestResult }

// measureFleetRequest runs the section; a failure is the report's.
func measureFleetRequest(bin string, set settings, logf func(string, ...any), fail func(string, error)) *fleetRequestSection {
	f, err := runFleetRequest(bin, set.fleetN, set.fleetC, set.fleetQueue, logf)
	if err != nil {
		fail("fleet request", err)
	}
	return f
}

func runFleetRequest(bin string, instances, containers int, queueAPI string, logf func(string, ...any)) (*fleetRequestSection, error) {
	logf("fleet request: %d instances over %d containers, account limits on, safety backups off, messages through %s", instances, containers, queueAPI)
	r, err := fleet.RunRequest(context.Background(), fleet.RequestOptions{
		Options: fleet.Options{Binary: bin, Instances: instances, Containers: containers, QueueAPI: queueAPI, Log: logf},
		Message: func(m fleet.FleetMessage) { logf("fleet request: %s step %d: %s", m.Type, m.Step, m.Counts) },
	})
	f := &fleetRequestSection{r}
	if r.Sends == 0 {
		return nil, err
	}
	logf("fleet request: last restore accepted after %.1f s (floor %.1f s, ratio %.2f); once %d, double %d, lost %d, failed or unknown %d; RequestLimitExceeded %d of %d calls; completed: %s",
		r.LastAccepted.Seconds(), r.Floor().Seconds(), r.Ratio(), r.RestoredOnce, r.Double, r.Lost, r.FailedOrUnknown, r.TotalThrottled(), r.TotalCalls(), r.Final)
	if r.Lost > 0 || r.Double > 0 {
		err = errors.Join(err, fmt.Errorf("%d instances lost, %d restored twice", r.Lost, r.Double))
	}
	return f, err
}

func (f *fleetRequestSection) table() *table {
	r := f.RequestResult
	t := newTable("measure", "figure")
	t.row("instances / containers at once", fmt.Sprintf("%d / %d", r.Instances, r.Containers))
	t.row("the request's answers (sent again while the function asked for it)", f.answers())
	t.row("restored once (all)", r.RestoredOnce)
	t.row("restored twice or more (0)", r.Double)
	t.row("lost: never restored (0)", r.Lost)
	t.row("failed or unknown (0)", fmt.Sprintf("%d (members' last results in their hand-offs' answers: %s)", r.FailedOrUnknown, statusText(r.Statuses)))
	t.row("TaskIds not on the queue (0)", r.Undelivered)
	t.row("outcome messages sent by (RESTORE_QUEUE_API)", fmt.Sprintf("%s (%s)", byAction(r.Sent), cmp.Or(r.QueueAPI, "default")))
	t.row("asynchronous invocations: hand-offs / watch steps (tries again after an error)", fmt.Sprintf("%d / %d (%d)", r.Handoffs, r.Watches, r.Redelivered))
	t.row("time to the first restore accepted", fmt.Sprintf("%.1f s", r.FirstAccepted.Seconds()))
	t.row("time to the last restore accepted", fmt.Sprintf("%.1f s", r.LastAccepted.Seconds()))
	t.row("floor (N / 20 s)", fmt.Sprintf("%.1f s", r.Floor().Seconds()))
	t.row("ratio (target ≤ 1.15)", fmt.Sprintf("%.2f", r.Ratio()))
	t.row("time to the completed message", fmt.Sprintf("%.1f s", r.LastCompleted.Seconds()))
	t.row("RequestLimitExceeded answers, and the data flow's 4420 (≤ 1% of calls)", fmt.Sprintf("%d of %d calls (%.2f%%)", r.TotalThrottled(), r.TotalCalls(), f.throttledShare()))
	t.row("API calls per restore, by action", r.PerRestore())
	t.row("progress messages seen (distinct; sent again)", fmt.Sprintf("%d (%d)", r.Progress, r.Repeats))
	t.row("completed messages (1) and their counts (done = all)", fmt.Sprintf("%d: %s, %s", r.Completed, cmp.Or(r.FinalStatus, "—"), r.Final))
	return t
}

// answers lists each send's answer.
func (f *fleetRequestSection) answers() string {
	var parts []string
	for i, a := range f.Answers {
		s := fmt.Sprintf("%d: fleet %s %s (result %s", i+1, a.FleetID, a.Status, a.Result)
		if a.Error != "" {
			s += ", " + a.Error
		}
		parts = append(parts, s+fmt.Sprintf("), %d members, after %.1f s", a.Members, a.After.Seconds()))
	}
	return strings.Join(parts, "; ")
}

func (f *fleetRequestSection) throttledShare() float64 {
	return (&fleetSection{f.Result}).throttledShare()
}

// targets are the section's lines of the summary.
func (f *fleetRequestSection) targets() []target {
	r := f.RequestResult
	return []target{
		{fmt.Sprintf("Fleet request: %d instances over %d containers, restored once", r.Instances, r.Containers),
			fmt.Sprintf("once %d, double %d, lost %d, failed or unknown %d; completed: done %d", r.RestoredOnce, r.Double, r.Lost, r.FailedOrUnknown, r.Final.Done), "all, 0, 0, 0; done all",
			r.RestoredOnce == r.Instances && r.Double == 0 && r.Lost == 0 && r.FailedOrUnknown == 0 && r.Completed == 1 && r.Final.Done == r.Instances},
		{"Fleet request: last restore accepted, over the floor (N / 20 s)", fmt.Sprintf("%.1f s / %.1f s = %.2f", r.LastAccepted.Seconds(), r.Floor().Seconds(), r.Ratio()), "≤ 1.15", r.Ratio() <= targetFleetRatio},
		{"Fleet request: RequestLimitExceeded answers", fmt.Sprintf("%d of %d calls (%.2f%%)", r.TotalThrottled(), r.TotalCalls(), f.throttledShare()), "≤ 1%", f.throttledShare() <= 1},
	}
}

// handOut is the prose's account of the run's time: each send's
// invocation admits the fleet and hands out its members; the restores
// then run in the pool; the watch waits for a free process.
func (f *fleetRequestSection) handOut() string {
	r := f.RequestResult
	var parts []string
	prev := 0.0
	for i, a := range r.Answers {
		parts = append(parts, fmt.Sprintf("send %d admitted its fleet and handed out %d hand-offs in %.1f s", i+1, a.HandOffs, a.After.Seconds()-prev))
		prev = a.After.Seconds()
	}
	if len(parts) == 0 {
		return ""
	}
	sent := "once"
	if r.Sends > 1 {
		sent = fmt.Sprintf("%d times (each send of a direct invocation is a fleet of its own, which finds the members the earlier sends started and hands out the rest)", r.Sends)
	}
	s := fmt.Sprintf("the request was sent %s: %s. The first restore was accepted after %.1f s, the last %.1f s later", sent, strings.Join(parts, "; "), r.FirstAccepted.Seconds(), (r.LastAccepted - r.FirstAccepted).Seconds())
	if span := (r.LastAccepted - r.FirstAccepted).Seconds(); span > 0 && r.RestoredOnce > 1 {
		s += fmt.Sprintf(" (%.1f restores a second in between)", float64(r.RestoredOnce-1)/span)
	}
	if r.Progress > 0 {
		s += fmt.Sprintf("; the first progress message came after %.1f s", r.FirstProgress.Seconds())
	}
	return s
}

//go:embed fleetrequest.md.tmpl
var fleetRequestTemplate string

// fleetRequestData adds the section's table and figures to the template's data.
func (r *report) fleetRequestData(d map[string]any) {
	if f := r.fleetReq; f != nil {
		d["FleetRequest"], d["FleetRequestBounds"], d["FleetRequestHandOut"] = f.table(), (&fleetSection{f.Result}).boundsTable(), f.handOut()
		d["FleetRequestBound"] = strings.TrimSpace((&fleetSection{f.Result}).boundText())
		d["FleetRequestSends"] = f.Sends
	}
}
