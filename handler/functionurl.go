package handler

import (
	"context"

	"redis-restore/events"
	"redis-restore/internal/failure"
)

// functionURL handles a function URL call. Its event is API gateway's
// shape without requestContext, so it goes through the same checks as an
// API gateway request (method, size, authentication, Idempotency-Key) and
// gets the same statuses; only the answer's format differs.
func (inv *invocation) functionURL(ctx context.Context, payload []byte) events.FunctionURLResponse {
	req, err := events.DecodeFunctionURL(payload)
	if err != nil {
		inv.log.Warn("function URL event not understood", "error", err.Error())
		return functionURLResponse(inv.gatewayResponse(inv.requestFailure(
			failure.E(err, "function URL event: "+failure.As(err).Message))))
	}
	// The client's address, for the logs: the platform's
	// x-scf-remote-addr, not a header the caller could set on its own
	// (such as X-Forwarded-For).
	inv.log = inv.log.With("remoteAddr", req.RemoteAddr())
	return functionURLResponse(inv.apigw(ctx, payload))
}

// functionURLResponse is the function URL form of an integration response:
// the same status, headers and body, without isBase64Encoded.
func functionURLResponse(r events.APIGatewayResponse) events.FunctionURLResponse {
	return events.FunctionURLResponse{StatusCode: r.StatusCode, Headers: r.Headers, Body: r.Body}
}
