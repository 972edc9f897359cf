package deploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/config"
	"redis-restore/internal/deploy"
)

// scf calls the emulator as someone other than the deploy would.
func (w *world) scf(action string, params map[string]any) {
	w.t.Helper()
	creds := config.Credentials{SecretID: w.env["TENCENTCLOUD_SECRETID"], SecretKey: w.env["TENCENTCLOUD_SECRETKEY"], Token: w.env["TENCENTCLOUD_SESSIONTOKEN"]}
	cfg, err := config.Load(func(k string) string { return w.env[k] })
	if err != nil {
		w.t.Fatal(err)
	}
	s := cloud.New(cloud.Options{}).Session(creds, cfg.EndpointURL)
	if err := s.SCF(context.Background(), "ap-guangzhou", action, params, nil); err != nil {
		w.t.Fatalf("%s: %v", action, err)
	}
}

func TestDeployAsksAndNoAnswerIsNo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for answer, want := range map[string]string{
		"":        "no stdin to answer on; pass -yes",
		"\n":      `"" is not yes or no`,
		"no\n":    "answered no",
		"maybe\n": `"maybe" is not yes or no`,
	} {
		w.answer = answer
		_, out, err := w.deploy(false)
		if !errors.Is(err, deploy.ErrNotConfirmed) || !strings.Contains(err.Error(), want) {
			t.Errorf("answer %q: error %v, want one saying %q", answer, err, want)
		}
		if !strings.Contains(out, "account 100000000001") || !strings.Contains(out, "plan:") {
			t.Errorf("answer %q: the question came without the account and the plan:\n%s", answer, out)
		}
		for _, a := range mutating {
			if n := w.emu.Calls(a); n != 0 {
				t.Fatalf("answer %q: %s called %d times", answer, a, n)
			}
		}
	}
	// -yes (AUTO_APPROVE) answers for whoever is not there.
	w.answer, w.yes = "", true
	if _, out, err := w.deploy(false); err != nil || !strings.Contains(out, "yes (-yes)") {
		t.Fatalf("-yes: %v\n%s", err, out)
	}
}

// A setting the function would refuse stops the deploy before any call,
// naming it; so do an empty value and an environment over SCF's 4 KB.
func TestDeployChecksTheFunctionsSettingsFirst(t *testing.T) {
	t.Parallel()
	cases := []struct{ old, new, want string }{
		{`RESTORE_ALARM_MARGIN: 5m`, `RESTORE_ALARM_MARGIN: 5m` + "\n      RESTORE_BUDGET: \"1\"", "RESTORE_BUDGET"},
		{`RESTORE_DRY_RUN: "true"`, `RESTORE_DRY_RUN: "ture"`, "RESTORE_DRY_RUN"},
		{`RESTORE_QUEUE: redis-restore-tasks`, `RESTORE_ALARM_POLICIES: policy-1`, "RESTORE_QUEUE"},
		{`RESTORE_CLONE: "false"`, `RESTORE_CLONE: ""`, "RESTORE_CLONE: the value is empty"},
		{`RESTORE_CLONE: "false"`, `RESTORE_CLONE: "false"` + "\n      NOTES: " + strings.Repeat("n", 4000), "more than SCF's 4096"},
		{`RESTORE_ALARM_MARGIN: 5m`, `RESTORE_ALARM_MARGIN: 5m` + "\n      RESTORE_APPROVAL: alarms", "RESTORE_APPROVAL"},
		{`RESTORE_ALARM_MARGIN: 5m`, `RESTORE_ALARM_MARGIN: 5m` + "\n      RESTORE_SIGNING_KEY: too-short", "RESTORE_SIGNING_KEY"},
	}
	for _, c := range cases {
		w := newWorld(t)
		w.edit(c.old, c.new)
		_, out, err := w.deploy(true)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q\n%s", c.new, err, c.want, out)
		}
		if n := w.emu.Calls("GetFunction") + w.emu.Calls("GetCallerIdentity"); n != 0 {
			t.Errorf("%s: %d calls before the settings were checked", c.new, n)
		}
	}
}

func TestRuntimeChangeStopsTheDeploy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mustDeploy(false)
	w.edit("runtime: Go1", "runtime: CustomRuntime")
	before := w.counts()
	_, out, err := w.deploy(false)
	if err == nil || !strings.Contains(err.Error(), "cannot change a function's runtime") || len(w.grew(before)) != 0 {
		t.Fatalf("a changed runtime: %v, called %v\n%s", err, w.grew(before), out)
	}
}

// UpdateTrigger changes timers and CKafka triggers only: a function URL
// that must change is deleted and created anew, and the plan says that its
// URL changes.
func TestFunctionURLChangeIsDeleteThenCreate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res, _ := w.mustDeploy(false)
	w.edit("authType: NONE", "authType: CAM")
	before := w.counts()
	res2, out := w.mustDeploy(false)
	if got := w.grew(before); !equalCounts(got, map[string]int{"DeleteTrigger": 1, "CreateTrigger": 1}) {
		t.Fatalf("changing the function URL called %v\n%s", got, out)
	}
	if !strings.Contains(out, "± replace function URL") || !strings.Contains(out, "its URL changes") || res2.URL == res.URL || res2.URL == "" {
		t.Errorf("URL %s -> %s; plan:\n%s", res.URL, res2.URL, out)
	}
	if tr := w.triggersOf()["http"]; !strings.Contains(tr.Desc, `"AuthType":"CAM"`) || tr.Qualifier != "live" {
		t.Errorf("function URL after the change: %+v", tr)
	}
}

// make rollback points the alias (and so every trigger) at the version
// before, in one UpdateAlias; the next deploy of the same serverless.yml
// points it forward again without publishing.
func TestRollbackThenDeployAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mustDeploy(false)
	w.writeZip("binary v2", time.Now())
	w.mustDeploy(false)
	if w.alias() != "2" {
		t.Fatalf("alias at %s after two deploys", w.alias())
	}

	before := w.counts()
	res, out, err := w.run(deploy.Rollback, deploy.Options{})
	if err != nil {
		t.Fatalf("rollback: %v\n%s", err, out)
	}
	if got := w.grew(before); !equalCounts(got, map[string]int{"UpdateAlias": 1}) || res.Version != "1" || w.alias() != "1" {
		t.Fatalf("rollback called %v, alias at %s\n%s", got, w.alias(), out)
	}
	for _, want := range []string{"account 100000000001", "version 2 -> 1", "roll back? [yes/no]"} {
		if !strings.Contains(out, want) {
			t.Errorf("the rollback's output lacks %q:\n%s", want, out)
		}
	}
	for name, tr := range w.triggersOf() {
		if tr.Qualifier != "live" {
			t.Errorf("trigger %s bound to %s after the rollback", name, tr.Qualifier)
		}
	}
	// The version rolled back to holds the first code.
	if v := w.emu.FunctionVersions("default", "redis-restore"); len(v) != 2 || !strings.Contains(v[0].Description, "Deployed by make deploy") {
		t.Errorf("versions %+v", v)
	}

	before = w.counts()
	res, out = w.mustDeploy(false)
	if got := w.grew(before); !equalCounts(got, map[string]int{"UpdateAlias": 1}) || res.Version != "2" {
		t.Fatalf("the deploy after a rollback called %v (version %s), want only UpdateAlias back to 2\n%s", got, res.Version, out)
	}

	// Nothing older than version 1.
	w.run(deploy.Rollback, deploy.Options{})
	if _, out, err := w.run(deploy.Rollback, deploy.Options{}); err == nil || !strings.Contains(err.Error(), "no older version") {
		t.Errorf("rolling back from version 1: %v\n%s", err, out)
	}
	w.answer = ""
	if _, _, err := w.run(deploy.Rollback, deploy.Options{RollbackTo: "2"}); !errors.Is(err, deploy.ErrNotConfirmed) || w.alias() != "1" {
		t.Errorf("a rollback nobody confirmed: %v, alias at %s", err, w.alias())
	}
}

func TestDestroyRemovesWhatDeployMadeAndNothingElse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mustDeploy(false)
	// Someone adds a trigger of their own: destroying the function would
	// take it too, so destroy stops.
	w.scf("CreateTrigger", map[string]any{"FunctionName": "redis-restore", "TriggerName": "theirs", "Type": "timer", "TriggerDesc": "0 0 4 * * * *", "Qualifier": "$DEFAULT", "Enable": "CLOSE"})
	before := w.counts()
	if _, out, err := w.run(deploy.Destroy, deploy.Options{}); err == nil || !strings.Contains(err.Error(), "timer trigger theirs") || len(w.grew(before)) != 0 {
		t.Fatalf("destroy with a trigger deploy did not make: %v, called %v\n%s", err, w.grew(before), out)
	}
	w.scf("DeleteTrigger", map[string]any{"FunctionName": "redis-restore", "TriggerName": "theirs", "Type": "timer"})

	before = w.counts()
	_, out, err := w.run(deploy.Destroy, deploy.Options{})
	if err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	if got := w.grew(before); !equalCounts(got, map[string]int{"DeleteTrigger": 3, "DeleteFunction": 1}) {
		t.Fatalf("destroy called %v\n%s", got, out)
	}
	if _, ok := w.emu.FunctionInfo("default", "redis-restore"); ok || !strings.Contains(out, "delete these") {
		t.Fatalf("the function is still there, or nobody was asked:\n%s", out)
	}
	if _, out, err := w.run(deploy.Destroy, deploy.Options{}); err != nil || !strings.Contains(out, "nothing to destroy") {
		t.Errorf("destroy again: %v\n%s", err, out)
	}
}

// A function make deploy did not create stays; what deploy put on it goes.
func TestDestroyLeavesAFunctionItDidNotCreate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", MemorySize: 64, Timeout: 30,
		Environment: map[string]string{"RESTORE_QUEUE": "q"}})
	w.scf("CreateTrigger", map[string]any{"FunctionName": "redis-restore", "TriggerName": "restore-sweep", "Type": "timer", "TriggerDesc": "0 */1 * * * * *", "Qualifier": "$DEFAULT"})
	_, out := w.mustDeploy(false)
	// The older deploy's sweep on $DEFAULT is moved to the alias.
	if !strings.Contains(out, "bound to $DEFAULT -> live: deleted and created anew") || w.triggersOf()["restore-sweep"].Qualifier != "live" {
		t.Errorf("the sweep on $DEFAULT:\n%s", out)
	}
	_, out, err := w.run(deploy.Destroy, deploy.Options{})
	if err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	if _, ok := w.emu.FunctionInfo("default", "redis-restore"); !ok {
		t.Fatalf("destroy deleted a function it did not create:\n%s", out)
	}
	if len(w.triggersOf()) != 0 || len(w.emu.FunctionVersions("default", "redis-restore")) != 0 || w.alias() != "" {
		t.Errorf("left: triggers %v, versions %v, alias %q\n%s", w.triggersOf(), w.emu.FunctionVersions("default", "redis-restore"), w.alias(), out)
	}
}

// The deploy gives the function its own signing key when serverless.yml
// names none, keeps it on later deploys, and never prints it.
func TestDeployGivesTheFunctionASigningKeyAndKeepsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.yes = true
	_, out, err := w.deploy(false)
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := w.emu.FunctionInfo("default", "redis-restore")
	key := fn.Environment["RESTORE_SIGNING_KEY"]
	if !ok || len(key) < config.MinSigningKey {
		t.Fatalf("RESTORE_SIGNING_KEY %q after the first deploy", key)
	}
	if strings.Contains(out, key) {
		t.Fatal("the deploy printed the signing key")
	}
	if _, _, err := w.deploy(false); err != nil {
		t.Fatal(err)
	}
	if fn, _ = w.emu.FunctionInfo("default", "redis-restore"); fn.Environment["RESTORE_SIGNING_KEY"] != key {
		t.Fatal("a second deploy changed the signing key")
	}
}
