package restore

import (
	"sync"
	"time"
)

// Memory is what a warm container remembers of the restores it started, by
// idempotency key, so that an event delivered again to the same container
// is answered without a cloud call. It is only a shortcut: a fresh
// container relies on the cloud's task list (see Service.findStarted).
type Memory struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[string]memoryEntry
}

type memoryEntry struct {
	result      Result
	fingerprint string
	at          time.Time
}

// NewMemory remembers up to max keys for ttl each.
func NewMemory(ttl time.Duration, max int) *Memory {
	return &Memory{ttl: ttl, max: max, entries: map[string]memoryEntry{}}
}

// Recall returns what was remembered for key. reused is set when the key
// was remembered with another fingerprint: the same Idempotency-Key sent
// with another body, which is a mistake to refuse, not a duplicate.
func (m *Memory) Recall(key, fingerprint string, now time.Time) (r Result, ok, reused bool) {
	if m == nil || key == "" {
		return Result{}, false, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || now.Sub(e.at) > m.ttl {
		delete(m.entries, key)
		return Result{}, false, false
	}
	if e.fingerprint != fingerprint {
		return Result{}, false, true
	}
	return e.result, true, false
}

// Remember stores a result under key, dropping expired entries (and, past
// max, the oldest) so that a long-lived container stays small.
func (m *Memory) Remember(key, fingerprint string, r Result, now time.Time) {
	if m == nil || key == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= m.max {
		var oldestKey string
		var oldest time.Time
		for k, e := range m.entries {
			if now.Sub(e.at) > m.ttl {
				delete(m.entries, k)
				continue
			}
			if oldestKey == "" || e.at.Before(oldest) {
				oldestKey, oldest = k, e.at
			}
		}
		if len(m.entries) >= m.max {
			delete(m.entries, oldestKey)
		}
	}
	m.entries[key] = memoryEntry{result: r, fingerprint: fingerprint, at: now}
}
