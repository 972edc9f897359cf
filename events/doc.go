// Package events holds the trigger events that reach the function, one file
// per event source in the style of aws-lambda-go's events package: plain
// wire types that import nothing of the project. Recognising an event and
// reading the restore requests it carries is the handler's business.
//
// SCF is loose about types: the same field arrives as a bool in one event and
// as a string in another, or as a string in one and an array in the next. The
// Flex types in flex.go absorb those variants so that the event types stay
// plain.
package events

// FieldError is a decoding error that knows the field at fault, for the
// types' own decoding: encoding/json names the field only in its own type
// errors.
type FieldError struct{ Field, Reason string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }
