package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Dimensions are an alarm object's dimensions. Most are strings or numbers
// (kept as their text), but event alarms add a nested object, objDetail
// (Cloud Monitor's alarm 2.0 callback document): its members are kept
// under dotted keys, "objDetail.instanceId", and nested again when
// marshalled. A boolean keeps its text ("true"), an array its JSON.
type Dimensions map[string]String

// objectSep joins a nested object's key to its members' keys.
const objectSep = "."

func (d *Dimensions) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*d = nil
		return nil
	}
	out := Dimensions{}
	if err := out.flatten("", data, 0); err != nil {
		return err
	}
	*d = out
	return nil
}

// maxDimensionDepth bounds the nesting a hostile body could use to make
// the decoder recurse.
const maxDimensionDepth = 4

func (d Dimensions) flatten(prefix string, data []byte, depth int) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		if prefix == "" {
			return fmt.Errorf("dimensions: want an object, got %s", truncate(data))
		}
		return fmt.Errorf("dimension %s: want an object, got %s", prefix, truncate(data))
	}
	for k, raw := range obj {
		key := prefix + k
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
			d[key] = ""
		case raw[0] == '{':
			if depth >= maxDimensionDepth {
				return fmt.Errorf("dimension %s: nested too deep", key)
			}
			if err := d.flatten(key+objectSep, raw, depth+1); err != nil {
				return err
			}
		case raw[0] == '[' || bytes.Equal(raw, []byte("true")) || bytes.Equal(raw, []byte("false")):
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return fmt.Errorf("dimension %s: %v", key, err)
			}
			d[key] = String(buf.String())
		default:
			var s String
			if err := s.UnmarshalJSON(raw); err != nil {
				return fmt.Errorf("dimension %s: %v", key, err)
			}
			d[key] = s
		}
	}
	return nil
}

// MarshalJSON nests dotted keys again, so that objDetail goes out as the
// object it came in as.
func (d Dimensions) MarshalJSON() ([]byte, error) {
	if d == nil {
		return []byte("null"), nil
	}
	root := map[string]any{}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts := strings.Split(k, objectSep)
		m := root
		ok := true
		for _, p := range parts[:len(parts)-1] {
			next, isMap := m[p].(map[string]any)
			if !isMap {
				if _, taken := m[p]; taken {
					ok = false
					break
				}
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		if !ok {
			// A plain key with a dot in its name that collides: kept flat.
			root[k] = string(d[k])
			continue
		}
		m[parts[len(parts)-1]] = string(d[k])
	}
	return json.Marshal(root)
}

// instanceDimensions are where Redis alarms name the instance, most
// specific first: 1-minute metrics (instanceid), the 5-second instance
// summary (InstanceId), the legacy key (redis_uuid), event alarms
// (unInstanceId), the alarm object (objId), and last the event alarm's
// objDetail.
var instanceDimensions = []string{
	"instanceid", "InstanceId", "redis_uuid", "unInstanceId", "objId",
	"objDetail.instanceId", "objDetail.InstanceId", "objDetail.instanceid", "objDetail.unInstanceId",
}

// nodeSep separates the instance from the node in a node-level alarm's
// object: "crs-xxxxxxxx##<node>".
const nodeSep = "##"

// redisInstance reads a dimension's value as a Redis instance ID: a crs- ID,
// the node part of a node-level object dropped. Anything else is "".
func redisInstance(v String) string {
	s := strings.TrimSpace(string(v))
	if i := strings.Index(s, nodeSep); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if !strings.HasPrefix(s, "crs-") {
		return ""
	}
	return s
}
