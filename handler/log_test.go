package handler_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"redis-restore/handler"
	"redis-restore/internal/intent"
)

// logLines decodes the JSON log lines written so far.
func logLines(t *testing.T, e *env) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// withLevelVar gives e's handler a level set from LOG_LEVEL per
// invocation, as main.go wires it.
func withLevelVar(e *env) *slog.LevelVar {
	lv := new(slog.LevelVar)
	e.h.Log, e.h.Level = handler.NewLogger(e.logs, lv), lv
	return lv
}

func TestLogLevelIsReadPerInvocation(t *testing.T) {
	e := newEnv(t)
	lv := withLevelVar(e)
	dryRun := timerEvent(t, timeNow(), `{"instanceId":"crs-5a4py64p","backupId":"latest","dryRun":true}`)

	e.vars["LOG_LEVEL"] = "WARN"
	if r := onlyResult(t, e.results(dryRun)); r.Status != intent.DryRun {
		t.Fatalf("result %+v", r)
	}
	for _, l := range logLines(t, e) {
		if l["level"] == "INFO" || l["level"] == "DEBUG" {
			t.Errorf("LOG_LEVEL=WARN logged %v", l)
		}
	}

	e.vars["LOG_LEVEL"] = "debug"
	e.results(dryRun)
	if lv.Level() != slog.LevelDebug {
		t.Errorf("LOG_LEVEL=debug: level %v", lv.Level())
	}
	e.vars["LOG_LEVEL"] = ""
	e.results(dryRun)
	if lv.Level() != slog.LevelInfo {
		t.Errorf("LOG_LEVEL unset: level %v, want info", lv.Level())
	}
}

// A log level that is not one changes what is said, not what is done: the
// restore runs, at info, and every invocation warns naming the setting.
func TestBadLogLevelWarnsAndLogsAtInfo(t *testing.T) {
	e := newEnv(t)
	lv := withLevelVar(e)
	e.vars["LOG_LEVEL"] = "verbose"
	r := onlyResult(t, e.results(timerEvent(t, timeNow(), `{"instanceId":"crs-5a4py64p","backupId":"latest","dryRun":true}`)))
	if r.Status != intent.DryRun || lv.Level() != slog.LevelInfo {
		t.Fatalf("result %+v, level %v", r, lv.Level())
	}
	var warned, info bool
	for _, l := range logLines(t, e) {
		if l["msg"] == "config.logLevel.invalid" && l["level"] == "WARN" {
			d, _ := l["detail"].(string)
			warned = strings.Contains(d, "LOG_LEVEL") && strings.Contains(d, "verbose")
		}
		info = info || l["level"] == "INFO"
	}
	if !warned || !info {
		t.Errorf("warned %v, info lines %v:\n%s", warned, info, e.logs.String())
	}
}

// The invocation's id and an API call's id have their own names.
func TestLogNamesTheSCFAndAPIRequestIDs(t *testing.T) {
	e := newEnv(t)
	r := onlyResult(t, e.results(timerEvent(t, timeNow(), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`)))
	if r.Status != intent.Accepted {
		t.Fatalf("result %+v", r)
	}
	var api bool
	for _, l := range logLines(t, e) {
		if l["scfRequestId"] != "scf-req-1" {
			t.Errorf("line without scfRequestId: %v", l)
		}
		if _, ok := l["requestId"]; ok {
			t.Errorf("line with an ambiguous requestId: %v", l)
		}
		if id, ok := l["apiRequestId"].(string); ok && id == r.RequestID {
			api = true
		}
	}
	if !api {
		t.Errorf("no line names RestoreInstance's request id %s as apiRequestId:\n%s", r.RequestID, e.logs.String())
	}
}

// msgKey is a stable log key: dotted lower camel case words, no spaces.
var msgKey = regexp.MustCompile(`^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)+$`)

// Every line's msg is a stable key, across the paths an invocation takes:
// a restore with its safety backup, the sweep that continues it, a dry
// run, a refused webhook call, a held alarm, a failed restore.
func TestEveryLogMessageIsAStableKey(t *testing.T) {
	e := newEnv(t)
	e.vars["RESTORE_SAFETY_BACKUP"] = "true"
	e.results(timerEvent(t, timeNow(), `{"instanceId":"crs-5a4py64p","backupId":"latest","dryRun":true}`))
	e.results(timerEvent(t, timeNow(), `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532840000","safetyBackup":false}`))
	e.results(timerEvent(t, timeNow(), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`))
	e.invoke(functionURLEvent(t, `{"instanceId":"crs-5a4py64p"}`, map[string]string{"x-restore-signature": "t=1,v1=00"}))
	e.invoke(fixture(t, "alarm-metric-instanceid.json"))
	e.results(timerEvent(t, timeNow(), `{"sweep":true}`))
	keys := map[string]bool{}
	for _, l := range logLines(t, e) {
		msg, _ := l["msg"].(string)
		if !msgKey.MatchString(msg) {
			t.Errorf("msg %q is not a stable key: %v", msg, l)
		}
		keys[msg] = true
	}
	for _, k := range []string{"safetyBackup.started", "plan.dryRun", "restore.attemptFailed", "webhook.refused", "invocation.answered", "sweep.listed"} {
		if !keys[k] {
			t.Errorf("no %s line; keys seen: %v", k, keys)
		}
	}
}

// Every key the code logs is documented in docs/operations.md, so that the
// keys an alarm or a query relies on are the ones written down.
func TestLogKeysAreDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\.(?:Info|Warn|Error|Debug)\("([^"]+)"`)
	var files []string
	for _, dir := range []string{".", filepath.Join("..", "internal", "restore")} {
		fs, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		files = append(files, fs...)
	}
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			seen++
			if !msgKey.MatchString(m[1]) {
				t.Errorf("%s logs %q, not a stable key", f, m[1])
			} else if !strings.Contains(string(doc), "`"+m[1]+"`") {
				t.Errorf("%s logs %s, which docs/operations.md does not list", f, m[1])
			}
		}
	}
	if seen < 50 {
		t.Errorf("only %d log calls found: the scan is broken", seen)
	}
}
