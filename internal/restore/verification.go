package restore

import (
	"context"

	"redis-restore/internal/intent"
)

// Verifier checks an instance's data: internal/verify, wired by the
// handler. Its errors say the check could not be made.
type Verifier interface {
	Verify(ctx context.Context, addr, password string, want intent.Expectation) (intent.Verification, error)
}
