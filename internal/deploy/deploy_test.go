package deploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/clock"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/deploy"
)

// mutating are the SCF actions that change something.
var mutating = []string{"CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "CreateTrigger", "UpdateTrigger",
	"DeleteTrigger", "PublishVersion", "CreateAlias", "UpdateAlias", "DeleteAlias", "DeleteFunction", "PutReservedConcurrencyConfig"}

type world struct {
	t     *testing.T
	emu   *cloudemu.Emulator
	clock *clock.Fake
	env   map[string]string
	dir   string
	yml   string // the serverless.yml being deployed
	zip   string
	// answer is what the deploy reads on stdin when it asks; yes is -yes.
	answer string
	yes    bool
}

// newWorld serves the emulator over real HTTP (it checks every request's
// TC3 signature) and copies the project's own serverless.yml.
func newWorld(t *testing.T) *world {
	t.Helper()
	c := clock.NewFake(time.Now())
	emu := cloudemu.New(cloudemu.Options{Now: c.Now})
	demo := cloudemu.SeedDemo(emu)
	emu.SetFunctionSettleTime(3 * time.Second)
	url, closeFn, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	w := &world{t: t, emu: emu, clock: c, dir: t.TempDir(), answer: "yes\n", env: map[string]string{
		"TENCENTCLOUD_SECRETID":     demo.SecretID,
		"TENCENTCLOUD_SECRETKEY":    demo.SecretKey,
		"TENCENTCLOUD_SESSIONTOKEN": demo.Token,
		"TENCENTCLOUD_ENDPOINT_URL": url,
	}}
	raw, err := os.ReadFile(filepath.Join("..", "..", "serverless.yml"))
	if err != nil {
		t.Fatal(err)
	}
	w.yml = string(raw)
	w.zip = filepath.Join(w.dir, "redis-restore.zip")
	w.writeZip("binary v1", time.Now())
	return w
}

// writeZip writes a zip as cmd/pack does: main, executable, at the root.
func (w *world) writeZip(content string, mtime time.Time) {
	w.t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "main", Method: zip.Deflate, Modified: mtime}
	hdr.SetMode(0o755)
	f, err := zw.CreateHeader(hdr)
	if err != nil {
		w.t.Fatal(err)
	}
	_, _ = f.Write([]byte(content))
	if err := zw.Close(); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(w.zip, buf.Bytes(), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) edit(old, new string) {
	w.t.Helper()
	if !strings.Contains(w.yml, old) {
		w.t.Fatalf("serverless.yml has no %q", old)
	}
	w.yml = strings.Replace(w.yml, old, new, 1)
}

func (w *world) deploy(dryRun bool) (deploy.Result, string, error) {
	w.t.Helper()
	return w.run(deploy.Run, deploy.Options{DryRun: dryRun})
}

// run runs a deploy, a rollback or a destroy on the world's serverless.yml,
// answering its question with w.answer.
func (w *world) run(f func(context.Context, deploy.Options, func(string) string, io.Writer) (deploy.Result, error), opts deploy.Options) (deploy.Result, string, error) {
	w.t.Helper()
	cfg := filepath.Join(w.dir, "serverless.yml")
	if err := os.WriteFile(cfg, []byte(w.yml), 0o644); err != nil {
		w.t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts.Config, opts.Zip, opts.WaitTimeout, opts.Yes = cfg, w.zip, time.Minute, w.yes
	if w.answer != "" {
		opts.In = strings.NewReader(w.answer)
	}
	opts.Now = w.clock.Now
	// Waiting moves the emulator's clock: the function settles.
	opts.Sleep = func(_ context.Context, d time.Duration) error { w.clock.Advance(d); return nil }
	res, err := f(ctx, opts, func(k string) string { return w.env[k] }, &out)
	return res, out.String(), err
}

func (w *world) mustDeploy(dryRun bool) (deploy.Result, string) {
	w.t.Helper()
	res, out, err := w.deploy(dryRun)
	if err != nil {
		w.t.Fatalf("deploy: %v\n%s", err, out)
	}
	return res, out
}

func (w *world) counts() map[string]int {
	m := map[string]int{}
	for _, a := range append(slices.Clone(mutating), "GetFunction", "ListTriggers") {
		m[a] = w.emu.Calls(a)
	}
	return m
}

// grew returns the actions called since before, with how often.
func (w *world) grew(before map[string]int) map[string]int {
	out := map[string]int{}
	for a, n := range w.counts() {
		if a != "GetFunction" && a != "ListTriggers" && n != before[a] {
			out[a] = n - before[a]
		}
	}
	return out
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// triggersOf returns the function's triggers by name (the function URL
// under "http").
func (w *world) triggersOf() map[string]cloudemu.Trigger {
	out := map[string]cloudemu.Trigger{}
	for _, tr := range w.emu.FunctionTriggers("default", "redis-restore") {
		if tr.Type == "http" {
			out["http"] = tr
			continue
		}
		out[tr.Name] = tr
	}
	return out
}

func (w *world) alias() string {
	v, _ := w.emu.FunctionAlias("default", "redis-restore", "live")
	return v
}

func TestDeployCreatesThenChangesNothingThenUpdatesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)

	// First run (GetFunction answers InvalidParameterValue.FunctionName,
	// as documented): the account shown, the question asked; function,
	// reserved concurrency, version 1, alias live, timers (the nightly
	// restore disabled, the sweep) and function URL created, every
	// trigger bound to the alias.
	before := w.counts()
	res, out := w.mustDeploy(false)
	want := map[string]int{"CreateFunction": 1, "PutReservedConcurrencyConfig": 1, "PublishVersion": 1, "CreateAlias": 1, "CreateTrigger": 3}
	if got := w.grew(before); !equalCounts(got, want) {
		t.Fatalf("first deploy called %v, want %v\n%s", got, want, out)
	}
	if res.Changes != 7 || res.Version != "1" || w.alias() != "1" {
		t.Errorf("first deploy: %d changes, version %q, alias at %q; want 7, 1, 1", res.Changes, res.Version, w.alias())
	}
	for _, wantOut := range []string{"account 100000000001 (CAMUser", "region ap-guangzhou, function default/redis-restore, alias live",
		"make these 7 change(s)? [yes/no]", "+ publish a version of function redis-restore", "+ create alias live"} {
		if !strings.Contains(out, wantOut) {
			t.Errorf("the output lacks %q:\n%s", wantOut, out)
		}
	}
	if strings.Index(out, "account 100000000001") > strings.Index(out, "plan:") || strings.Index(out, "plan:") > strings.Index(out, "[yes/no]") {
		t.Errorf("want the account, then the plan, then the question:\n%s", out)
	}
	f, ok := w.emu.FunctionInfo("default", "redis-restore")
	if !ok {
		t.Fatal("no function after the deploy")
	}
	if f.Runtime != "Go1" || f.Handler != "main" || f.Role != "RedisRestoreRole" || f.MemorySize != 64 || f.Timeout != 60 ||
		f.Environment["RESTORE_QUEUE"] != "redis-restore-tasks" || f.Environment["RESTORE_ALLOWED_INSTANCES"] != "crs-5a4py64p" || f.Status != "Active" {
		t.Errorf("function as deployed: %+v", f)
	}
	if mem, _ := w.emu.FunctionReservedConcurrency("default", "redis-restore"); mem != 640 {
		t.Errorf("reserved concurrency %d MB, want 640", mem)
	}
	trs := w.triggersOf()
	timer, url := trs["nightly-staging-restore"], trs["http"]
	if timer.Desc != `{"cron":"0 0 3 * * * *"}` || timer.Enabled || timer.CustomArgument != `{"instanceId":"crs-5a4py64p","backupId":"latest"}` {
		t.Errorf("the nightly restore, shipped disabled: %+v", timer)
	}
	if !trs["restore-sweep"].Enabled {
		t.Errorf("the sweep: %+v", trs["restore-sweep"])
	}
	if !strings.Contains(url.Desc, `"AuthType":"NONE"`) || !strings.Contains(url.Desc, `"EnableExtranet":true`) {
		t.Errorf("function URL trigger %+v", url)
	}
	for name, tr := range trs {
		if tr.Qualifier != "live" || tr.Description != "Made by make deploy" {
			t.Errorf("trigger %s bound to %q, described %q: want the alias live, made by make deploy", name, tr.Qualifier, tr.Description)
		}
	}
	if !strings.HasPrefix(res.URL, "https://") || !strings.HasSuffix(res.URL, ".ap-guangzhou.tencentscf.com") {
		t.Errorf("URL %q", res.URL)
	}
	if !strings.Contains(out, "function URL: "+res.URL) {
		t.Errorf("the output does not end with the URL:\n%s", out)
	}

	// Second run: nothing to do, nothing done, nothing asked.
	before = w.counts()
	res2, out := w.mustDeploy(false)
	if got := w.grew(before); len(got) != 0 {
		t.Fatalf("second deploy called %v, want no Create or Update\n%s", got, out)
	}
	if res2.Changes != 0 || !strings.Contains(out, "no change") || res2.URL != res.URL || strings.Contains(out, "[yes/no]") {
		t.Fatalf("second deploy: %+v\n%s", res2, out)
	}

	// A changed memory size and cron: the configuration, a new version,
	// the alias, one trigger update.
	w.edit("memorySize: 64", "memorySize: 128")
	w.edit("cronExpression: '0 0 3 * * * *'", "cronExpression: '0 30 3 * * * *'")
	before = w.counts()
	res3, out := w.mustDeploy(false)
	want = map[string]int{"UpdateFunctionConfiguration": 1, "PublishVersion": 1, "UpdateAlias": 1, "UpdateTrigger": 1}
	if got := w.grew(before); !equalCounts(got, want) {
		t.Fatalf("after editing memory and cron the deploy called %v, want %v\n%s", got, want, out)
	}
	if f, _ := w.emu.FunctionInfo("default", "redis-restore"); f.MemorySize != 128 || res3.Changes != 4 || w.alias() != "2" {
		t.Errorf("memory %d, changes %d, alias at %s", f.MemorySize, res3.Changes, w.alias())
	}
	if !strings.Contains(out, "memorySize 64 MB -> 128 MB") || !strings.Contains(out, `cron "0 0 3 * * * *" -> "0 30 3 * * * *"`) ||
		!strings.Contains(out, "version 1 -> the new version") {
		t.Errorf("the plan does not say what changed:\n%s", out)
	}
	if tr := w.triggersOf()["nightly-staging-restore"]; tr.Desc != `{"cron":"0 30 3 * * * *"}` || tr.Qualifier != "live" {
		t.Errorf("timer after the update: %+v", tr)
	}

	// The same binary zipped again (new timestamps) is the same code.
	w.writeZip("binary v1", time.Now().Add(time.Hour))
	before = w.counts()
	w.mustDeploy(false)
	if got := w.grew(before); len(got) != 0 {
		t.Fatalf("a re-zipped unchanged binary made the deploy call %v", got)
	}

	// New code: the code, the description recording its hash (no line
	// break: UpdateFunctionConfiguration takes none), a version, the alias.
	w.writeZip("binary v2", time.Now())
	before = w.counts()
	_, out = w.mustDeploy(false)
	want = map[string]int{"UpdateFunctionCode": 1, "UpdateFunctionConfiguration": 1, "PublishVersion": 1, "UpdateAlias": 1}
	if got := w.grew(before); !equalCounts(got, want) {
		t.Fatalf("new code made the deploy call %v, want %v\n%s", got, want, out)
	}
	if f, _ := w.emu.FunctionInfo("default", "redis-restore"); !bytes.Contains(f.Zip, []byte("main")) || strings.Contains(f.Description, "\n") ||
		!strings.HasPrefix(f.Description, "Restores Redis instances") || w.alias() != "3" {
		t.Errorf("after new code: description %q, alias at %s", f.Description, w.alias())
	}
	before = w.counts()
	if _, out = w.mustDeploy(false); len(w.grew(before)) != 0 || !strings.Contains(out, "no change") {
		t.Fatalf("the run after the code update was not idempotent:\n%s", out)
	}
}

func TestDeployWaitsForActiveBetweenSteps(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.emu.SetFunctionSettleTime(20 * time.Second)
	start := w.clock.Now()
	w.mustDeploy(false)
	// The emulator refuses CreateTrigger while the function is Creating:
	// the deploy succeeded only by polling until Active.
	if waited := w.clock.Now().Sub(start); waited < 20*time.Second {
		t.Fatalf("the deploy waited %v of emulator time, less than the function took to settle", waited)
	}
	if n := w.emu.Calls("GetFunction"); n < 3 {
		t.Fatalf("GetFunction called %d times: no polling", n)
	}

	w.emu.SetFunctionSettleTime(time.Hour)
	w.edit("timeout: 60", "timeout: 90")
	_, out, err := w.deploy(false)
	if err == nil || !strings.Contains(err.Error(), "still Updating after 1m0s") {
		t.Fatalf("a function that never settles: err %v\n%s", err, out)
	}
}

func TestDryRunCallsNothingThatChanges(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res, out := w.mustDeploy(true)
	for _, a := range mutating {
		if n := w.emu.Calls(a); n != 0 {
			t.Errorf("the dry run called %s %d times", a, n)
		}
	}
	if _, ok := w.emu.FunctionInfo("default", "redis-restore"); ok {
		t.Error("the dry run created the function")
	}
	for _, want := range []string{"create function redis-restore", "create timer trigger nightly-staging-restore", "create timer trigger restore-sweep", "create function URL", "publish a version", "create alias live", "dry run: 7 change(s) planned, none made", "account 100000000001"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run's plan lacks %q:\n%s", want, out)
		}
	}
	if res.Changes != 7 || strings.Contains(out, "[yes/no]") {
		t.Errorf("changes %d, or a dry run asked:\n%s", res.Changes, out)
	}

	// Against a deployed function, a dry run of a change changes nothing either.
	w.mustDeploy(false)
	w.edit("memorySize: 64", "memorySize: 128")
	before := w.counts()
	_, out = w.mustDeploy(true)
	if got := w.grew(before); len(got) != 0 {
		t.Fatalf("the dry run called %v", got)
	}
	if f, _ := w.emu.FunctionInfo("default", "redis-restore"); f.MemorySize != 64 || !strings.Contains(out, "memorySize 64 MB -> 128 MB") {
		t.Fatalf("memory %d after a dry run; plan:\n%s", f.MemorySize, out)
	}
}

func TestPlanMasksSecrets(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	secrets := map[string]string{
		"RESTORE_WEBHOOK_SECRET":     "whsec-5f3a9c1e",
		"RESTORE_WEBHOOK_BASIC_AUTH": "alarm:pa55-basic",
		"RESTORE_PASSWORD":           "redis-pa55word",
		"API_TOKEN":                  "tok-77aa",
	}
	w.env["MY_WEBHOOK_SECRET"] = secrets["RESTORE_WEBHOOK_SECRET"]
	w.edit("      RESTORE_DRY_RUN: \"true\"\n", "      RESTORE_DRY_RUN: \"true\"\n"+
		"      RESTORE_WEBHOOK_SECRET: ${env:MY_WEBHOOK_SECRET}\n"+
		"      RESTORE_WEBHOOK_BASIC_AUTH: \"alarm:pa55-basic\"\n"+
		"      RESTORE_PASSWORD: redis-pa55word\n"+
		"      API_TOKEN: tok-77aa\n")
	w.edit(`argument: '{"instanceId":"crs-5a4py64p","backupId":"latest"}'`,
		`argument: '{"instanceId":"crs-5a4py64p","backupId":"latest","password":"arg-pa55"}'`)

	noSecrets := func(out string) {
		t.Helper()
		for _, v := range append([]string{"arg-pa55", w.env["TENCENTCLOUD_SECRETKEY"], w.env["TENCENTCLOUD_SESSIONTOKEN"]}, values(secrets)...) {
			if strings.Contains(out, v) {
				t.Errorf("the output shows the secret %q:\n%s", v, out)
			}
		}
	}
	_, out := w.mustDeploy(false)
	noSecrets(out)
	for _, want := range []string{"RESTORE_WEBHOOK_SECRET=****", "RESTORE_PASSWORD=****", "RESTORE_WEBHOOK_BASIC_AUTH=****", "API_TOKEN=****",
		`RESTORE_QUEUE="redis-restore-tasks"`, `"password":"****"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan lacks %s:\n%s", want, out)
		}
	}
	// Masking is for the eyes only: the function gets the real values.
	f, _ := w.emu.FunctionInfo("default", "redis-restore")
	for k, v := range secrets {
		if f.Environment[k] != v {
			t.Errorf("the function's %s is %q, want the real value", k, f.Environment[k])
		}
	}

	// A changed secret is reported as changed, without old or new value.
	w.env["MY_WEBHOOK_SECRET"] = "whsec-rotated-0b1c"
	_, out = w.mustDeploy(true)
	noSecrets(out)
	if strings.Contains(out, "whsec-rotated-0b1c") || !strings.Contains(out, "RESTORE_WEBHOOK_SECRET (secret: changed)") {
		t.Errorf("the rotated secret's plan:\n%s", out)
	}

	delete(w.env, "MY_WEBHOOK_SECRET")
	if _, _, err := w.deploy(true); err == nil || !strings.Contains(err.Error(), "RESTORE_WEBHOOK_SECRET: ${env:MY_WEBHOOK_SECRET} is not set") {
		t.Errorf("an unset ${env:} reference: %v", err)
	}
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestDeployRefusesWhatSCFCannotDo(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile(filepath.Join("..", "..", "serverless.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ old, new, want string }{
		{"    - http:\n", "    - apigw:\n        parameters: {protocols: [https]}\n    - http:\n", "events[2].apigw: SCF can no longer create apigw triggers"},
		{"    - http:\n", "    - cmq:\n        parameters: {name: q}\n    - http:\n", "events[2].cmq: SCF can no longer create cmq triggers"},
		{"'0 0 3 * * * *'", "'0 3 * * *'", "events[0].timer.parameters.cronExpression"},
		{"memorySize: 64", "memorySize: 100", "inputs.memorySize: 100 MB"},
		{"authType: NONE", "authType: IAM", "parameters.authType"},
		{"enableExtranet: true", "enableExtranet: false", "netConfig"},
		{"timeout: 60", "timeout: 60\n  vpcConfig: {vpcId: vpc-1}", "vpcConfig"},
		{"cronExpression:", "cronExpresion:", "cronExpresion"},
		{"RESTORE_QUEUE:", "TENCENTCLOUD_QUEUE:", "environment.variables.TENCENTCLOUD_QUEUE"},
	}
	for _, c := range cases {
		yml := strings.Replace(string(base), c.old, c.new, 1)
		if yml == string(base) {
			t.Fatalf("edit %q did not apply", c.old)
		}
		_, err := deploy.ParseSpec([]byte(yml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q -> %q: error %v, want one naming %q", c.old, c.new, err, c.want)
		}
	}
}

func TestReadCodeChecksTheZip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "main"}
	hdr.SetMode(0o644)
	f, _ := zw.CreateHeader(hdr)
	_, _ = f.Write([]byte("x"))
	_ = zw.Close()
	if _, err := deploy.ReadCode(buf.Bytes(), "Go1", "main"); err == nil || !strings.Contains(err.Error(), "not executable") {
		t.Errorf("a main without its exec bit: %v", err)
	}
	if _, err := deploy.ReadCode(buf.Bytes(), "Go1", "bootstrap"); err == nil || !strings.Contains(err.Error(), "no bootstrap at its root") {
		t.Errorf("a zip without the handler: %v", err)
	}
	if _, err := deploy.ReadCode([]byte("not a zip"), "Go1", "main"); err == nil {
		t.Error("not a zip: no error")
	}
}
