// Package clock holds the fake clock that tests inject wherever the code
// takes a `func() time.Time`, so that time-dependent behaviour (caches,
// credential expiry, task progress) is tested without sleeping.
package clock

import (
	"sync"
	"time"
)

// Fake is a clock that moves only when told to. Safe for concurrent use.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// NewFake returns a fake clock showing t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now is the fake time; pass c.Now where a clock is injected.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
