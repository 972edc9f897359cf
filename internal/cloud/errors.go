package cloud

import (
	"context"
	"errors"
	"strings"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"

	"redis-restore/internal/failure"
)

// classify turns whatever the SDK returned into a *failure.Error with its
// Kind, keeping the API's code, message and RequestId.
func classify(action string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return failure.E(failure.Transient, failure.Code(failure.CodeDeadlineExceeded), action+": the invocation's deadline came first", err)
	}
	var sdk *tcerr.TencentCloudSDKError
	if !errors.As(err, &sdk) {
		return failure.E(failure.Transient, failure.Code(failure.CodeNetworkError), action+": "+err.Error(), err)
	}
	e := &failure.Error{
		Kind:      kindOfCode(sdk.Code),
		Code:      sdk.Code,
		Message:   sdk.Message,
		RequestID: sdk.RequestId,
		Err:       err,
	}
	switch {
	case sdk.Code == "ClientError.NetworkError":
		e.Message = action + ": network error: " + sdk.Message
		if cause := errors.Unwrap(sdk); cause != nil {
			e.Message = action + ": network error: " + cause.Error()
		}
	case strings.HasPrefix(sdk.Code, "ClientError.ParseJsonError"),
		sdk.Code == "ClientError.HttpStatusCodeError":
		// The answer was garbled or was an HTTP error page (a gateway's
		// 502, say): transient, and for RestoreInstance it leaves the
		// outcome unknown. The body is not repeated: it is not ours to log.
		e.Kind = failure.Transient
		e.Message = action + ": unreadable answer from the API"
	}
	return e
}
