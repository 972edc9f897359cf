package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunFleetFailsUnlessEveryMemberIsRestoredOnce: make run-fleet exits 0
// when its fleet restored every instance once and completed, and 1 when
// some instance was not restored: here an allow-list of ENV_FILE that
// leaves two of the three out of the fleet's pattern.
func TestRunFleetFailsUnlessEveryMemberIsRestoredOnce(t *testing.T) {
	bin := function(t)
	dir := t.TempDir()
	t.Chdir(dir) // its log goes to dist/ here
	if err := runFleet(options{bin: bin, fleet: 3, fleetTask: 300 * time.Millisecond}, nil); err != nil {
		t.Fatalf("make run-fleet FLEET=3: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, fleetLog)); err != nil || !strings.Contains(string(b), "fleet") {
		t.Errorf("the function's log %s: %v, %d bytes", fleetLog, err, len(b))
	}
	file := filepath.Join(dir, "local.env")
	if err := os.WriteFile(file, []byte("RESTORE_ALLOWED_INSTANCES=crs-fleet00001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runFleet(options{bin: bin, fleet: 3, fleetTask: 300 * time.Millisecond, envFile: file}, nil); err == nil || !strings.Contains(err.Error(), "2 of 3 members were not restored") {
		t.Errorf("make run-fleet with two instances left out of the fleet: %v, want an error naming them", err)
	}
}
