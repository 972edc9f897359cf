package restore

import (
	"time"

	"redis-restore/internal/intent"
	"redis-restore/internal/ttl"
)

// Memory is what a warm container remembers of the restores it started, by
// idempotency key, so that an event delivered again to the same container
// is answered without a cloud call. It is only a shortcut: a fresh
// container relies on the cloud's task list (see Service.findStarted).
type Memory struct {
	ttl     time.Duration
	entries *ttl.Cache[string, memoryEntry]
}

type memoryEntry struct {
	result      intent.Result
	fingerprint string
}

// NewMemory remembers up to max keys for ttl each.
func NewMemory(d time.Duration, max int) *Memory {
	return &Memory{ttl: d, entries: ttl.New[string, memoryEntry](max)}
}

// Recall returns what was remembered for key. reused is set when the key
// was remembered with another fingerprint: the same Idempotency-Key sent
// with another body, which is a mistake to refuse, not a duplicate.
func (m *Memory) Recall(key, fingerprint string, now time.Time) (r intent.Result, ok, reused bool) {
	if m == nil || key == "" {
		return intent.Result{}, false, false
	}
	e, ok := m.entries.Get(key, now)
	switch {
	case !ok:
		return intent.Result{}, false, false
	case e.fingerprint != fingerprint:
		return intent.Result{}, false, true
	}
	return e.result, true, false
}

// Remember stores a result under key.
func (m *Memory) Remember(key, fingerprint string, r intent.Result, now time.Time) {
	if m == nil || key == "" {
		return
	}
	m.entries.Put(key, memoryEntry{result: r, fingerprint: fingerprint}, now, now.Add(m.ttl))
}
