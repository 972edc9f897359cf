package restore

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A plan token round-trips, and any change to it is refused.
func TestPlanTokenSignsEveryField(t *testing.T) {
	before := time.Date(2026, 11, 29, 9, 55, 0, 0, time.UTC)
	// Every field set, none to its zero value, so that a field the token
	// leaves out comes back different.
	p := &Plan{InstanceID: "crs-5a4py64p", Region: "ap-guangzhou", Edition: "as read", InstanceType: 6,
		BackupID: "678362566696298532848117", BackupStart: time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC),
		Why: "the newest before the alarm", Requested: "latest", Before: &before, SafetyBackup: "taken first",
		Trigger: "apigw", Alarm: true, Reason: "alarm", Budget: &BudgetState{}}
	p.sign("secret", "alarm:k", time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), 30*time.Minute)
	got, err := ParsePlan("secret", p.Token)
	if err != nil {
		t.Fatal(err)
	}
	// What the token does not carry: why this backup, the safety backup
	// and the budget are said again when the plan is applied; the edition
	// is the instance type's.
	want := *p
	want.Why, want.SafetyBackup, want.Budget, want.Edition = "", "", nil, EditionOf(6).String()
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("parsed %+v\nwant   %+v", got, &want)
	}
	// Every claim is in the token, each under its own key.
	payload, _, _ := strings.Cut(strings.TrimPrefix(p.Token, tokenPrefix), ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	if n := reflect.TypeFor[planClaims]().NumField(); len(claims) != n {
		t.Errorf("the token holds %d claims, want all %d: %s", len(claims), n, raw)
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
