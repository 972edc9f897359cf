package main

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// SCF runs the zip's "main" as is: it must be at the root, whole, and
// executable.
func TestPackPutsAnExecutableMainAtTheRoot(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "some-build-output")
	content := []byte("\x7fELF pretend binary")
	if err := os.WriteFile(bin, content, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fn.zip")
	if err := pack(out, bin); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "main" {
		t.Fatalf("entries %v", zr.File)
	}
	f := zr.File[0]
	if f.Mode().Perm()&0o111 == 0 {
		t.Errorf("main has mode %v: not executable", f.Mode())
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if string(got) != string(content) {
		t.Errorf("content %q", got)
	}
}
