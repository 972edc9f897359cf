package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/scfdriver"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
)

var (
	buildOnce sync.Once
	fnBinary  string
	buildErr  error
)

// function builds the function once for these tests, as make build does.
func function(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "localrun-test")
		if err != nil {
			buildErr = err
			return
		}
		fnBinary = filepath.Join(dir, "main")
		cmd := exec.Command("go", "build", "-trimpath", "-o", fnBinary, "../..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return fnBinary
}

// cloudShell is a shell whose TENCENTCLOUD_* variables point at an
// emulator, as cmd/cloudemu -demo's export lines make one.
func cloudShell(t *testing.T) (*cloudemu.Emulator, []string) {
	t.Helper()
	emu := cloudemu.New(cloudemu.Options{})
	demo := cloudemu.SeedDemo(emu)
	url, closeFn, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	var environ []string
	for k, v := range demo.Environment(url) {
		environ = append(environ, k+"="+v)
	}
	return emu, append(environ, "HOME=/nonexistent")
}

// restoring are the calls that change an instance: a restore, or the
// safety backup that comes first for a timer's restore.
var restoring = []string{"RestoreInstance", "ManualBackupInstance", "CloneInstances"}

func changes(emu *cloudemu.Emulator) map[string]int {
	out := map[string]int{}
	for _, a := range restoring {
		if n := emu.Calls(a); n > 0 {
			out[a] = n
		}
	}
	return out
}

// TestCloudDryRunRestoresNothing: localrun -cloud -dry-run once dropped
// the flag and started a real restore. Against the emulator standing in
// for the cloud, a dry run (the flag, or the shell's RESTORE_DRY_RUN in
// any spelling) calls nothing that changes an instance; without it the
// same run does, so the test can fail.
func TestCloudDryRunRestoresNothing(t *testing.T) {
	bin := function(t)
	event := filepath.Join("..", "..", "testdata", "timer.json")

	emu, shell := cloudShell(t)
	if err := runOnCloud(options{bin: bin, event: event, dryRun: true}, shell); err != nil {
		t.Fatalf("-cloud -dry-run: %v", err)
	}
	if got := changes(emu); len(got) != 0 {
		t.Fatalf("-cloud -dry-run called %v", got)
	}
	// The flag wins over the shell's own setting.
	if err := runOnCloud(options{bin: bin, event: event, dryRun: true}, append(shell, "RESTORE_DRY_RUN=false")); err != nil || len(changes(emu)) != 0 {
		t.Fatalf("-cloud -dry-run with RESTORE_DRY_RUN=false in the shell: %v, called %v", err, changes(emu))
	}
	for _, v := range []string{"TRUE", "yes", "On", "1"} {
		if err := runOnCloud(options{bin: bin, event: event}, append(shell, "RESTORE_DRY_RUN="+v)); err != nil || len(changes(emu)) != 0 {
			t.Fatalf("-cloud with RESTORE_DRY_RUN=%s: %v, called %v", v, err, changes(emu))
		}
	}
	// A value that is no yes or no is refused: no restore, and exit 1.
	if err := runOnCloud(options{bin: bin, event: event}, append(shell, "RESTORE_DRY_RUN=ture")); err == nil || len(changes(emu)) != 0 {
		t.Fatalf("-cloud with RESTORE_DRY_RUN=ture: %v, called %v", err, changes(emu))
	}

	// The control: no dry run restores (a timer: the safety backup first).
	if err := runOnCloud(options{bin: bin, event: event}, shell); err != nil {
		t.Fatalf("-cloud: %v", err)
	}
	if got := changes(emu); got["ManualBackupInstance"] != 1 {
		t.Fatalf("-cloud without a dry run called %v, want the safety backup", got)
	}
	if err := runOnCloud(options{bin: bin, event: event, life: true}, shell); err == nil {
		t.Error("-cloud -life: no error, though -life works with the emulator only")
	}
}

// TestRunUsesOnlyItsOwnSettingsAndFailsWhenTheRestoreFails: make run
// ignores the shell's RESTORE_* (an allow-list without the demo instance
// would refuse its restore), says so, and exits non-zero when the event
// is no event (README.md) or the restore fails.
func TestRunUsesOnlyItsOwnSettingsAndFailsWhenTheRestoreFails(t *testing.T) {
	bin := function(t)
	timer := filepath.Join("..", "..", "testdata", "timer.json")
	t.Setenv("RESTORE_ALLOWED_INSTANCES", "crs-someoneelse")
	t.Setenv("RESTORE_DRY_RUN", "maybe")
	if err := run(options{bin: bin, event: timer, taskIDAsString: true}, os.Environ()); err != nil {
		t.Fatalf("make run with the shell's RESTORE_ALLOWED_INSTANCES and RESTORE_DRY_RUN set: %v", err)
	}
	if _, set := os.LookupEnv("RESTORE_ALLOWED_INSTANCES"); set {
		t.Error("the shell's RESTORE_ALLOWED_INSTANCES reached the function's process")
	}

	if err := run(options{bin: bin, event: filepath.Join("..", "..", "README.md")}, nil); err == nil || !strings.Contains(err.Error(), "failed") {
		t.Errorf("make run EVENT=README.md: %v, want an error", err)
	}

	// A setting from the local file is the function's: this allow-list
	// refuses the demo instance, and the run says the restore failed.
	file := filepath.Join(t.TempDir(), "local.env")
	if err := os.WriteFile(file, []byte("# local settings\nRESTORE_ALLOWED_INSTANCES=crs-someoneelse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(options{bin: bin, event: timer, envFile: file}, nil); err == nil || !strings.Contains(err.Error(), "InstanceNotAllowed") {
		t.Errorf("make run ENV_FILE=local.env with an allow-list refusing the instance: %v", err)
	}
}

func TestOutcomeJudgesTheAnswer(t *testing.T) {
	for answer, wantErr := range map[string]bool{
		`{"results":[{"instanceId":"crs-1","status":"accepted"}]}`:                       false,
		`{"results":[{"status":"dry-run"},{"status":"skipped"},{"status":"duplicate"}]}`: false,
		`{"results":[{"status":"accepted"},{"status":"failed","error":{"code":"X"}}]}`:   true,
		`{"results":[{"status":"unknown"}]}`:                                             true,
		`{"statusCode":202,"body":"{\"results\":[{\"status\":\"queued\"}]}"}`:            false,
		`{"statusCode":403,"body":"{\"error\":{\"code\":\"Forbidden\"}}"}`:               true,
		`{"statusCode":200,"body":"{\"results\":[{\"status\":\"failed\"}]}"}`:            true,
	} {
		err := outcome(&scfdriver.Result{Payload: []byte(answer)})
		if (err != nil) != wantErr {
			t.Errorf("%s: %v", answer, err)
		}
	}
	if err := outcome(&scfdriver.Result{Error: &messages.InvokeResponse_Error{Type: "x", Message: "boom"}}); err == nil {
		t.Error("a function error passes")
	}
}
