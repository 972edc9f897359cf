package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxDepth bounds how deeply an event, or a body inside one, may nest. The
// deepest documented event (a Cloud Monitor event alarm with its objDetail)
// nests five levels; anything near this bound is not an event of ours.
const MaxDepth = 32

// CheckDepth refuses data nested deeper than max objects and arrays. It
// runs before any decoding, so that a hostile payload costs one pass over
// its bytes and gets a clear answer instead of failing deep in a decoder.
func CheckDepth(data []byte, max int) error {
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
			if depth > max {
				return invalid("", fmt.Sprintf("nested deeper than %d levels", max))
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// CheckUniqueKeys refuses an object, at any depth, that holds a key twice,
// in the same or another letter case ("alarmStatus" and "AlarmStatus"):
// Go's decoder would take one of them silently, and a restore must not run
// on a guess. data must be valid JSON within MaxDepth.
func CheckUniqueKeys(data []byte) error {
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

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
