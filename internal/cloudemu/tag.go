package cloudemu

import (
	"fmt"
	"strings"
)

// The Tag API's TagResources, for the one use the function has of it: the
// mark it leaves on an instance it restored (internal/restore, provenance).
// A resource is named by its six-segment string; only Redis instances are
// emulated: qcs::redis:<region>:uin/<uin>:instance/<instanceId>. The tags
// are answered back in DescribeInstances' InstanceTags.

const (
	maxTagResources = 10  // ResourceList, per call
	maxTagsPerCall  = 10  // Tags, per call
	maxTagsPerRes   = 50  // a resource's tags
	maxTagKey       = 127 // characters
	maxTagValue     = 255 // characters
)

func (e *Emulator) tagResources(c *call) (any, *apiError) {
	resources := c.p.strs("ResourceList")
	c.p.missing(len(resources) > 0, "ResourceList")
	c.p.check(len(resources) <= maxTagResources, "LimitExceeded.ResourceNumPerRequest", "at most %d resources a call, got %d", maxTagResources, len(resources))
	raw, _ := c.p.m["Tags"].([]any)
	c.p.missing(len(raw) > 0, "Tags")
	c.p.check(len(raw) <= maxTagsPerCall, "InvalidParameter", "at most %d tags a call, got %d", maxTagsPerCall, len(raw))
	tags := map[string]string{}
	for i, x := range raw {
		m, _ := x.(map[string]any)
		key, _ := m["TagKey"].(string)
		value, _ := m["TagValue"].(string)
		// The codes are the Tag API's own (its SDK's list for tagging).
		c.p.check(key != "", "InvalidParameterValue.TagKeyEmpty", "Tags.%d must have a TagKey", i)
		c.p.check(len(key) <= maxTagKey, "InvalidParameterValue.TagKeyLengthExceeded", "Tags.%d.TagKey is longer than %d characters", i, maxTagKey)
		c.p.check(len(value) <= maxTagValue, "InvalidParameterValue.TagValueLengthExceeded", "Tags.%d.TagValue is longer than %d characters", i, maxTagValue)
		c.p.check(tagText(key), "InvalidParameterValue.TagKeyCharacterIllegal", "Tags.%d.TagKey: a tag holds letters, digits, spaces and + - = . _ : / @ only", i)
		c.p.check(tagText(value), "InvalidParameterValue.TagValueCharacterIllegal", "Tags.%d.TagValue: a tag holds letters, digits, spaces and + - = . _ : / @ only", i)
		tags[key] = value
	}
	if c.p.err != nil {
		return nil, c.p.err
	}
	failed := []any{}
	for _, r := range resources {
		in, why := e.taggedInstance(r)
		if in == nil {
			failed = append(failed, map[string]any{"Resource": r, "Code": "ResourceNotFound", "Message": why})
			continue
		}
		if in.Tags == nil {
			in.Tags = map[string]string{}
		}
		n := len(in.Tags)
		for k := range tags {
			if _, ok := in.Tags[k]; !ok {
				n++
			}
		}
		if n > maxTagsPerRes {
			failed = append(failed, map[string]any{"Resource": r, "Code": "LimitExceeded.ResourceAttachedTags", "Message": fmt.Sprintf("a resource holds at most %d tags", maxTagsPerRes)})
			continue
		}
		for k, v := range tags {
			in.Tags[k] = v
		}
	}
	return map[string]any{"FailedResources": failed}, nil
}

// taggedInstance is the instance a six-segment resource string names, or
// why none is.
func (e *Emulator) taggedInstance(resource string) (*Instance, string) {
	parts := strings.Split(resource, ":")
	if len(parts) != 6 || parts[0] != "qcs" || parts[1] != "" || parts[2] != "redis" || !strings.HasPrefix(parts[4], "uin/") {
		return nil, "not a Redis instance's resource string (qcs::redis:<region>:uin/<uin>:instance/<id>): " + resource
	}
	if parts[4] != "uin/"+emulatedUIN {
		// The emulator holds one account's instances (GetCallerIdentity's).
		return nil, fmt.Sprintf("%s names another account than %s, whose instances these are", resource, emulatedUIN)
	}
	id, ok := strings.CutPrefix(parts[5], "instance/")
	in := e.instances[id]
	if !ok || in == nil || in.Region != parts[3] {
		return nil, fmt.Sprintf("no instance %s in region %s", parts[5], parts[3])
	}
	return in, ""
}

// tagText: the characters a tag key or value may hold.
func tagText(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune(" +-=._:/@", r):
		default:
			return false
		}
	}
	return true
}

// tagsOut is an instance's tags as DescribeInstances answers them.
func tagsOut(in *Instance) []any {
	out := []any{}
	for k, v := range in.Tags {
		out = append(out, map[string]any{"TagKey": k, "TagValue": v})
	}
	return out
}
