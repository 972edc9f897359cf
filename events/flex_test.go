package events_test

import (
	"encoding/json"
	"strings"
	"testing"

	"redis-restore/events"
)

func TestBool(t *testing.T) {
	tests := []struct {
		json string
		want events.Bool
	}{
		{`true`, true},
		{`false`, false},
		{`"true"`, true},
		{`"false"`, false},
		{`"True"`, true},
		{`"1"`, true},
		{`"0"`, false},
		{`""`, false},
		{`null`, false},
		{` true `, true},
	}
	for _, tt := range tests {
		b := events.Bool(true)
		if tt.json == `null` || tt.json == `""` {
			b = true // must be reset
		}
		if err := json.Unmarshal([]byte(tt.json), &b); err != nil {
			t.Errorf("Bool %s: %v", tt.json, err)
			continue
		}
		check(t, "Bool "+tt.json, b, tt.want)
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		want := "false"
		if tt.want {
			want = "true"
		}
		check(t, "marshalled Bool "+tt.json, string(out), want)
	}
	for _, bad := range []string{`"yes"`, `1`, `0`, `[]`, `{}`, `"tru"`} {
		var b events.Bool
		if err := json.Unmarshal([]byte(bad), &b); err == nil {
			t.Errorf("Bool %s: decoded as %v, want an error", bad, b)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		json string
		want events.String
	}{
		{`"120000"`, "120000"},
		{`120000`, "120000"},
		{`1`, "1"},
		{`0`, "0"},
		{`-1.5`, "-1.5"},
		{`1e3`, "1e3"}, // the number's text, as sent
		{`""`, ""},
		{`null`, ""},
		{`" 1 "`, " 1 "},
		{`"\u4e2d\u6587"`, "中文"},
	}
	for _, tt := range tests {
		s := events.String("previous")
		if err := json.Unmarshal([]byte(tt.json), &s); err != nil {
			t.Errorf("String %s: %v", tt.json, err)
			continue
		}
		check(t, "String "+tt.json, s, tt.want)
		assertRoundTrip(t, s)
	}
	for _, bad := range []string{`true`, `false`, `[]`, `{}`, `["1"]`} {
		var s events.String
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("String %s: decoded as %q, want an error", bad, s)
		}
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		json string
		want events.List
	}{
		{`"a, b"`, events.List{"a", "b"}},
		{`"a,b"`, events.List{"a", "b"}},
		{`" a ,, b , "`, events.List{"a", "b"}},
		{`"a"`, events.List{"a"}},
		{`""`, nil},
		{`null`, nil},
		{`["a","b"]`, events.List{"a", "b"}},
		{`["a, b"]`, events.List{"a, b"}}, // an array is taken as it is
		{`[]`, events.List{}},
	}
	for _, tt := range tests {
		l := events.List{"previous"}
		if err := json.Unmarshal([]byte(tt.json), &l); err != nil {
			t.Errorf("List %s: %v", tt.json, err)
			continue
		}
		check(t, "List "+tt.json, l, tt.want)
		assertRoundTrip(t, l)
	}
	for _, bad := range []string{`1`, `true`, `{}`, `[1]`, `[["a"]]`} {
		var l events.List
		if err := json.Unmarshal([]byte(bad), &l); err == nil {
			t.Errorf("List %s: decoded as %q, want an error", bad, l)
		}
	}
}

func TestQueryValue(t *testing.T) {
	tests := []struct {
		json    string
		want    events.QueryValue
		first   string
		marshal string
	}{
		{`"x"`, events.QueryValue{Values: []string{"x"}}, "x", `"x"`},
		{`""`, events.QueryValue{Values: []string{""}}, "", `""`},
		{`["b","c"]`, events.QueryValue{Values: []string{"b", "c"}}, "b", `["b","c"]`},
		{`["b"]`, events.QueryValue{Values: []string{"b"}}, "b", `"b"`},
		{`[]`, events.QueryValue{Values: []string{}}, "", `[]`},
		{`true`, events.QueryValue{Flag: true}, "", `true`},
		{`false`, events.QueryValue{}, "", `null`},
		{`null`, events.QueryValue{}, "", `null`},
	}
	for _, tt := range tests {
		q := events.QueryValue{Values: []string{"previous"}, Flag: true}
		if err := json.Unmarshal([]byte(tt.json), &q); err != nil {
			t.Errorf("QueryValue %s: %v", tt.json, err)
			continue
		}
		check(t, "QueryValue "+tt.json, q, tt.want)
		check(t, "QueryValue "+tt.json+" First()", q.First(), tt.first)
		out, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "marshalled QueryValue "+tt.json, string(out), tt.marshal)
		assertRoundTrip(t, q)
	}
	for _, bad := range []string{`1`, `{}`, `[1]`, `[true]`} {
		var q events.QueryValue
		if err := json.Unmarshal([]byte(bad), &q); err == nil {
			t.Errorf("QueryValue %s: decoded as %#v, want an error", bad, q)
		}
	}

	// In a map, as API gateway sends it.
	var m map[string]events.QueryValue
	if err := json.Unmarshal([]byte(`{"a":["b","c"],"flag":true,"s":"t"}`), &m); err != nil {
		t.Fatal(err)
	}
	check(t, "queryString", m, map[string]events.QueryValue{
		"a":    {Values: []string{"b", "c"}},
		"flag": {Flag: true},
		"s":    {Values: []string{"t"}},
	})
	assertRoundTrip(t, m)
}

// Error messages about a field's value are short: an event field can be
// large, or hold something sensitive.
func TestFlexErrorsTruncate(t *testing.T) {
	long := []byte(`{"k":"0123456789012345678901234567890123456789-secret-tail"}`)
	var s events.String
	var l events.List
	var q events.QueryValue
	for name, v := range map[string]any{"String": &s, "List": &l, "QueryValue": &q} {
		err := json.Unmarshal(long, v)
		if err == nil {
			t.Errorf("%s: an object decoded", name)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "secret-tail") {
			t.Errorf("%s: error shows the whole value: %q", name, msg)
		}
	}
}

func FuzzFlex(f *testing.F) {
	for _, s := range []string{`true`, `"true"`, `""`, `null`, `1`, `"a, b"`, `["a","b"]`, `[]`, `"x"`, `1e3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStableJSON[events.Bool](t, data)
		checkStableJSON[events.String](t, data)
		if l, ok := checkStableJSON[events.List](t, data); ok && len(data) > 0 && data[0] == '"' {
			for _, item := range l {
				if item == "" {
					t.Fatalf("List from a string holds an empty item: %q", l)
				}
			}
		}
		if q, ok := checkStableJSON[events.QueryValue](t, data); ok && q.Flag && q.Values != nil {
			t.Fatalf("QueryValue both a flag and values: %#v", q)
		}
	})
}
