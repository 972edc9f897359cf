package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"redis-restore/events"
	"redis-restore/internal/failure"
)

// The strict decoding every event and body goes through: an event is
// decoded once into its raw fields (decodeObject), recognised from their
// keys (detect.go), and its trigger's struct is decoded from those fields
// (decodeFields), never from the whole payload again. A restore must not
// run on a guess: a key given twice, in one spelling or two, is refused.

// maxDepth bounds how deeply an event, or a body inside one, may nest. The
// deepest documented event (a Cloud Monitor event alarm with its objDetail)
// nests five levels; anything near this bound is not an event of ours.
const maxDepth = 32

// fields is a JSON object decoded one level deep.
type fields = map[string]json.RawMessage

// countDecode, when set (by a test), is called with every object
// decodeObject decodes: how often a payload is parsed is measured, not
// guessed.
var countDecode func(data []byte)

// decodeObject decodes a JSON object into its raw fields, refusing anything
// else (arrays, strings, trailing data), data nested deeper than maxDepth,
// and keys given twice: with a repeated key, which value counts is a guess.
func decodeObject(data []byte) (fields, error) {
	if countDecode != nil {
		countDecode(data)
	}
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, invalid("", "empty: want a JSON object")
	}
	if data[0] != '{' {
		return nil, invalid("", "not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, invalid("", "not valid JSON: "+err.Error())
	}
	obj := fields{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("", "not valid JSON: "+err.Error())
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, invalid("", "not valid JSON: "+err.Error())
		}
		if _, dup := obj[key]; dup {
			return nil, invalid(key, "given twice")
		}
		obj[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, invalid("", "not valid JSON: "+err.Error())
	}
	// dec.More would miss a stray '}' or ']' after the object.
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("", "trailing data after the JSON object")
	}
	return obj, nil
}

// checkDepth refuses data nested deeper than maxDepth objects and arrays.
// It runs before any decoding, so that a hostile payload costs one pass
// over its bytes and gets a clear answer instead of failing deep in a
// decoder.
func checkDepth(data []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return invalid("", fmt.Sprintf("nested deeper than %d levels", maxDepth))
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// decodeFields decodes v, a pointer to an event's struct, from an object's
// raw fields: each struct field from the key its json tag names, in any
// letter case as encoding/json matches keys, but in one spelling only.
// Keys the struct does not name are left alone, as encoding/json leaves
// them. Errors name the field, under prefix.
func decodeFields(obj fields, v any, prefix string) error {
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		var keys []string
		for k := range obj {
			if strings.EqualFold(k, name) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		switch {
		case len(keys) > 1:
			return invalid(join(prefix, name), fmt.Sprintf("given twice, as %q and %q", keys[0], keys[1]))
		case len(keys) == 1:
			if err := json.Unmarshal(obj[keys[0]], rv.Field(i).Addr().Interface()); err != nil {
				return decodeError(join(prefix, name), err)
			}
		}
	}
	return nil
}

// decodeError turns a decoding error into failure.Invalid naming the field
// at fault: encoding/json's type errors and the events' own FieldErrors
// name it below field.
func decodeError(field string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return invalid(join(field, te.Field), fmt.Sprintf("want %s, got a JSON %s", te.Type.String(), te.Value))
	}
	var fe *events.FieldError
	if errors.As(err, &fe) {
		return invalid(join(field, fe.Field), fe.Reason)
	}
	return invalid(field, err.Error())
}

// checkUniqueKeys refuses an object, at any depth, that holds a key twice,
// in the same or another letter case ("alarmStatus" and "AlarmStatus"):
// Go's decoder would take one of them silently. data must be valid JSON
// within maxDepth.
func checkUniqueKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := uniqueKeys(dec, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("", "trailing data after the JSON value")
	}
	return nil
}

func uniqueKeys(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return invalid(path, "not valid JSON: "+err.Error())
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]string{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return invalid(path, "not valid JSON: "+err.Error())
			}
			key, _ := kt.(string)
			lower := strings.ToLower(key)
			if other, dup := seen[lower]; dup {
				return invalid(join(path, key), fmt.Sprintf("given twice, as %q and %q", other, key))
			}
			seen[lower] = key
			if err := uniqueKeys(dec, join(path, key)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := uniqueKeys(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
	}
	if err != nil {
		return invalid(path, "not valid JSON: "+err.Error())
	}
	return nil
}

// lookup finds a key whatever its case.
func lookup(obj fields, key string) (json.RawMessage, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func join(path, key string) string {
	if path == "" || key == "" {
		return path + key
	}
	return path + "." + key
}

func invalid(field, msg string) error {
	return failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), failure.Field(field), msg)
}

// truncate keeps error messages short: a field can be large, and it might
// hold something sensitive.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
