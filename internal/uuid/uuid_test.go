package uuid

import (
	"regexp"
	"testing"
)

func TestNewIsARandomVersion4UUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := New()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("%q: not a fresh version 4 UUID", id)
		}
		seen[id] = true
	}
}

// A name always gives the same UUID, and another name another: the copies
// of one outcome's message share their id, and consumers drop the copies.
func TestFromNameIsStableAndNameBased(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := FromName("crs-5a4py64p/6954227/succeeded"), FromName("crs-5a4py64p/6954227/failed")
	if !re.MatchString(a) || a != FromName("crs-5a4py64p/6954227/succeeded") || a == b {
		t.Fatalf("FromName: %s, again %s, other name %s", a, FromName("crs-5a4py64p/6954227/succeeded"), b)
	}
}
