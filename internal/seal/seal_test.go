package seal

import (
	"errors"
	"testing"
)

const key = "a-test-signing-key-of-32-characters!"

// A MAC verifies only for its own key, domain and parts; parts are
// length-prefixed, so that moving a boundary changes it.
func TestSumVerifiesOnlyItsOwn(t *testing.T) {
	s := New(key)
	mac := s.Sum("safety", "crs-1", "b1", "timer")
	if len(mac) != Len || !s.Verify(mac, "safety", "crs-1", "b1", "timer") {
		t.Fatalf("own MAC %q refused", mac)
	}
	for name, ok := range map[string]bool{
		"another domain": s.Verify(mac, "clone", "crs-1", "b1", "timer"),
		"another part":   s.Verify(mac, "safety", "crs-2", "b1", "timer"),
		"moved boundary": s.Verify(mac, "safety", "crs-1b", "1", "timer"),
		"another key":    New("another-signing-key-of-32-characters").Verify(mac, "safety", "crs-1", "b1", "timer"),
		"no key":         (*Seal)(nil).Verify(mac, "safety", "crs-1", "b1", "timer"),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
	if New("") != nil || (*Seal)(nil).Sum("x") != "" || (*Seal)(nil).Token("x", 1) != "" {
		t.Error("no key makes MACs")
	}
	h := s.Hex(8, "clone", "crs-1", "abcd")
	if len(h) != 8 || !s.VerifyHex(h, "clone", "crs-1", "abcd") || s.VerifyHex(h, "clone", "crs-1", "abce") || (*Seal)(nil).VerifyHex(h, "clone", "crs-1", "abcd") {
		t.Errorf("hex MAC %q", h)
	}
}

// A token round-trips its claims; any byte changed, another domain or key,
// or unknown claims are refused with the reason.
func TestTokenOpensOnlyUnchanged(t *testing.T) {
	type claims struct {
		A string `json:"a"`
		N int    `json:"n"`
	}
	s := New(key)
	tok := s.Token("plan", claims{"x", 7})
	var c claims
	if err := s.Open("plan", tok, &c); err != nil || c != (claims{"x", 7}) {
		t.Fatalf("open: %+v %v", c, err)
	}
	if err := s.Open("handoff", tok, &c); !errors.Is(err, ErrForged) {
		t.Errorf("another domain: %v", err)
	}
	if err := (*Seal)(nil).Open("plan", tok, &c); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v", err)
	}
	for i := 3; i < len(tok); i++ {
		b := []byte(tok)
		if b[i] == '.' {
			continue
		}
		b[i] ^= 1
		if err := s.Open("plan", string(b), &c); err == nil {
			t.Fatalf("byte %d changed: accepted", i)
		}
	}
	var other struct{ A string }
	if err := s.Open("plan", tok, &other); !errors.Is(err, ErrUnread) {
		t.Errorf("unknown claims: %v", err)
	}
	for _, bad := range []string{"", "v2.a.b", "v1.nodot", string(make([]byte, 5000))} {
		if err := s.Open("plan", bad, &c); !errors.Is(err, ErrMalformed) {
			t.Errorf("%.20q: %v", bad, err)
		}
	}
}
