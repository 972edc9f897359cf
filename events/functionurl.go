package events

import (
	"encoding/json"
	"strings"
)

// FunctionURLRequest is what a function URL (CreateTrigger Type=http) sends
// an event function: API gateway's shape without requestContext,
// isBase64Encoded and the *Parameters maps. Headers arrive lower-case;
// x-scf-remote-addr is the client's address.
type FunctionURLRequest struct {
	HTTPMethod  string                `json:"httpMethod"`
	Path        string                `json:"path"`
	QueryString map[string]QueryValue `json:"queryString"`
	Headers     map[string]string     `json:"headers"`
	Body        string                `json:"body"`
	// IsBase64Encoded is not in the documented event. How a function URL
	// passes a binary body is unknown; should it mark one as API gateway
	// does, the body is decoded rather than refused as not JSON.
	IsBase64Encoded Bool `json:"isBase64Encoded,omitempty"`
}

// RemoteAddrHeader carries a function URL caller's IP address.
const RemoteAddrHeader = "x-scf-remote-addr"

// Header returns a header's value whatever the case of its name.
func (r *FunctionURLRequest) Header(name string) string { return header(r.Headers, name) }

// RemoteAddr is the caller's IP address, as the platform saw it.
func (r *FunctionURLRequest) RemoteAddr() string {
	return strings.TrimSpace(r.Header(RemoteAddrHeader))
}

// Method is the request's HTTP method, upper case.
func (r *FunctionURLRequest) Method() string {
	return strings.ToUpper(r.HTTPMethod)
}

// RawBody is the body as the caller sent it. Webhook signatures are
// computed over these bytes.
func (r *FunctionURLRequest) RawBody() ([]byte, error) {
	return rawBody(r.Body, bool(r.IsBase64Encoded))
}

// FunctionURLResponse is an event function's answer to a function URL
// call. Unlike API gateway's integration response it has no
// isBase64Encoded: the documented answer has none, and what the platform
// does with one is unknown.
type FunctionURLResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// DecodeFunctionURL decodes a function URL's event. Its errors are
// failure.Invalid and name the field at fault.
func DecodeFunctionURL(payload []byte) (FunctionURLRequest, error) {
	var r FunctionURLRequest
	if _, err := decodeObject(payload); err != nil {
		return r, err
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return FunctionURLRequest{}, decodeError("", err)
	}
	return r, nil
}
