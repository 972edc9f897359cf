package restore

import (
	"context"
	"testing"
	"time"

	"redis-restore/internal/clock"
	"redis-restore/internal/intent"
)

// firingAt runs the restore of an alarm firing that first occurred at
// first, the way AlarmJob makes it.
func firingAt(s *Service, c *clock.Fake, first time.Time) intent.Result {
	ctx, cancel := context.WithDeadline(context.Background(), deadlineIn(c, time.Minute))
	defer cancel()
	return s.Run(ctx, intent.Intent{Request: intent.Request{InstanceID: instance, BackupID: backup},
		Trigger: "apigw", Since: first, Key: "alarm:" + instance + ":p:" + first.UTC().Format(time.RFC3339),
		JobGuard: intent.JobGuard{Alarm: true}})
}

// The budget holds a flapping alarm's new firings until its window has
// passed since the restore, then lets the next one restore.
func TestBudgetFreesUpAfterItsWindow(t *testing.T) {
	s, f, c := newService(t)
	s.Settings.AlarmBudget = intent.Budget{Limit: 1, Window: time.Hour}
	if r := firingAt(s, c, c.Now().Add(-time.Second)); r.Status != intent.Accepted {
		t.Fatalf("first firing: %+v %+v", r, r.Error)
	}
	restored := f.tasks[0].StartTime
	c.Advance(10 * time.Minute)
	r := firingAt(s, c, c.Now().Add(-time.Second))
	if r.Status != intent.Skipped || !r.Held || r.Budget.FreesAt == nil || !r.Budget.FreesAt.Equal(restored.Add(time.Hour).UTC()) {
		t.Fatalf("firing 10 minutes later: %+v %+v", r, r.Budget)
	}
	c.Advance(r.Budget.FreesAt.Sub(c.Now()) + time.Second)
	if r := firingAt(s, c, c.Now().Add(-time.Second)); r.Status != intent.Accepted {
		t.Fatalf("firing after the budget freed up: %+v %+v", r, r.Error)
	}
	if len(f.started) != 2 {
		t.Errorf("%d restores, want 2 (one per window)", len(f.started))
	}
	want := []string{intent.EventTypePrefix + "accepted", intent.EventTypePrefix + "held", intent.EventTypePrefix + "accepted"}
	if got := f.messageTypes(t); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("messages %v, want %v", got, want)
	}
}

// While a restore retries (throttled), another event's restore of the
// instance starts: the retry looks at the budget again and holds back
// rather than restoring a second time.
func TestBudgetIsCheckedAgainBeforeARetry(t *testing.T) {
	s, f, c := newService(t)
	s.Settings.AlarmBudget = intent.Budget{Limit: 1, Window: time.Hour}
	f.restores = []error{throttled}
	f.onRestore = func(call int) {
		if call == 0 {
			f.otherStarts()
		}
	}
	r := firingAt(s, c, c.Now().Add(-time.Minute))
	if len(f.started) != 1 {
		t.Fatalf("%d restores, want only the other event's", len(f.started))
	}
	// The other restore started after this firing was created: by never
	// twice it is this firing's own, a duplicate, not a reason to hold.
	if r.Status != intent.Duplicate || r.TaskID != f.started[0] {
		t.Fatalf("%+v %+v, want a duplicate of task %d", r, r.Error, f.started[0])
	}

	// A restore the task list shows only during the retry, though it
	// started before the firing was created (a list that lags): held.
	s2, f2, c2 := newService(t)
	s2.Settings.AlarmBudget = intent.Budget{Limit: 1, Window: time.Hour}
	f2.restores = []error{throttled}
	first := c2.Now()
	f2.onRestore = func(call int) {
		if call == 0 {
			f2.mu.Lock()
			f2.nextTaskID++
			f2.tasks = append(f2.tasks, f2.tasksAt(first.Add(-2*time.Second)))
			f2.started = append(f2.started, f2.nextTaskID)
			f2.mu.Unlock()
		}
	}
	r = firingAt(s2, c2, first)
	if len(f2.started) != 1 || r.Status != intent.Skipped || !r.Held {
		t.Fatalf("%d restores, %+v %+v: want held on retry", len(f2.started), r, r.Error)
	}
}

// tasksAt is a restore task of the next ID that started at t; caller holds
// f.mu.
func (f *fakeCloud) tasksAt(t time.Time) intent.Task {
	return intent.Task{ID: f.nextTaskID, StartTime: t, Kind: intent.RestoreTask, Type: "010"}
}
