package failure

import (
	"errors"
	"testing"
)

func TestKindOfCodeForTheSeedDocument(t *testing.T) {
	want := map[string]Kind{
		"FailedOperation.SystemError":                Transient,
		"InternalError.InternalError":                Transient,
		"InvalidParameter.InvalidParameter":          Invalid,
		"InvalidParameter.PermissionDenied":          Forbidden,
		"InvalidParameterValue.BackupNotExists":      NotFound,
		"InvalidParameterValue.PasswordError":        Invalid,
		"ResourceNotFound.InstanceNotExists":         NotFound,
		"ResourceUnavailable.BackupLockedError":      Locked,
		"ResourceUnavailable.BackupSpecError":        Unavailable,
		"ResourceUnavailable.BackupStatusAbnormal":   Unavailable,
		"ResourceUnavailable.InstanceLockedError":    Locked,
		"ResourceUnavailable.InstanceStateError":     Unavailable,
		"ResourceUnavailable.InstanceStatusAbnormal": Unavailable,
		"UnauthorizedOperation.NoCAMAuthed":          Forbidden,
		"RequestLimitExceeded":                       Transient,
		"ResourceInUse.InstanceBeenLocked":           Locked,
		"Something.New":                              Upstream,
	}
	for code, k := range want {
		if got := KindOfCode(code); got != k {
			t.Errorf("%s: %s, want %s", code, got, k)
		}
	}
}

func TestKindDecidesStatusAndRetry(t *testing.T) {
	cases := []struct {
		k      Kind
		status int
		retry  Retry
	}{
		{Invalid, 400, Never}, {Unauthenticated, 401, Never}, {Forbidden, 403, Never}, {NotFound, 404, Never},
		{Locked, 409, Briefly}, {Unavailable, 409, Never}, {Transient, 503, Backoff}, {Upstream, 502, Never},
		{Config, 500, Never}, {MethodNotAllowed, 405, Never}, {TooLarge, 413, Never},
	}
	for _, c := range cases {
		if c.k.HTTPStatus() != c.status || c.k.Retry() != c.retry {
			t.Errorf("%s: %d %v", c.k, c.k.HTTPStatus(), c.k.Retry())
		}
	}
}

func TestEInheritsFromItsCause(t *testing.T) {
	inner := E(NotFound, Code("ResourceNotFound.InstanceNotExists"), "no such instance")
	outer := E("while restoring", inner)
	if KindOf(outer) != NotFound || As(outer).Code != "ResourceNotFound.InstanceNotExists" || !errors.Is(outer, inner) {
		t.Errorf("outer %+v", As(outer))
	}
	if As(errors.New("plain")).Kind != Internal {
		t.Error("a plain error is not Internal")
	}
}
