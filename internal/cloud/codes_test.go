package cloud

import (
	"testing"

	"redis-restore/internal/failure"
)

func TestKindOfCodeForTheSeedDocument(t *testing.T) {
	want := map[string]failure.Kind{
		"FailedOperation.SystemError":                failure.Transient,
		"InternalError.InternalError":                failure.Transient,
		"InvalidParameter.InvalidParameter":          failure.Invalid,
		"InvalidParameter.PermissionDenied":          failure.Forbidden,
		"InvalidParameterValue.BackupNotExists":      failure.NotFound,
		"InvalidParameterValue.PasswordError":        failure.Invalid,
		"ResourceNotFound.InstanceNotExists":         failure.NotFound,
		"ResourceUnavailable.BackupLockedError":      failure.Locked,
		"ResourceUnavailable.BackupSpecError":        failure.Unavailable,
		"ResourceUnavailable.BackupStatusAbnormal":   failure.Unavailable,
		"ResourceUnavailable.InstanceLockedError":    failure.Locked,
		"ResourceUnavailable.InstanceStateError":     failure.Unavailable,
		"ResourceUnavailable.InstanceStatusAbnormal": failure.Unavailable,
		"UnauthorizedOperation.NoCAMAuthed":          failure.Forbidden,
		"RequestLimitExceeded":                       failure.Transient,
		"ResourceInUse.InstanceBeenLocked":           failure.Locked,
		"Something.New":                              failure.Upstream,
	}
	for code, k := range want {
		if got := kindOfCode(code); got != k {
			t.Errorf("%s: %s, want %s", code, got, k)
		}
	}
}

// The data flow's codes, from CMQ's common error codes page, with the
// module code its message starts with.
func TestKindOfDataflowCode(t *testing.T) {
	cases := []struct {
		code    int
		message string
		want    failure.Kind
	}{
		{4420, "(10250) qps throttling", failure.Transient},
		{4480, "(10460) exceed interface frequency limit, please slow down", failure.Transient},
		{6000, "(10050) server internal error", failure.Transient},
		{4100, "(10030) authentication failed", failure.Forbidden},
		{4100, "(10270) secret id is not existed", failure.Forbidden},
		{4440, "(10100) queue is not existed, or deleted", failure.NotFound},
		{4000, "(10100) queue is not existed, or deleted", failure.NotFound},
		{4000, "(10600) topic is not existed, or deleted", failure.NotFound},
		{4000, "(10461) no cam authentication", failure.Forbidden},
		{4000, "(10120) message body can't be empty", failure.Invalid},
		{4000, "no module code", failure.Invalid},
		{4300, "(10040) charge overdue", failure.Unavailable},
		{5999, "something new", failure.Upstream},
	}
	for _, c := range cases {
		if got := kindOfDataflowCode(c.code, c.message); got != c.want {
			t.Errorf("%d %q: %s, want %s", c.code, c.message, got, c.want)
		}
	}
}
