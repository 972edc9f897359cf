package cloud_test

import (
	"strings"
	"testing"

	"redis-restore/internal/intent"
)

// TagResources, through CommonClient and signed, tags the instance in the
// account STS names, and DescribeInstances answers the tag back; an
// instance that does not exist is answered in FailedResources, which is
// an error, not a tag set.
func TestTagInstanceIsReadBackFromDescribeInstances(t *testing.T) {
	v := newCloudEnv(t)
	s, region, id := v.session(), v.demo.Region, v.demo.InstanceID
	if err := s.TagInstance(ctx(t), region, id, intent.MarkKey, "6954228.0123456789abcdef"); err != nil {
		t.Fatalf("TagInstance: %v", err)
	}
	in, err := s.DescribeInstance(ctx(t), region, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Tags[intent.MarkKey]; got != "6954228.0123456789abcdef" {
		t.Fatalf("tags read back %v, want the mark", in.Tags)
	}
	err = s.TagInstance(ctx(t), region, "crs-nosuch01", intent.MarkKey, "1.0123456789abcdef")
	if err == nil || !strings.Contains(err.Error(), "crs-nosuch01") {
		t.Fatalf("tagging an instance that does not exist: %v, want an error naming it", err)
	}
}
