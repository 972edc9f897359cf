package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"

	"redis-restore/internal/failure"
)

// SCF has no product module on this machine's module proxy either: its
// actions go through the common module's CommonClient, as SSM's do.
const (
	scfService = "scf"
	scfVersion = "2018-04-16"

	// MaxAsyncEvent is the largest event an asynchronous Invoke takes.
	MaxAsyncEvent = 128 << 10
)

// SCF sends one SCF action with params and decodes the answer's Response
// object into out (which may be nil). Errors are classified like every
// other call's: the API's code in a *failure.Error.
func (s *Session) SCF(ctx context.Context, region, action string, params map[string]any, out any) error {
	body, err := s.common(ctx, scfService, scfVersion, region, action, params)
	if err != nil || out == nil {
		return err
	}
	if err := decodeResponse(body, out); err != nil {
		return failure.E(failure.Upstream, failure.Code("BadAnswer"), fmt.Sprintf("%s: unreadable answer: %v", action, err))
	}
	return nil
}

// common sends one action of a product the SDK has no module for here
// (SCF, SSM) through the common module's CommonClient, and returns the
// answer's body.
func (s *Session) common(ctx context.Context, service, version, region, action string, params map[string]any) ([]byte, error) {
	c := s.cached(service, region, func() *common.Client {
		c := common.NewCommonClient(s.cred, region, s.profile())
		s.prepare(c)
		return c
	})
	req := tchttp.NewCommonRequest(service, version, action)
	if err := req.SetActionParameters(params); err != nil {
		return nil, failure.E(failure.Internal, failure.Code(failure.CodeInternal), action+": cannot build the request", err)
	}
	req.SetContext(ctx)
	resp := tchttp.NewCommonResponse()
	if err := s.call(ctx, c, action, req, resp); err != nil {
		return nil, err
	}
	return resp.GetBody(), nil
}

// decodeResponse reads {"Response": {...}} into out, or the inner object
// alone (as some SDK builds hand it back).
func decodeResponse(body []byte, out any) error {
	var outer struct {
		Response json.RawMessage `json:"Response"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		return errors.New("not JSON")
	}
	inner := []byte(outer.Response)
	if len(inner) == 0 || string(inner) == "null" {
		inner = body
	}
	return json.Unmarshal(inner, out)
}

// InvokeAsync hands event to a function for asynchronous execution (SCF
// Invoke with InvocationType "Event") and returns the invocation's
// FunctionRequestId. SCF retries an execution error twice, so the function
// must treat the event idempotently. An empty namespace is "default", an
// empty qualifier "$LATEST".
func (s *Session) InvokeAsync(ctx context.Context, region, namespace, function, qualifier string, event []byte) (string, error) {
	const action = "Invoke"
	switch {
	case function == "":
		return "", failure.InvalidField("FunctionName", action+": no function named")
	case len(event) > MaxAsyncEvent:
		return "", failure.E(failure.Invalid, failure.Code("EventTooLarge"), failure.Field("ClientContext"),
			fmt.Sprintf("%s: the event is %d bytes, more than the %d an asynchronous invocation takes", action, len(event), MaxAsyncEvent))
	case !json.Valid(event):
		return "", failure.E(failure.Invalid, failure.Code("EventNotJSON"), failure.Field("ClientContext"), action+": the event is not JSON")
	}
	params := map[string]any{
		"FunctionName":   function,
		"InvocationType": "Event",
		"ClientContext":  string(event), // a JSON string, not an object
	}
	if namespace != "" {
		params["Namespace"] = namespace
	}
	if qualifier != "" {
		params["Qualifier"] = qualifier
	}
	var answer struct {
		Result *struct {
			FunctionRequestID string `json:"FunctionRequestId"`
		} `json:"Result"`
		RequestID string `json:"RequestId"`
	}
	if err := s.SCF(ctx, region, action, params, &answer); err != nil {
		return "", err
	}
	if answer.Result == nil || answer.Result.FunctionRequestID == "" {
		return "", &failure.Error{Kind: failure.Upstream, Code: "MissingFunctionRequestId", Message: action + " answered without Result.FunctionRequestId", RequestID: answer.RequestID}
	}
	return answer.Result.FunctionRequestID, nil
}
