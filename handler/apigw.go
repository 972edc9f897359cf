package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"redis-restore/events"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
	"redis-restore/internal/restore"
)

// IdempotencyHeader lets a webhook caller name its request, so that sending
// it again does not restore again.
const IdempotencyHeader = "Idempotency-Key"

// apigw handles an HTTP call, API gateway's or a function URL's (see
// functionurl.go): method, size and authentication first, each refused
// before the body is parsed.
func (inv *invocation) apigw(ctx context.Context, ev event) events.APIGatewayResponse {
	what := map[Kind]string{APIGateway: "API gateway event", FunctionURL: "function URL event"}[inv.kind]
	req := &events.APIGatewayRequest{}
	if err := decodeFields(ev.obj, req, ""); err != nil {
		inv.log.Warn("event.invalid", "detail", what+" not understood", "error", err.Error())
		return inv.gatewayResponse(inv.requestFailure(failure.E(err, what+": "+failure.As(err).Message)))
	}
	if inv.kind == FunctionURL {
		// The client's address, for the logs: the platform's
		// x-scf-remote-addr, not a header the caller could set on its own
		// (such as X-Forwarded-For).
		inv.log = inv.log.With("remoteAddr", strings.TrimSpace(req.Header(events.RemoteAddrHeader)))
	}
	inv.log = inv.log.With("gatewayRequestId", req.RequestID(), "sourceIp", sourceIP(req))
	// A signed approval link (?approve=<plan token>) is its own proof:
	// see approve.go.
	if token, ok := approvalLink(req); ok {
		if req.Method() == http.MethodGet {
			return inv.confirmPage(token)
		}
		return inv.gatewayResponse(inv.approveLink(ctx, token))
	}
	if req.Method() != http.MethodPost && req.Method() != http.MethodGet { // GET: status.go
		inv.log.Warn("webhook.refused", "detail", "webhook refused", "reason", "method "+req.Method())
		return inv.gatewayResponse(inv.requestFailure(failure.E(failure.MethodNotAllowed, failure.Code("MethodNotAllowed"),
			fmt.Sprintf("method %s: only POST (a restore) and GET (its status) are accepted", req.Method()))))
	}
	if len(req.Body) > MaxBodyBytes*4/3+4 {
		return inv.tooLarge()
	}
	body, err := req.RawBody()
	if err != nil {
		return inv.gatewayResponse(inv.requestFailure(invalid("body", err.Error())))
	}
	if len(body) > MaxBodyBytes {
		return inv.tooLarge()
	}
	// Authentication comes before anything of the configuration is used
	// or told: a caller who has not proved who it is learns only that.
	auth, aerr := config.LoadWebhookAuth(inv.h.Getenv)
	if aerr != nil {
		inv.log.Error("config.webhookAuth.invalid", "detail", "webhook authentication settings are wrong: every webhook call is refused", "error", aerr.Error())
		return inv.gatewayResponse(inv.requestFailure(unauthenticated("not authenticated")))
	}
	signed := body
	if req.Method() == http.MethodGet {
		// A GET's signature covers its query: one signature must not
		// answer any question for its five minutes.
		signed = []byte(CanonicalQuery(queryValues(req)))
	}
	who, err := authenticate(auth, req.Header, signed, inv.h.Now())
	if err != nil {
		inv.log.Warn("webhook.refused", "detail", "webhook refused", "reason", err.Error())
		return inv.gatewayResponse(inv.requestFailure(err))
	}
	inv.log.Info("webhook.authenticated", "detail", "webhook authenticated", "method", who.method)
	if req.Method() == http.MethodGet {
		return inv.status(ctx, req) // where is my restore? see status.go
	}
	b := decodeBody(body)
	if token, force, ok, err := parseApproval(b); ok || err != nil {
		return inv.gatewayResponse(inv.approve(ctx, token, force, err))
	}
	if isCallbackCheck(b) {
		return inv.callbackCheck(b)
	}
	inv.noteAlarmCallback(b)
	src := inv.webhookSource(who, req.Header(IdempotencyHeader), body)
	jobs := inv.jobs(b, src)
	if results, ok := inv.handOff(ctx, b, src, jobs, wantsWait(req.QueryString)); ok {
		return inv.gatewayResponse(results)
	}
	return inv.gatewayResponse(inv.run(ctx, jobs))
}

func (inv *invocation) tooLarge() events.APIGatewayResponse {
	inv.log.Warn("webhook.refused", "detail", "webhook refused", "reason", "body too large")
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
			inv.log.Error("outcome.callerOnly", "detail", "TaskId returned to the caller only", "instanceId", r.InstanceID, "taskId", r.TaskID)
		}
	}
	for i, r := range results {
		if r.Kind == failure.Config && r.Error != nil {
			// The caller is authenticated, but the configuration's details
			// are the operator's: they are in the log, in full.
			results[i].Error = &restore.ErrorBody{Code: r.Error.Code,
				Message: "the function's configuration is wrong: its log says why (requestId " + inv.requestID + ")"}
		}
	}
	if inv.callback != nil {
		return inv.callbackResponse(results)
	}
	return jsonResponse(httpStatus(results), Response{Results: results})
}

// jsonResponse is an integration response whose body is v as JSON.
func jsonResponse(status int, v any) events.APIGatewayResponse {
	body, _ := json.Marshal(v)
	return events.APIGatewayResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}
}

func sourceIP(r *events.APIGatewayRequest) string {
	if r.RequestContext != nil {
		return r.RequestContext.SourceIP
	}
	return ""
}
