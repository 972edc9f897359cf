package handler

import (
	"context"
	"time"

	"redis-restore/internal/restore"
	"redis-restore/internal/verify"
)

// verifier checks restored data with internal/verify, read-only and
// bounded in time.
type verifier struct{}

func (verifier) Verify(ctx context.Context, addr, password string, want restore.Expectation) (restore.Verification, error) {
	res, err := verify.Check(ctx, addr, password, verify.Expect{
		CanaryKey: want.CanaryKey, BackupTime: want.BackupTime, CanaryMaxAge: want.CanaryMaxAge,
	})
	v := restore.Verification{Checked: err == nil, Verified: res.Verified, Keys: res.Keys, Reason: res.Reason}
	if !res.DataAsOf.IsZero() {
		t := res.DataAsOf.UTC().Truncate(time.Second)
		v.DataAsOf = &t
	}
	return v, err
}
