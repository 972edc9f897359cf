package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A setting's value shown in the documentation or in serverless.yml.
type shownSetting struct{ where, name, value string }

var (
	// NAME=value in text or a shell line: RESTORE_HANDOFF=false.
	assignRE = regexp.MustCompile(`\b((?:RESTORE|TENCENTCLOUD)_[A-Z0-9_]+)=([^\s` + "`" + `"')]+)`)
	// NAME: value in YAML (serverless.yml, a yaml block).
	yamlRE = regexp.MustCompile(`^\s*#?\s*((?:RESTORE|TENCENTCLOUD)_[A-Z0-9_]+):\s+("[^"]*"|'[^']*'|\S+)`)
	// A row of the configuration table: | `NAME` | meaning | default |.
	rowRE = regexp.MustCompile("^\\| `((?:RESTORE|TENCENTCLOUD)_[A-Z0-9_]+)` \\| (.*) \\| (.*) \\|$")
	// In the table, `value`: what it does; and a default written `value`.
	colonValueRE   = regexp.MustCompile("`([^`]+)`:")
	leadingValueRE = regexp.MustCompile("^`([^`]+)`")
)

// shownSettings reads every setting value README.md, docs/*.md and
// serverless.yml show.
func shownSettings(t *testing.T) []shownSetting {
	t.Helper()
	root := filepath.Join("..", "..")
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files := append([]string{filepath.Join(root, "README.md"), filepath.Join(root, "serverless.yml")}, docs...)
	var out []shownSetting
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			where := filepath.Base(f) + ":" + strconv.Itoa(i+1)
			add := func(name, value string) {
				value = strings.Trim(value, `"'`)
				if strings.HasPrefix(value, "${env:") || strings.HasPrefix(value, "<") {
					return // filled in at deploy time, or a placeholder
				}
				out = append(out, shownSetting{where, name, value})
			}
			for _, m := range assignRE.FindAllStringSubmatch(line, -1) {
				add(m[1], strings.TrimRight(m[2], ".,;:"))
			}
			if m := yamlRE.FindStringSubmatch(line); m != nil {
				add(m[1], strings.Fields(m[2])[0])
			}
			if m := rowRE.FindStringSubmatch(line); m != nil {
				for _, v := range colonValueRE.FindAllStringSubmatch(m[2], -1) {
					add(m[1], v[1])
				}
				if v := leadingValueRE.FindStringSubmatch(m[3]); v != nil {
					add(m[1], v[1])
				}
			}
		}
	}
	return out
}

// TestEverySettingValueTheDocsShowLoads: whatever value the README, the
// docs or serverless.yml show for a setting, config.Load takes it, so
// that copying an example never stops every restore (RESTORE_HANDOFF=false,
// as the Security section wrote it, once did).
func TestEverySettingValueTheDocsShowLoads(t *testing.T) {
	shown := shownSettings(t)
	names := map[string]bool{}
	for _, s := range shown {
		names[s.name+"="+s.value] = true
		env := map[string]string{
			// What any working configuration has, so that each value
			// is judged on its own.
			"RESTORE_QUEUE": "redis-restore-tasks", "RESTORE_WEBHOOK_SECRET": "whsec-example",
			"RESTORE_SIGNING_KEY": testSigningKey,
			s.name:                s.value,
		}
		if s.name == "RESTORE_TOPIC" {
			delete(env, "RESTORE_QUEUE")
		}
		if _, err := Load(func(k string) string { return env[k] }); err != nil {
			t.Errorf("%s shows %s=%s, which config.Load refuses: %v", s.where, s.name, s.value, err)
		}
	}
	// The reading itself must find the examples, or this test checks nothing.
	for _, want := range []string{"RESTORE_HANDOFF=false", "RESTORE_HANDOFF=off", "RESTORE_DRY_RUN=false", "RESTORE_BUDGET=1/1h", "RESTORE_CLONE=true", "RESTORE_SAFETY_BACKUP=false"} {
		if !names[want] {
			t.Errorf("no %s among the %d setting values read from the docs: the reading is broken", want, len(shown))
		}
	}
	if len(shown) < 30 {
		t.Errorf("only %d setting values read from the docs", len(shown))
	}
}

// TestOneReadingOfYesAndNo: every yes-or-no setting takes the words
// ParseBool takes, in any case, and refuses anything else by name; an
// unusable RESTORE_DRY_RUN is never a real run.
func TestOneReadingOfYesAndNo(t *testing.T) {
	yes := []string{"true", "TRUE", "True", "1", "yes", "YES", "on", "On", " true "}
	no := []string{"false", "FALSE", "0", "no", "No", "off", "OFF"}
	bad := []string{"maybe", "t", "f", "y", "n", "2", "enable", " ", "truee"}
	for _, v := range yes {
		if b, err := ParseBool(v); err != nil || !b {
			t.Errorf("ParseBool(%q) = %v, %v; want true", v, b, err)
		}
		if c, err := Load(env(map[string]string{"RESTORE_DRY_RUN": v, "RESTORE_CLONE": v})); err != nil || !c.DryRun || !c.Life.Clone {
			t.Errorf("RESTORE_DRY_RUN=RESTORE_CLONE=%q: %v", v, err)
		}
	}
	for _, v := range no {
		if b, err := ParseBool(v); err != nil || b {
			t.Errorf("ParseBool(%q) = %v, %v; want false", v, b, err)
		}
		c, err := Load(env(map[string]string{"RESTORE_DRY_RUN": v, "RESTORE_SAFETY_BACKUP": v, "RESTORE_HANDOFF": v}))
		if err != nil || c.DryRun || c.Life.SafetyBackup != "off" || c.Handoff != HandoffOff {
			t.Errorf("RESTORE_DRY_RUN=RESTORE_SAFETY_BACKUP=RESTORE_HANDOFF=%q: %+v, %v", v, c, err)
		}
	}
	for _, v := range bad {
		if _, err := ParseBool(v); err == nil {
			t.Errorf("ParseBool(%q) took it", v)
		}
		for _, name := range []string{"RESTORE_DRY_RUN", "RESTORE_CLONE", "RESTORE_SAFETY_BACKUP"} {
			c, err := Load(env(map[string]string{name: v}))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: error %v, want one naming it", name, v, err)
			}
			if name == "RESTORE_DRY_RUN" && !c.DryRun {
				t.Errorf("RESTORE_DRY_RUN=%q reads as a real run", v)
			}
			if name == "RESTORE_SAFETY_BACKUP" && c.Life.SafetyBackup != "on" {
				t.Errorf("RESTORE_SAFETY_BACKUP=%q reads as %q, want on (fail safe)", v, c.Life.SafetyBackup)
			}
		}
	}
	var f BoolFlag
	for v, want := range map[string]bool{"TRUE": true, "yes": true, "off": false} {
		if err := f.Set(v); err != nil || bool(f) != want {
			t.Errorf("BoolFlag.Set(%q): %v, %v", v, f, err)
		}
	}
	if err := f.Set("maybe"); err == nil || !f.IsBoolFlag() || !slices.Contains([]string{"false"}, f.String()) {
		t.Errorf("BoolFlag.Set(maybe): %v (value %s)", err, f.String())
	}
}
