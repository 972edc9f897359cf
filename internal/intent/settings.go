package intent

import (
	"fmt"
	"strings"
	"time"
)

// Budget is how many restores of one instance may start within a window,
// counted from the cloud's own task list. A zero Limit is no budget.
type Budget struct {
	Limit  int
	Window time.Duration
}

// Off reports whether the budget is disabled.
func (b Budget) Off() bool { return b.Limit <= 0 }

func (b Budget) String() string {
	if b.Off() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", b.Limit, b.WindowString())
}

// WindowString prints the window as it is usually written: 1h, not 1h0m0s.
func (b Budget) WindowString() string {
	s := b.Window.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
