// Package failure gives every error of the function a Kind, and is the one
// place that turns a Kind into a result status, an HTTP status and a retry
// decision. It follows Upspin's errors.E: an error is built from its parts,
// and whoever handles it asks for its Kind instead of matching strings.
package failure

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
)

// Kind says what went wrong in terms an operator can act on.
type Kind int

const (
	Other            Kind = iota // unclassified; treated like Internal
	Invalid                      // the request can never be right as sent
	Unauthenticated              // the caller did not prove who it is
	Forbidden                    // the caller or the role may not do this
	NotFound                     // instance or backup does not exist
	Locked                       // instance or backup busy with another task
	Unavailable                  // instance or backup in a state that refuses a restore
	Transient                    // throttling, internal errors, network: worth retrying
	Upstream                     // the cloud answered something we cannot use
	Config                       // the function itself is misconfigured
	Internal                     // a bug in the function
	MethodNotAllowed             // webhook called with a method other than POST
	TooLarge                     // webhook body over the limit
	Conflict                     // the request contradicts an earlier one (an Idempotency-Key reused with another body)
)

var kindNames = map[Kind]string{
	Other: "Other", Invalid: "Invalid", Unauthenticated: "Unauthenticated",
	Forbidden: "Forbidden", NotFound: "NotFound", Locked: "Locked",
	Unavailable: "Unavailable", Transient: "Transient", Upstream: "Upstream",
	Config: "Config", Internal: "Internal", MethodNotAllowed: "MethodNotAllowed",
	TooLarge: "TooLarge", Conflict: "Conflict",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// HTTPStatus is the API gateway status code for an error of this kind.
func (k Kind) HTTPStatus() int {
	switch k {
	case Invalid:
		return http.StatusBadRequest
	case Unauthenticated:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Locked, Unavailable, Conflict:
		return http.StatusConflict
	case Transient:
		return http.StatusServiceUnavailable
	case Upstream:
		return http.StatusBadGateway
	case MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

// Retry says how a failed cloud call of this kind may be retried.
type Retry int

const (
	Never   Retry = iota // permanent: retrying cannot help
	Backoff              // transient: retry with backoff until the deadline nears
	Briefly              // locked: retry for a short, configured time, then report
)

// Retry is the retry decision for an error of this kind.
func (k Kind) Retry() Retry {
	switch k {
	case Transient:
		return Backoff
	case Locked:
		return Briefly
	default:
		return Never
	}
}

// Error is an error with a Kind. Code is the API's own error code where
// there is one (or a code of ours, such as InstanceNotAllowed), Field the
// request field at fault for Invalid errors.
type Error struct {
	Kind      Kind
	Code      string
	Field     string
	Message   string
	RequestID string
	Err       error // the underlying error, if any
}

func (e *Error) Error() string {
	s := e.Message
	if s == "" && e.Err != nil {
		s = e.Err.Error()
	}
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	switch {
	case e.Code != "" && e.RequestID != "":
		s += " (" + e.Code + ", requestId " + e.RequestID + ")"
	case e.Code != "":
		s += " (" + e.Code + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error from its arguments, in any order: a Kind, a Code, a
// Field, a string (the message) or an error (the cause). A cause that is
// itself an *Error lends its Kind, Code and RequestID where E was not given
// them.
func E(args ...any) error {
	e := &Error{}
	for _, a := range args {
		switch a := a.(type) {
		case Kind:
			e.Kind = a
		case Code:
			e.Code = string(a)
		case Field:
			e.Field = string(a)
		case string:
			e.Message = a
		case error:
			e.Err = a
		default:
			e.Message = fmt.Sprint(a)
		}
	}
	var inner *Error
	if e.Err != nil && errors.As(e.Err, &inner) {
		if e.Kind == Other {
			e.Kind = inner.Kind
		}
		e.Code = cmp.Or(e.Code, inner.Code)
		e.RequestID = cmp.Or(e.RequestID, inner.RequestID)
		e.Field = cmp.Or(e.Field, inner.Field)
	}
	return e
}

// InvalidField is the error of a request field that can never be right
// as sent: Kind Invalid, CodeInvalidRequest, the field named.
func InvalidField(field, msg string) error {
	return E(Invalid, Code(CodeInvalidRequest), Field(field), msg)
}

// Truncate keeps a value quoted in an error message short: a field can be
// large, and it might hold something sensitive.
func Truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// Code is an error code: the API's, or one of ours.
type Code string

// Field names the request field an Invalid error is about.
type Field string

// Codes of our own, for failures that happen before or around the API.
const (
	CodeInvalidRequest     = "InvalidRequest"
	CodeInstanceNotAllowed = "InstanceNotAllowed"
	CodeBackupNotFound     = "BackupNotFound"
	CodeMissingCredentials = "MissingCredentials"
	CodeMissingConfig      = "MissingConfiguration"
	CodeInvalidConfig      = "InvalidConfiguration"
	CodeUnauthenticated    = "Unauthenticated"
	CodeForbidden          = "Forbidden"
	CodeNetworkError       = "NetworkError"
	CodeDeadlineExceeded   = "DeadlineExceeded"
	CodeInternal           = "InternalError"
	CodeQueueError         = "QueueError"
	CodeKeyReused          = "IdempotencyKeyReused"
	CodeMissingTaskID      = "MissingTaskId"
	// CodeUnsupportedEdition: the instance's edition cannot be restored in
	// place (Redis 4.0 and later must be cloned). Kind Unavailable (409):
	// the request is well formed, the instance is what refuses it.
	CodeUnsupportedEdition = "UnsupportedEdition"
)

// KindOf reports the Kind of err, Other if it carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Other
}

// As returns err as an *Error, wrapping it as Internal if it is not one.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: CodeInternal, Message: err.Error(), Err: err}
}
