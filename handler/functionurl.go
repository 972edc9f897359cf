package handler

import "redis-restore/events"

// A function URL call's event is API gateway's shape without
// requestContext, so it goes through the same checks as an API gateway
// request (apigw: method, size, authentication, Idempotency-Key) and gets
// the same statuses; only the answer's format differs.

// functionURLResponse is the function URL form of an integration response:
// the same status, headers and body, without isBase64Encoded.
func functionURLResponse(r events.APIGatewayResponse) events.FunctionURLResponse {
	return events.FunctionURLResponse{StatusCode: r.StatusCode, Headers: r.Headers, Body: r.Body}
}
