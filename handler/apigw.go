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
	"redis-restore/internal/intent"
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
	c := &call{req: req}
	for _, r := range routes {
		if !r.match(c) {
			continue
		}
		if r.open {
			return r.serve(inv, ctx, c)
		}
		if refused, ok := inv.authenticated(c); !ok {
			return refused
		}
		if r.matchAuthenticated != nil && !r.matchAuthenticated(c) {
			continue
		}
		if err := r.takes.admits(c.who); err != nil {
			inv.log.Warn("webhook.refused", "detail", "webhook refused", "route", r.name, "reason", err.Error())
			return inv.gatewayResponse(inv.requestFailure(err))
		}
		return r.serve(inv, ctx, c)
	}
	inv.log.Warn("webhook.refused", "detail", "webhook refused", "reason", "method "+req.Method())
	return inv.gatewayResponse(inv.requestFailure(failure.E(failure.MethodNotAllowed, failure.Code("MethodNotAllowed"),
		fmt.Sprintf("method %s: only POST (a restore) and GET (its status) are accepted", req.Method()))))
}

// call is one HTTP call as the routes see it: the request, and once it is
// authenticated, its body (decoded) and who sent it.
type call struct {
	req   *events.APIGatewayRequest
	body  []byte
	b     body
	who   caller
	authd bool
}

// route is one kind of HTTP call the function answers. Every route but
// an open one is served only after the one authentication (authenticated);
// matchAuthenticated, where set, looks at the authenticated body.
type route struct {
	name               string
	match              func(*call) bool
	open               bool // its own proof: the approval link's token
	matchAuthenticated func(*call) bool
	takes              credential // whose credential it serves
	serve              func(inv *invocation, ctx context.Context, c *call) events.APIGatewayResponse
}

// credential is whose proof a route serves: the requesters' (the webhook's
// secret or basic auth), the approvers' (RESTORE_APPROVER_SECRET), or
// either. Applying a plan takes the approvers', so that whoever asked for
// a restore cannot also approve it; the approvers' does nothing else but
// read a status.
type credential int

const (
	requesters credential = iota
	approvers
	either
)

func (k credential) admits(who caller) error {
	switch {
	case k == approvers && !who.approver:
		return failure.E(failure.Forbidden, failure.Code("ApproverCredentialRequired"), failure.Field(SignatureHeader),
			"applying a plan takes the approvers' credential (a signature with RESTORE_APPROVER_SECRET) or the plan's link from the queue's planned message: the webhook's credential, which requesters hold, cannot approve")
	case k == requesters && who.approver:
		return failure.E(failure.Forbidden, failure.Code("RequesterCredentialRequired"), failure.Field(SignatureHeader),
			"the approvers' credential applies plans and reads status only: a restore request takes the webhook's credential")
	}
	return nil
}

// routes are the HTTP calls the function answers, the first that matches
// serving: a table, so that no path can go around the authentication.
var routes = []route{
	{name: "approval link", open: true, // ?approve=<plan token>: see approve.go
		match: func(c *call) bool { _, ok := approvalLink(c.req); return ok },
		serve: func(inv *invocation, ctx context.Context, c *call) events.APIGatewayResponse {
			token, _ := approvalLink(c.req)
			if c.req.Method() == http.MethodGet {
				return inv.confirmPage(token)
			}
			return inv.gatewayResponse(inv.approveLink(ctx, token))
		}},
	{name: "status", // where is my restore? see status.go
		match: func(c *call) bool { return c.req.Method() == http.MethodGet }, takes: either,
		serve: func(inv *invocation, ctx context.Context, c *call) events.APIGatewayResponse {
			return inv.status(ctx, c.req)
		}},
	{name: "approval", match: isPost, takes: approvers,
		matchAuthenticated: func(c *call) bool { _, _, ok, err := parseApproval(c.b); return ok || err != nil },
		serve: func(inv *invocation, ctx context.Context, c *call) events.APIGatewayResponse {
			token, force, _, err := parseApproval(c.b)
			return inv.gatewayResponse(inv.approve(ctx, token, force, err))
		}},
	{name: "callback check", match: isPost, // Cloud Monitor's check of a new callback address
		matchAuthenticated: func(c *call) bool { return isCallbackCheck(c.b) },
		serve: func(inv *invocation, _ context.Context, c *call) events.APIGatewayResponse {
			return inv.callbackCheck(c.b)
		}},
	{name: "restore", match: isPost, serve: (*invocation).restoreCall},
}

func isPost(c *call) bool { return c.req.Method() == http.MethodPost }

// authenticated is the one authentication of the webhook: the body read
// within its bound, then the caller's proof (a signature over the body, or
// over the query of a GET; or basic auth). Authentication comes before
// anything of the configuration is used or told: a caller who has not
// proved who it is learns only that. It reports false with the answer of
// a refused call.
func (inv *invocation) authenticated(c *call) (events.APIGatewayResponse, bool) {
	if c.authd {
		return events.APIGatewayResponse{}, true
	}
	req := c.req
	if len(req.Body) > MaxBodyBytes*4/3+4 {
		return inv.tooLarge(), false
	}
	body, err := req.RawBody()
	if err != nil {
		return inv.gatewayResponse(inv.requestFailure(invalid("body", err.Error()))), false
	}
	if len(body) > MaxBodyBytes {
		return inv.tooLarge(), false
	}
	auth, aerr := config.LoadWebhookAuth(inv.h.Getenv)
	if aerr != nil {
		inv.log.Error("config.webhookAuth.invalid", "detail", "webhook authentication settings are wrong: every webhook call is refused", "error", aerr.Error())
		return inv.gatewayResponse(inv.requestFailure(unauthenticated("not authenticated"))), false
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
		return inv.gatewayResponse(inv.requestFailure(err)), false
	}
	inv.log.Info("webhook.authenticated", "detail", "webhook authenticated", "method", who.method)
	c.body, c.b, c.who, c.authd = body, decodeBody(body), who, true
	return events.APIGatewayResponse{}, true
}

// restoreCall serves a restore request or an alarm: run here, or handed
// off to the function's own asynchronous invocation (handoff.go).
func (inv *invocation) restoreCall(ctx context.Context, c *call) events.APIGatewayResponse {
	inv.noteAlarmCallback(c.b)
	src := inv.webhookSource(c.who, c.req.Header(IdempotencyHeader), c.body)
	jobs := inv.jobs(c.b, src)
	if results, ok := inv.handOff(ctx, c.b, src, jobs, wantsWait(c.req.QueryString)); ok {
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
func (inv *invocation) gatewayResponse(results []intent.Result) events.APIGatewayResponse {
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
			results[i].Error = &intent.ErrorBody{Code: r.Error.Code,
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
