package intent

import (
	"sort"
	"time"
)

// Guardrail is what a result or message says of the guard rails.
type Guardrail struct {
	// Held: the budget held this restore back (status skipped, code
	// RestoreBudgetExceeded); the message is ...restore.held.
	Held   bool         `json:"-"`
	Budget *BudgetState `json:"budget,omitempty"`
	Plan   *Plan        `json:"plan,omitempty"`
}

// BudgetState is an instance's restore budget as the task list showed it.
type BudgetState struct {
	Setting string     `json:"setting"` // the variable that set it
	Limit   int        `json:"limit"`
	Window  string     `json:"window"`
	Used    []UsedTask `json:"used"` // the restore tasks counted, oldest first
	// FreesAt is when the next restore may start, if the budget is spent.
	FreesAt *time.Time `json:"freesAt,omitempty"`
}

// UsedTask is a restore task that counted against the budget.
type UsedTask struct {
	TaskID    int64     `json:"taskId"`
	StartTime time.Time `json:"startTime"`
}

// CodeBudgetExceeded is the code of a restore held back by its budget.
const CodeBudgetExceeded = "RestoreBudgetExceeded"

// Spent is the tasks that spend a budget whose window starts at from.
func Spent(tasks []Task, from time.Time) []Task {
	var used []Task
	for _, t := range tasks {
		if (t.Kind == RestoreTask || t.Kind == CloneTask) && !t.StartTime.Before(from.Truncate(time.Second)) {
			used = append(used, t)
		}
	}
	return used
}

// NewBudgetState is a budget as the tasks that spent it show it.
func NewBudgetState(used []Task, b Budget, setting string) *BudgetState {
	sort.Slice(used, func(i, j int) bool { return used[i].StartTime.Before(used[j].StartTime) })
	st := &BudgetState{Setting: setting, Limit: b.Limit, Window: b.WindowString(), Used: []UsedTask{}}
	for _, t := range used {
		st.Used = append(st.Used, UsedTask{TaskID: t.ID, StartTime: t.StartTime.UTC()})
	}
	if len(used) >= b.Limit {
		// The budget frees up when enough of the counted tasks leave the
		// window for one more restore to fit.
		at := used[len(used)-b.Limit].StartTime.Add(b.Window).UTC()
		st.FreesAt = &at
	}
	return st
}

// StatusEventType names the message of a result, guard rails included.
func StatusEventType(r *Result) string {
	switch {
	case r.Held:
		return EventTypePrefix + "held"
	case r.Plan != nil && r.Plan.Token != "":
		// A plan waiting for approval, also the fresh one offered when an
		// approval was refused.
		return EventTypePrefix + "planned"
	}
	return EventType(r.Status)
}
