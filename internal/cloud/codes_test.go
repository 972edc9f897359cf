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
