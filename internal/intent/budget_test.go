package intent

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/edition"
	"redis-restore/internal/seal"
)

var testSeal = seal.New("a-test-signing-key-of-32-characters!")

// A plan token round-trips with every field of the intent, and any change
// to it is refused.
func TestPlanTokenSignsEveryField(t *testing.T) {
	before := time.Date(2026, 11, 29, 9, 55, 0, 0, time.UTC)
	cloneAt := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	p := &Plan{InstanceID: "crs-5a4py64p", Region: "ap-guangzhou", Edition: edition.Of(6).String(), InstanceType: 6,
		BackupID: "678362566696298532848117", BackupStart: time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC), Requested: "latest",
		Before: &before, Mode: ModeClone, CloneTime: &cloneAt, TakesSafetyBackup: true, Channel: ChannelBasic,
		Trigger: "apigw", Alarm: true, Reason: "alarm"}
	p.Sign(testSeal, "alarm:k", time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), 30*time.Minute)
	got, err := ParsePlan(testSeal, p.Token)
	if err != nil {
		t.Fatal(err)
	}
	// Every field the plan shows comes back as it was signed (the
	// safety backup's wording and the budget are shown, not signed).
	want := *p
	want.SafetyBackup, want.Why, want.Budget = "", "", nil
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", *got, want)
	}
	// Every claim is in the token, each under its own key.
	payload, _, _ := strings.Cut(strings.TrimPrefix(p.Token, "v1."), ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	if n := reflect.TypeFor[PlanClaims]().NumField(); len(claims) != n {
		t.Errorf("the token holds %d claims, want all %d: %s", len(claims), n, raw)
	}
	if _, err := ParsePlan(seal.New("another-signing-key-of-32-characters"), p.Token); err == nil {
		t.Error("a plan signed with another key was accepted")
	}
	if _, err := ParsePlan(nil, p.Token); err == nil {
		t.Error("a plan was accepted without a key")
	}
	for i := len("v1."); i < len(p.Token); i++ {
		b := []byte(p.Token)
		if b[i] == '.' {
			continue
		}
		b[i] ^= 1
		if _, err := ParsePlan(testSeal, string(b)); err == nil {
			t.Errorf("token changed at %d was accepted", i)
		}
	}
	if strings.Contains(p.Token, "secret") {
		t.Error("the token holds the secret")
	}
}
