package restore

import (
	"testing"
	"time"

	"redis-restore/internal/intent"
)

func TestMemoryForgetsAfterItsTTL(t *testing.T) {
	m := NewMemory(time.Minute, 2)
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	m.Remember("a", "", intent.Result{TaskID: 1}, t0)
	if r, ok, _ := m.Recall("a", "", t0.Add(30*time.Second)); !ok || r.TaskID != 1 {
		t.Fatalf("recall within ttl: %v %+v", ok, r)
	}
	if _, ok, _ := m.Recall("a", "", t0.Add(2*time.Minute)); ok {
		t.Fatal("recalled after ttl")
	}
	m.Remember("b", "", intent.Result{TaskID: 2}, t0)
	m.Remember("c", "", intent.Result{TaskID: 3}, t0.Add(time.Second))
	m.Remember("d", "", intent.Result{TaskID: 4}, t0.Add(2*time.Second))
	if _, ok, _ := m.Recall("b", "", t0.Add(3*time.Second)); ok {
		t.Fatal("the oldest entry survived past max")
	}
	if _, ok, _ := m.Recall("d", "", t0.Add(3*time.Second)); !ok {
		t.Fatal("the newest entry was dropped")
	}
}

func TestMemoryTellsAKeyReusedWithAnotherBody(t *testing.T) {
	m := NewMemory(time.Hour, 10)
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	m.Remember("apigw:k1", "body-a", intent.Result{TaskID: 7}, t0)
	if r, ok, reused := m.Recall("apigw:k1", "body-a", t0); !ok || reused || r.TaskID != 7 {
		t.Fatalf("same key, same body: ok=%v reused=%v %+v", ok, reused, r)
	}
	if r, ok, reused := m.Recall("apigw:k1", "body-b", t0); ok || !reused || r.TaskID != 0 {
		t.Fatalf("same key, other body: ok=%v reused=%v %+v", ok, reused, r)
	}
}
