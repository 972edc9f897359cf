// Package ttl is the function's one cache of values that expire, shared by
// everything a warm container keeps between invocations: its memory of the
// restores it started, the password secret, assumed-role credentials.
package ttl

import (
	"sync"
	"time"
)

// Cache holds values until they expire, and at most max of them. It is
// safe for concurrent use. Time is passed in, not read, so that the
// callers' clocks (fake ones in tests) decide.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	max     int // 0: no bound
	entries map[K]entry[V]
}

type entry[V any] struct {
	value       V
	at, expires time.Time
}

func (e entry[V]) fresh(now time.Time) bool { return !now.Before(e.at) && now.Before(e.expires) }

// New returns an empty cache of at most max values (0: no bound).
func New[K comparable, V any](max int) *Cache[K, V] {
	return &Cache[K, V]{max: max, entries: map[K]entry[V]{}}
}

// Get returns key's value if it was put no later than now and has not
// expired by now. An expired value is dropped.
func (c *Cache[K, V]) Get(key K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok && !e.fresh(now) {
		delete(c.entries, key)
		ok = false
	}
	return e.value, ok
}

// Put stores v under key from now until expires. It first drops the
// expired values, then, past max, the one stored longest ago, so that a
// long-lived container stays small.
func (c *Cache[K, V]) Put(key K, v V, now, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max == 0 || len(c.entries) >= c.max {
		var oldestKey K
		var oldest *entry[V]
		for k, e := range c.entries {
			if !e.fresh(now) {
				delete(c.entries, k)
				continue
			}
			if oldest == nil || e.at.Before(oldest.at) {
				oldestKey, oldest = k, &e
			}
		}
		if c.max > 0 && len(c.entries) >= c.max {
			delete(c.entries, oldestKey)
		}
	}
	c.entries[key] = entry[V]{value: v, at: now, expires: expires}
}

// DeleteFunc drops every value whose key del reports.
func (c *Cache[K, V]) DeleteFunc(del func(K) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if del(k) {
			delete(c.entries, k)
		}
	}
}
