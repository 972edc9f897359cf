package restore

import (
	"testing"
	"time"

	"redis-restore/internal/intent"
	"redis-restore/internal/seal"
)

var testSeal = seal.New("a-test-signing-key-of-32-characters!")

// A copied remark is not a second safety backup: only the first backup
// listed with a sealed remark is the intent's.
func TestOneSealedRemarkIsOneSafetyBackup(t *testing.T) {
	since := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	r := intent.SafetyRemark(testSeal, "crs-5a4py64p", "678362566696298532848117", "timer", since, since)
	s := &Service{Settings: Settings{Seal: testSeal}}
	got := s.Reader().SignedOnly("crs-5a4py64p", []intent.Backup{
		{ID: "copy", Remark: r, StartTime: since.Add(time.Hour), Status: 2},
		{ID: "original", Remark: r, StartTime: since.Add(time.Second), Status: -2},
	})
	if len(got) != 1 || got[0].ID != "original" {
		t.Fatalf("signed backups %+v, want the original only", got)
	}
}
