package events

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// APIGatewayRequest is what API gateway (or a function URL, which omits
// requestContext and the *Parameters maps) sends.
type APIGatewayRequest struct {
	RequestContext        *APIGatewayRequestContext `json:"requestContext,omitempty"`
	Headers               map[string]string         `json:"headers"`
	Body                  string                    `json:"body"`
	IsBase64Encoded       Bool                      `json:"isBase64Encoded"` // a bool, or the string "true"
	PathParameters        map[string]string         `json:"pathParameters,omitempty"`
	QueryStringParameters map[string]string         `json:"queryStringParameters,omitempty"`
	HeaderParameters      map[string]string         `json:"headerParameters,omitempty"`
	Path                  string                    `json:"path"`
	QueryString           map[string]QueryValue     `json:"queryString,omitempty"`
	HTTPMethod            string                    `json:"httpMethod"` // the real method; requestContext's is the configured one (ANY)
}

type APIGatewayRequestContext struct {
	ServiceID  string         `json:"serviceId"`
	Path       string         `json:"path"`
	HTTPMethod string         `json:"httpMethod"`
	RequestID  string         `json:"requestId"`
	Identity   map[string]any `json:"identity,omitempty"`
	SourceIP   string         `json:"sourceIp"`
	Stage      string         `json:"stage"`
}

// Header returns a header's value whatever the case of its name: captured
// events carry lowercase names, the documentation capitalised ones.
func (r *APIGatewayRequest) Header(name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// RawBody is the body as the caller sent it, base64-decoded where the
// gateway marks it so. Webhook signatures are computed over these bytes.
func (r *APIGatewayRequest) RawBody() ([]byte, error) {
	if !r.IsBase64Encoded {
		return []byte(r.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		return nil, fmt.Errorf("body: marked isBase64Encoded but is not base64: %v", err)
	}
	return b, nil
}

// Method is the request's real HTTP method, upper case.
func (r *APIGatewayRequest) Method() string {
	return strings.ToUpper(r.HTTPMethod)
}

// RequestID is API gateway's id for the request, for the logs.
func (r *APIGatewayRequest) RequestID() string {
	if r.RequestContext != nil && r.RequestContext.RequestID != "" {
		return r.RequestContext.RequestID
	}
	return r.Header("x-api-requestid")
}

// APIGatewayResponse is an integration response. StatusCode must be an
// integer: anything malformed gives the caller API gateway's own 403.
type APIGatewayResponse struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}
