package main

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"redis-restore/internal/cloudemu"
)

// TestMakeDeployDryRunChangesNothing runs the command line `make deploy
// DRY_RUN=TRUE` makes (DRY_RUN=TRUE once deployed for real: only 1, true
// and yes counted), with the command built from this package, against the
// emulator: it prints the account and the plan and calls nothing that
// changes anything. DRY_RUN=ture is refused, not taken as no.
func TestMakeDeployDryRunChangesNothing(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "deploy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	zipPath := filepath.Join(dir, "redis-restore.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "main"}
	hdr.SetMode(0o755)
	f, _ := zw.CreateHeader(hdr)
	_, _ = f.Write([]byte("binary"))
	_ = zw.Close()
	if err := os.WriteFile(zipPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	emu := cloudemu.New(cloudemu.Options{})
	demo := cloudemu.SeedDemo(emu)
	url, closeFn, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	env := append(os.Environ(), "TENCENTCLOUD_SECRETID="+demo.SecretID, "TENCENTCLOUD_SECRETKEY="+demo.SecretKey,
		"TENCENTCLOUD_SESSIONTOKEN="+demo.Token, "TENCENTCLOUD_ENDPOINT_URL="+url)

	for dryRun, wantErr := range map[string]string{"TRUE": "", "yes": "", "On": "", "ture": `invalid boolean value "ture" for -dry-run`} {
		// The command line make would run, with the built command.
		mk := exec.Command("make", "-s", "-n", "deploy", "DRY_RUN="+dryRun, "AUTO_APPROVE=1")
		mk.Dir = filepath.Join("..", "..")
		lines, err := mk.Output()
		if err != nil {
			t.Fatalf("make -n deploy: %v", err)
		}
		var args []string
		for _, line := range strings.Split(string(lines), "\n") {
			if f := strings.Fields(line); len(f) > 2 && f[2] == "./cmd/deploy" {
				args = f[3:]
			}
		}
		if len(args) == 0 {
			t.Fatalf("make -n deploy runs no ./cmd/deploy:\n%s", lines)
		}
		for i, a := range args {
			switch {
			case a == "serverless.yml":
				args[i] = filepath.Join("..", "..", "serverless.yml")
			case strings.HasSuffix(a, ".zip"):
				args[i] = zipPath
			}
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		switch {
		case wantErr != "":
			if err == nil || !strings.Contains(string(out), wantErr) {
				t.Errorf("DRY_RUN=%s: %v\n%s", dryRun, err, out)
			}
		case err != nil || !strings.Contains(string(out), "dry run: 7 change(s) planned, none made") || !strings.Contains(string(out), "account 100000000001"):
			t.Errorf("DRY_RUN=%s (%s): %v\n%s", dryRun, strings.Join(args, " "), err, out)
		}
	}
	for _, a := range []string{"CreateFunction", "PublishVersion", "CreateAlias", "CreateTrigger", "PutReservedConcurrencyConfig"} {
		if n := emu.Calls(a); n != 0 {
			t.Errorf("a dry run called %s %d times", a, n)
		}
	}
	if _, ok := emu.FunctionInfo("default", "redis-restore"); ok {
		t.Error("a dry run created the function")
	}
}
