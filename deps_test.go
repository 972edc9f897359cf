package main_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The function's binary links one Redis client, redigo (internal/verify's):
// go-redis (8 MB of the binary) and miniredis serve tests, the emulator
// and cmd/localrun only. Asked of the build `make build` makes.
func TestFunctionLinksOnlyRedigoAsItsRedisClient(t *testing.T) {
	list := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", ".")
	list.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	modules := map[string]bool{}
	for m := range strings.FieldsSeq(string(out)) {
		modules[m] = true
	}
	if !modules["github.com/gomodule/redigo"] {
		t.Error("redigo is not linked: is internal/verify still the check's client?")
	}
	for _, m := range []string{"github.com/redis/go-redis/v9", "github.com/alicebob/miniredis/v2"} {
		if modules[m] {
			t.Errorf("the function links %s", m)
		}
	}
}
