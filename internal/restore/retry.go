package restore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/smithy-go/waiter"

	"redis-restore/internal/failure"
)

// errSettled ends attempts when a look at the cloud settled the matter.
var errSettled = errors.New("settled by a look at the cloud")

type sendCheckKey struct{}

// withSendCheck gives a call that may start work the check it must pass
// the moment it is sent: after the client's wait for the rate limit, which
// can be long (a container's share of the role's limit), and during which
// another delivery's restore may start, and on a fast cloud even end.
func withSendCheck(ctx context.Context, check func() error) context.Context {
	return context.WithValue(ctx, sendCheckKey{}, check)
}

// SendCheck is the check a call must pass right before it is sent, if its
// caller set one; the cloud client runs it after its rate limiter's wait,
// and sends nothing if it fails.
func SendCheck(ctx context.Context) func() error {
	f, _ := ctx.Value(sendCheckKey{}).(func() error)
	return f
}

// attempts is the one retry loop of the function. It calls f until f
// succeeds, fails for good by its error's kind, or the deadline nears,
// pausing between attempts by kind (giveUp). A call safe to repeat (a
// read, the outcome message, whose copies carry one id) passes no look: see
// retry. A call that may start work (RestoreInstance, ManualBackupInstance,
// CloneInstances) passes look: before every attempt after a failed one,
// after the pause (so that work that began, or even ended, meanwhile is
// seen), look(last) says whether the failures so far settled the matter:
// the work was found, or whether it began cannot be told; then attempts
// ends with errSettled and never calls again. attempts returns the last
// attempt's error, and when it gave up, why (stop).
func attempts[T any](ctx context.Context, s *Service, f func() (T, error), look func(last *failure.Error) bool) (v T, last *failure.Error, stop error) {
	var lockedSince time.Time
	for n := int64(1); ; n++ {
		if last != nil && look != nil && look(last) {
			return v, last, errSettled
		}
		var err error
		if v, err = f(); err == nil {
			return v, nil, nil
		} else if errors.Is(err, errSettled) {
			return v, last, errSettled
		}
		last = failure.As(err)
		if stop = s.giveUp(ctx, last, n, &lockedSince); stop != nil {
			return v, last, stop
		}
	}
}

// Retry is attempts for a call that is safe to repeat: it returns the last
// attempt's error when it gives up.
func Retry[T any](ctx context.Context, s *Service, f func() (T, error)) (T, error) {
	v, last, stop := attempts(ctx, s, f, nil)
	if stop != nil {
		return v, last
	}
	return v, nil
}

// giveUp decides after a failed attempt: nil after pausing for the next
// one, or the error to report.
func (s *Service) giveUp(ctx context.Context, e *failure.Error, attempt int64, lockedSince *time.Time) error {
	switch e.Kind.Retry() {
	case failure.Never:
		return e
	case failure.Briefly:
		if lockedSince.IsZero() {
			*lockedSince = s.Now()
		}
		if s.Now().Sub(*lockedSince) >= s.Settings.LockRetry {
			return failure.E(e, fmt.Sprintf("%s, still after retrying for %s", e.Message, s.Settings.LockRetry))
		}
	}
	if err := s.pause(ctx, attempt); err != nil {
		return failure.E(e.Kind, failure.Code(e.Code), fmt.Sprintf("%s; gave up after %d attempts: %v", e.Message, attempt, err))
	}
	return nil
}

// pause waits before the next attempt, with exponential backoff and
// jitter, or says there is no time left for one before ctx's deadline.
func (s *Service) pause(ctx context.Context, attempt int64) error {
	minD, maxD := s.MinDelay, s.MaxDelay
	if minD == 0 {
		minD = defaultMinDelay
	}
	if maxD == 0 {
		maxD = defaultMaxDelay
	}
	remaining := time.Hour
	if dl, ok := ctx.Deadline(); ok {
		remaining = dl.Sub(s.Now())
	}
	d, err := waiter.ComputeDelay(attempt, minD, maxD, remaining)
	if err != nil {
		return err
	}
	if remaining-d < minAttemptTime {
		return fmt.Errorf("the invocation's deadline is too near for another attempt")
	}
	return s.Sleep(ctx, d)
}

// minAttemptTime is the least time worth starting an attempt with.
const minAttemptTime = 100 * time.Millisecond

// Time kept from the invocation's deadline: for answering the caller, and
// before that for putting the outcome on the queue. A short timeout keeps
// a share of its time instead.
const (
	answerReserve  = 500 * time.Millisecond
	messageReserve = 2*time.Second + answerReserve
	// verifyReserve is kept from the RestoreInstance attempts for a last
	// look at the task list after an unclear answer.
	verifyReserve = 1500 * time.Millisecond
	// lookAgainAfter: when the last look at the task list is this old as
	// a RestoreInstance call is sent, the task list is read once more.
	lookAgainAfter = time.Second
)

// withReserve ends ctx reserve before its deadline, or a quarter of the
// time left before it if that is less.
func withReserve(ctx context.Context, now time.Time, reserve time.Duration) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	if left := dl.Sub(now); reserve > left/4 {
		reserve = left / 4
	}
	return context.WithDeadline(ctx, dl.Add(-reserve))
}
