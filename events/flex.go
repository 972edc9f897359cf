package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Bool decodes a JSON bool or the strings "true"/"false" (API gateway sends
// isBase64Encoded either way).
type Bool bool

func (b *Bool) UnmarshalJSON(data []byte) error {
	*b = false
	return loose(data, func(s string) error {
		if s == "" {
			return nil
		}
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want a boolean, got %q", s)
		}
		*b = Bool(v)
		return nil
	}, func(data []byte) error {
		if err := json.Unmarshal(data, (*bool)(b)); err != nil {
			return fmt.Errorf("want a boolean, got %s", truncate(data))
		}
		return nil
	})
}

// loose decodes a field that comes in more than one JSON type: null
// leaves it as the caller set it, a string goes to str, anything else to
// other.
func loose(data []byte, str func(string) error, other func([]byte) error) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		return nil
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		return str(s)
	}
	return other(data)
}

// String decodes a JSON string or number into its text (CMQ's topicOwner,
// the alarm's alarmStatus and durationTime come either way).
type String string

func (s *String) UnmarshalJSON(data []byte) error {
	*s = ""
	return loose(data, func(v string) error {
		*s = String(v)
		return nil
	}, func(data []byte) error {
		var n json.Number
		if err := json.Unmarshal(data, &n); err != nil {
			return fmt.Errorf("want a string or a number, got %s", truncate(data))
		}
		*s = String(n)
		return nil
	})
}

// List decodes a JSON array of strings, or one string of comma-separated
// items (CMQ's msgTag is "a, b" in some events and ["a","b"] in others).
type List []string

func (l *List) UnmarshalJSON(data []byte) error {
	*l = nil
	return loose(data, func(s string) error {
		*l = splitList(s)
		return nil
	}, func(data []byte) error {
		if err := json.Unmarshal(data, (*[]string)(l)); err != nil {
			return fmt.Errorf("want a string or an array of strings, got %s", truncate(data))
		}
		return nil
	})
}

// QueryValue is one value of API gateway's queryString: a string, an array
// of strings, or true for a bare flag (?flag).
type QueryValue struct {
	Values []string
	Flag   bool // the parameter had no value
}

func (q *QueryValue) UnmarshalJSON(data []byte) error {
	*q = QueryValue{}
	return loose(data, func(s string) error {
		q.Values = []string{s}
		return nil
	}, func(data []byte) error {
		switch {
		case bytes.Equal(data, []byte("true")):
			q.Flag = true
		case bytes.Equal(data, []byte("false")):
		case json.Unmarshal(data, &q.Values) != nil:
			return fmt.Errorf("want a string, an array of strings or true, got %s", truncate(data))
		}
		return nil
	})
}

func (q QueryValue) MarshalJSON() ([]byte, error) {
	switch {
	case q.Flag:
		return []byte("true"), nil
	case len(q.Values) == 1:
		return json.Marshal(q.Values[0])
	default:
		return json.Marshal(q.Values)
	}
}

// First is the first value, or "" for a flag.
func (q QueryValue) First() string {
	if len(q.Values) == 0 {
		return ""
	}
	return q.Values[0]
}

func splitList(s string) []string {
	var out []string
	for _, part := range bytes.Split([]byte(s), []byte(",")) {
		if p := string(bytes.TrimSpace(part)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// truncate keeps error messages short: an event field can be large, and it
// might hold something sensitive.
func truncate(data []byte) string {
	const max = 40
	if len(data) <= max {
		return string(data)
	}
	return string(data[:max]) + "..."
}
