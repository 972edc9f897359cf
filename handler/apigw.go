package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"redis-restore/events"
	"redis-restore/internal/failure"
	"redis-restore/internal/restore"
)

// IdempotencyHeader lets a webhook caller name its request, so that sending
// it again does not restore again.
const IdempotencyHeader = "Idempotency-Key"

// apigw handles an API gateway request: method, size and authentication
// first, each refused before the body is parsed.
func (inv *invocation) apigw(ctx context.Context, payload []byte) events.APIGatewayResponse {
	var req events.APIGatewayRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return inv.gatewayResponse(inv.requestFailure(failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), "API gateway event: "+err.Error())))
	}
	inv.log = inv.log.With("gatewayRequestId", req.RequestID(), "sourceIp", sourceIP(&req))
	if req.Method() != http.MethodPost {
		inv.log.Warn("webhook refused", "reason", "method "+req.Method())
		return inv.gatewayResponse(inv.requestFailure(failure.E(failure.MethodNotAllowed, failure.Code("MethodNotAllowed"),
			fmt.Sprintf("method %s: only POST is accepted", req.Method()))))
	}
	if len(req.Body) > MaxBodyBytes*4/3+4 {
		return inv.tooLarge()
	}
	body, err := req.RawBody()
	if err != nil {
		return inv.gatewayResponse(inv.requestFailure(failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), failure.Field("body"), err.Error())))
	}
	if len(body) > MaxBodyBytes {
		return inv.tooLarge()
	}
	who, err := authenticate(inv.cfg, req.Header, body, inv.h.Now())
	if err != nil {
		inv.log.Warn("webhook refused", "reason", err.Error())
		return inv.gatewayResponse(inv.requestFailure(err))
	}
	inv.log.Info("webhook authenticated", "method", who.method)
	inv.noteAlarmCallback(body)

	src := source{trigger: inv.kind.String()}
	if key := strings.TrimSpace(req.Header(IdempotencyHeader)); key != "" {
		// The same key through API gateway or the function URL is the
		// same request.
		src.key = "apigw:" + key
		// A signed call says when it was made: restores since then are
		// this call's, also when it reaches a fresh container.
		src.since = who.signedAt
	}
	return inv.gatewayResponse(inv.body(ctx, body, src))
}

func (inv *invocation) tooLarge() events.APIGatewayResponse {
	inv.log.Warn("webhook refused", "reason", "body too large")
	return inv.gatewayResponse(inv.requestFailure(failure.E(failure.TooLarge, failure.Code("RequestTooLarge"),
		fmt.Sprintf("body is larger than %d bytes", MaxBodyBytes))))
}

// gatewayResponse is the integration response for results.
func (inv *invocation) gatewayResponse(results []restore.Result) events.APIGatewayResponse {
	inv.logSummary(results)
	for _, r := range results {
		if r.Undelivered {
			// API gateway does not retry: the caller has the TaskId in the
			// answer, and the ERROR line was logged by the restore.
			inv.log.Error("TaskId returned to the caller only", "instanceId", r.InstanceID, "taskId", r.TaskID)
		}
	}
	if inv.callback != nil {
		return inv.callbackResponse(results)
	}
	body, _ := json.Marshal(Response{Results: results})
	return events.APIGatewayResponse{
		StatusCode: httpStatus(results),
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}
}

func sourceIP(r *events.APIGatewayRequest) string {
	if r.RequestContext != nil {
		return r.RequestContext.SourceIP
	}
	return ""
}
