package handler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/verify"
)

// verifier checks restored data with internal/verify, read-only and
// bounded in time, against what the backup held: Cloud Monitor's key
// count of the instance at the backup's start (docs/data.md says why this
// source). When Cloud Monitor cannot say (refused, no point), the check
// goes on with what it has and says the expected keys are unknown: it
// never fails a restore for it.
type verifier struct {
	counts keyCounts // nil: the expected keys are unknown
}

// keyCounts reads an instance's key count at a time: *cloud.Session.
type keyCounts interface {
	KeysAt(ctx context.Context, region, instanceID string, at time.Time) (cloud.KeyCount, error)
}

const (
	// keysTolerance: a restored instance holding fewer than 90% of the
	// keys the backup held is suspect. Only fewer: Cloud Monitor's point
	// is up to a period before the backup (writes in between add keys),
	// and the application writes after the restore too. Expiries and
	// deletions between the point and the backup are what the 10% allows.
	keysTolerance = 0.10
	// keysTimeout bounds the GetMonitorData call.
	keysTimeout = 5 * time.Second
)

func (vf verifier) Verify(ctx context.Context, addr, password string, want intent.Expectation) (intent.Verification, error) {
	expect := verify.Expect{CanaryKey: want.CanaryKey, BackupTime: want.BackupTime, CanaryMaxAge: want.CanaryMaxAge}
	expected, from := vf.expectedKeys(ctx, want)
	if expected != nil {
		expect.Keys, expect.KeysKnown, expect.Tolerance, expect.FewerOnly = *expected, true, keysTolerance, true
	}
	res, err := verify.Check(ctx, addr, password, expect)
	v := intent.Verification{Checked: err == nil, Verified: res.Verified, Keys: res.Keys, Reason: res.Reason,
		ExpectedKeys: expected, ExpectedKeysFrom: from}
	if !res.DataAsOf.IsZero() {
		t := res.DataAsOf.UTC().Truncate(time.Second)
		v.DataAsOf = &t
	}
	if err == nil && !expect.KeysKnown && expect.CanaryKey == "" {
		// Read, but compared with nothing: not a check, and no reason
		// to call the data suspect.
		v.Checked, v.Reason = false, "nothing to compare the "+fmt.Sprint(res.Keys)+" keys with: the expected keys are "+from+", and no RESTORE_CANARY_KEY"
		return v, failure.E(failure.Unavailable, v.Reason)
	}
	return v, err
}

// expectedKeys is the instance's key count at the backup's start, by
// Cloud Monitor, and where it comes from; nil and why when unknown.
func (vf verifier) expectedKeys(ctx context.Context, want intent.Expectation) (*int64, string) {
	switch {
	case vf.counts == nil:
		return nil, "unknown: no Cloud Monitor client"
	case want.BackupTime.IsZero():
		return nil, "unknown: the restored backup's time is not known (no safety backup names the backup, or it is no longer listed)"
	}
	ctx, cancel := context.WithTimeout(ctx, keysTimeout)
	defer cancel()
	kc, err := vf.counts.KeysAt(ctx, want.Region, want.InstanceID, want.BackupTime)
	if err != nil {
		var fe *failure.Error
		if errors.As(err, &fe) && fe.Kind == failure.NotFound {
			return nil, "unknown: " + fe.Message
		}
		return nil, "unknown: Cloud Monitor did not answer: " + err.Error()
	}
	return &kc.Keys, fmt.Sprintf("Cloud Monitor's key count (QCE/REDIS_MEM Keys) of the %d s period from %s, the last at or before the backup's start %s",
		int64(kc.Period/time.Second), kc.At.UTC().Format(time.RFC3339), want.BackupTime.UTC().Format(time.RFC3339))
}
