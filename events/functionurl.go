package events

// FunctionURLRequest is what a function URL (CreateTrigger Type=http) sends
// an event function: API gateway's shape without requestContext,
// isBase64Encoded and the *Parameters maps. Headers arrive lower-case;
// x-scf-remote-addr is the client's address. The handler reads it as an
// APIGatewayRequest, whose helpers serve both.
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

// FunctionURLResponse is an event function's answer to a function URL
// call. Unlike API gateway's integration response it has no
// isBase64Encoded: the documented answer has none, and what the platform
// does with one is unknown.
type FunctionURLResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}
