package seal_test

import (
	"testing"

	"redis-restore/internal/seal"
)

// A MAC shorter than a name's 8 hex digits proves nothing: VerifyHex takes
// the length to check from the MAC it is given, so "" verifies for any
// parts, and one hex digit in 16 does. Today every caller checks the
// length first (DrillOf, SwitchOf, CloneSource: len(rest) != 16); the
// next caller that does not is forgeable by anyone.
func TestVerifyHexRefusesShortMACs(t *testing.T) {
	s := seal.New("review-signing-key-0123456789abcdefghij")
	if s.VerifyHex("", "drill", "crs-victim01", "656c2a00") {
		t.Error(`VerifyHex("") is true for parts the key never signed`)
	}
	for _, d := range "0123456789abcdef" {
		if s.VerifyHex(string(d), "drill", "crs-victim01", "656c2a00") {
			t.Errorf("VerifyHex(%q), one hex digit, is true for parts the key never signed", d)
		}
	}
}
