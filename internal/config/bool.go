package config

import (
	"fmt"
	"strings"
)

// ParseBool reads a yes-or-no value the one way the project reads every
// one: a setting (RESTORE_DRY_RUN), a tool's flag (-dry-run=TRUE) or a
// Makefile variable handed to it (make deploy DRY_RUN=yes). It takes true,
// false, 1, 0, yes, no, on and off in any case, with spaces around; any
// other value, the empty one included, is an error, never false: a dry
// run written DRY_RUN=TRUE must not run for real.
func ParseBool(raw string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a yes or no: write true, false, 1, 0, yes, no, on or off", raw)
}

// BoolFlag is a flag.Value read with ParseBool: -dry-run alone is true,
// -dry-run=TRUE and -dry-run=no say so, -dry-run=maybe is refused with
// the flag's name (the flag package adds it).
type BoolFlag bool

// Set implements flag.Value.
func (b *BoolFlag) Set(s string) error {
	v, err := ParseBool(s)
	*b = BoolFlag(v)
	return err
}

func (b *BoolFlag) String() string { return fmt.Sprint(b != nil && bool(*b)) }

// IsBoolFlag lets the flag stand alone (-dry-run), as the flag package's
// own booleans do.
func (b *BoolFlag) IsBoolFlag() bool { return true }
