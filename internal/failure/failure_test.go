package failure

import (
	"errors"
	"testing"
)

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
