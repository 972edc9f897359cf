package cloudemu

import "time"

// What only this package's tests read or set.

// Tasks returns the tasks of an instance, oldest first, status as of now.
func (e *Emulator) Tasks(instanceID string) []Task {
	defer e.lock()()
	now := e.now()
	var out []Task
	for _, t := range e.tasks {
		if t.InstanceID == instanceID {
			t.Status = e.phase(t, now)
			out = append(out, t)
		}
	}
	return out
}

// AttemptTimes are the real times at which the invoker was called.
func (i Invocation) AttemptTimes() []time.Time { return append([]time.Time(nil), i.attemptTimes...) }

// SetInvokerWithResult is SetInvoker for a target that returns a value:
// a synchronous Invoke answers it as Result.RetMsg.
func (e *Emulator) SetInvokerWithResult(f InvokeFunc) {
	defer e.lock()()
	e.scf.invoke = f
}
