package edition

import "testing"

func TestOf(t *testing.T) {
	inPlace := map[int64]bool{2: true, 3: true, 4: true}
	mustClone := []int64{6, 7, 8, 9, 15, 16, 17, 18, 19, 20, 21, 22}
	for typ := range inPlace {
		if e := Of(typ); !e.Known || !e.InPlace {
			t.Errorf("type %d: %+v, want known, in place", typ, e)
		}
	}
	for _, typ := range mustClone {
		if e := Of(typ); !e.Known || e.InPlace {
			t.Errorf("type %d: %+v, want known, clone only", typ, e)
		}
	}
	// Undocumented: the API decides.
	for _, typ := range []int64{5, 200, 0, 23, -1} {
		if e := Of(typ); e.Known {
			t.Errorf("type %d: %+v, want unknown", typ, e)
		}
	}
	if got, want := Of(6).String(), "Redis 4.0 Memory Edition, Standard Architecture (Type 6)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
