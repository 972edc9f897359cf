package restore

import (
	"strings"
	"testing"
	"time"
)

// A plan token round-trips, and any change to it is refused.
func TestPlanTokenSignsEveryField(t *testing.T) {
	before := time.Date(2026, 11, 29, 9, 55, 0, 0, time.UTC)
	p := &Plan{InstanceID: "crs-5a4py64p", Region: "ap-guangzhou", BackupID: "678362566696298532848117",
		BackupStart: time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC), Requested: "latest", Before: &before,
		Trigger: "apigw", Alarm: true, Reason: "alarm"}
	p.sign("secret", "alarm:k", time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), 30*time.Minute)
	got, err := ParsePlan("secret", p.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != p.ID || got.BackupID != p.BackupID || !got.Before.Equal(before) || !got.Alarm || !got.Expires.Equal(p.Expires) || !got.Created.Equal(p.Created) {
		t.Errorf("parsed %+v, want %+v", got, p)
	}
	if _, err := ParsePlan("other", p.Token); err == nil {
		t.Error("a plan signed with another secret was accepted")
	}
	for i := len(tokenPrefix); i < len(p.Token); i++ {
		b := []byte(p.Token)
		if b[i] == '.' {
			continue
		}
		b[i] ^= 1
		if _, err := ParsePlan("secret", string(b)); err == nil {
			t.Errorf("token changed at %d was accepted", i)
		}
	}
	if strings.Contains(p.Token, "secret") {
		t.Error("the token holds the secret")
	}
}
