package ttl

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestValuesExpire(t *testing.T) {
	c := New[string, int](0)
	c.Put("a", 1, t0, t0.Add(time.Minute))
	if v, ok := c.Get("a", t0.Add(59*time.Second)); !ok || v != 1 {
		t.Fatalf("before expiry: %v %v", v, ok)
	}
	if _, ok := c.Get("a", t0.Add(time.Minute)); ok {
		t.Fatal("got at its expiry")
	}
	c.Put("b", 2, t0, t0.Add(time.Hour))
	if _, ok := c.Get("b", t0.Add(-time.Second)); ok {
		t.Fatal("got before it was put: a clock that went back must not extend a value's life")
	}
}

func TestPastMaxTheOldestGoesFirst(t *testing.T) {
	c := New[string, int](2)
	c.Put("old", 1, t0, t0.Add(time.Hour))
	c.Put("mid", 2, t0.Add(time.Second), t0.Add(time.Hour))
	c.Put("new", 3, t0.Add(2*time.Second), t0.Add(time.Hour))
	now := t0.Add(3 * time.Second)
	if _, ok := c.Get("old", now); ok {
		t.Error("the oldest survived past max")
	}
	for _, k := range []string{"mid", "new"} {
		if _, ok := c.Get(k, now); !ok {
			t.Errorf("%s was dropped", k)
		}
	}
	// An expired value makes room before a fresh one is dropped.
	c2 := New[string, int](2)
	c2.Put("expired", 1, t0, t0.Add(time.Second))
	c2.Put("kept", 2, t0, t0.Add(time.Hour))
	c2.Put("added", 3, t0.Add(time.Minute), t0.Add(time.Hour))
	if _, ok := c2.Get("kept", t0.Add(time.Minute)); !ok {
		t.Error("a fresh value was dropped while an expired one could go")
	}
}

func TestDeleteFunc(t *testing.T) {
	c := New[string, int](0)
	c.Put("x:1", 1, t0, t0.Add(time.Hour))
	c.Put("y:1", 2, t0, t0.Add(time.Hour))
	c.DeleteFunc(func(k string) bool { return k[0] == 'x' })
	if _, ok := c.Get("x:1", t0); ok {
		t.Error("x:1 not deleted")
	}
	if _, ok := c.Get("y:1", t0); !ok {
		t.Error("y:1 deleted")
	}
}
