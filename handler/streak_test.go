package handler

import (
	"testing"
	"time"
)

// An invocation is busy when busyAfter others began in this container
// within busyWithin before it: a stream (an incident's alarms), not a
// lone event, nor one after a pause.
func TestStreakIsBusyOnlyInAStream(t *testing.T) {
	var s streak
	at := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	for i := range busyAfter {
		if s.add(at.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("invocation %d of a stream busy already", i+1)
		}
	}
	if !s.add(at.Add(busyAfter * time.Second)) {
		t.Fatalf("invocation %d, %d before it within %s: not busy", busyAfter+1, busyAfter, busyWithin)
	}
	if s.add(at.Add(busyAfter*time.Second + busyWithin + time.Second)) {
		t.Fatal("after a pause longer than the window: busy")
	}
}
