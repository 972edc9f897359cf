// Package events holds the trigger events that reach the function, one file
// per event source in the style of aws-lambda-go's events package, and the
// restore request they carry.
//
// SCF is loose about types: the same field arrives as a bool in one event and
// as a string in another, or as a string in one and an array in the next. The
// Flex types in flex.go absorb those variants so that the event types stay
// plain.
package events
