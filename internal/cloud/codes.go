package cloud

import (
	"strconv"
	"strings"

	"redis-restore/internal/failure"
)

// kindOfCode classifies a Tencent Cloud API error code. It covers the codes
// of RestoreInstance's document, the Redis SDK's errors.go, the common
// error codes, and the SDK's own ClientError codes.
func kindOfCode(code string) failure.Kind {
	if k, ok := exactCodes[code]; ok {
		return k
	}
	for _, p := range prefixCodes {
		if strings.HasPrefix(code, p.prefix) {
			return p.kind
		}
	}
	return failure.Upstream
}

var exactCodes = map[string]failure.Kind{
	"RequestLimitExceeded":                              failure.Transient,
	"RequestLimitExceeded.UinLimitExceeded":             failure.Transient,
	"RequestLimitExceeded.GlobalRegionUinLimitExceeded": failure.Transient,
	"FailedOperation.SystemError":                       failure.Transient,
	"InternalError.NetWorkErr":                          failure.Transient,
	"InternalError.ExecHttpRequestError":                failure.Transient,
	"ServiceUnavailable":                                failure.Transient,
	"ClientError.NetworkError":                          failure.Transient,
	"ClientError.HttpStatusCodeError":                   failure.Transient,
	"ClientError.IOError":                               failure.Transient,
	"InternalError.InstanceOperatePermissionError":      failure.Forbidden,
	"InternalError.CamAuthOssResponseReturnCodeError":   failure.Forbidden,
	"InvalidParameter.PermissionDenied":                 failure.Forbidden,
	"InvalidParameterValue.BackupNotExists":             failure.NotFound,
	"InvalidParameterValue.ReplicationGroupNotExists":   failure.NotFound,
	"InvalidParameterValue.PasswordError":               failure.Invalid,
	"InvalidParameterValue.PasswordEmpty":               failure.Invalid,
	"InvalidParameterValue.PasswordFreeDenied":          failure.Invalid,
	"ResourceUnavailable.BackupLockedError":             failure.Locked,
	"ResourceUnavailable.InstanceLockedError":           failure.Locked,
	"LimitExceeded.ReplicationGroupLocked":              failure.Locked,
	"ResourceUnavailable.InstanceDeleted":               failure.NotFound,
	"UnsupportedOperation":                              failure.Unavailable,
	"ClientError.ParseJsonError":                        failure.Upstream,
	"AuthFailure.SignatureExpire":                       failure.Unauthenticated,
}

var prefixCodes = []struct {
	prefix string
	kind   failure.Kind
}{
	{"InternalError", failure.Transient},
	{"ResourceInUse", failure.Locked},
	{"ResourceNotFound", failure.NotFound},
	{"ResourceUnavailable", failure.Unavailable},
	{"UnsupportedOperation", failure.Unavailable},
	{"ResourceInsufficient", failure.Unavailable},
	{"LimitExceeded", failure.Unavailable},
	{"FailedOperation", failure.Upstream},
	{"AuthFailure", failure.Forbidden},
	{"UnauthorizedOperation", failure.Forbidden},
	{"OperationDenied", failure.Forbidden},
	{"InvalidParameterValue", failure.Invalid},
	{"InvalidParameter", failure.Invalid},
	{"MissingParameter", failure.Invalid},
	{"UnknownParameter", failure.Invalid},
	{"InvalidAction", failure.Config},
	{"UnsupportedRegion", failure.Config},
	{"InvalidCredential", failure.Forbidden},
}

// kindOfDataflowCode classifies an error answer of CMQ's HTTP data flow
// (dataflow.go): its code, and the module code its message starts with,
// "(10100) ...", from CMQ's common error codes page.
func kindOfDataflowCode(code int, message string) failure.Kind {
	switch code {
	case 4420, 4480: // qps throttling; exceed interface frequency limit
		return failure.Transient
	case 4440: // the queue or topic does not exist
		return failure.NotFound
	case 4100: // authentication failed, a SecretId unknown or disabled
		return failure.Forbidden
	case 4300: // the account is overdue
		return failure.Unavailable
	case 6000: // server internal error
		return failure.Transient
	case 4000:
		switch dataflowModule(message) {
		case 10100, 10600: // the queue, the topic does not exist
			return failure.NotFound
		case 10440, 10461: // not an account that may; no CAM authorisation
			return failure.Forbidden
		}
		return failure.Invalid
	}
	return failure.Upstream
}

// dataflowModule reads the module code a data flow error message starts
// with, "(10461) no cam authentication"; 0 if none.
func dataflowModule(message string) int {
	rest, ok := strings.CutPrefix(strings.TrimSpace(message), "(")
	if !ok {
		return 0
	}
	num, _, ok := strings.Cut(rest, ")")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if !ok || err != nil {
		return 0
	}
	return n
}
