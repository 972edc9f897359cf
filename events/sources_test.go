package events_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

// sourceRow is a row of testdata/SOURCES.md's table: | `name.json` | ...
var sourceRow = regexp.MustCompile("(?m)^\\| `([^`]+\\.json)` \\|[^|]*\\S[^|]*\\|")

// TestEveryFixtureHasADocumentedSource keeps testdata/SOURCES.md and the
// fixtures in step: each fixture names the document its shape comes from,
// and the list names no fixture that is gone.
func TestEveryFixtureHasADocumentedSource(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testdataDir, "SOURCES.md"))
	if err != nil {
		t.Fatalf("testdata/SOURCES.md: %v", err)
	}
	listed := map[string]int{}
	for _, m := range sourceRow.FindAllStringSubmatch(string(b), -1) {
		listed[m[1]]++
	}
	if len(listed) == 0 {
		t.Fatal("testdata/SOURCES.md lists no fixture")
	}
	for _, name := range fixtureNames(t) {
		switch listed[name] {
		case 0:
			t.Errorf("%s is not in testdata/SOURCES.md: name the document its shape comes from, or remove it", name)
		case 1:
		default:
			t.Errorf("%s is listed %d times in testdata/SOURCES.md", name, listed[name])
		}
		delete(listed, name)
	}
	var gone []string
	for name := range listed {
		gone = append(gone, name)
	}
	sort.Strings(gone)
	for _, name := range gone {
		t.Errorf("testdata/SOURCES.md lists %s, which is not in testdata/", name)
	}
}
