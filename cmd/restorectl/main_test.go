package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/scfdriver"
)

// binary is the function, built once for these tests: restorectl is tested
// against the function itself, started as SCF starts it, behind a function
// URL, talking to the emulator.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "restorectl-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "main")
	build := exec.Command("go", "build", "-trimpath", "-o", binary, "../..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testSecret = "restorectl-test-secret-51c0"

// testApproverSecret is the function's RESTORE_APPROVER_SECRET: an
// approver's restorectl signs with it.
const testApproverSecret = "restorectl-approver-secret-8e13"

// world is the emulator with demo data, the built function and a function
// URL in front of it.
type world struct {
	emu   *cloudemu.Emulator
	demo  cloudemu.DemoData
	env   map[string]string // the function's environment
	url   string            // its function URL
	calls atomic.Int64      // HTTP calls that reached the function URL
	dir   string            // for profile files
}

func newWorld(t *testing.T, fnEnv map[string]string) *world {
	t.Helper()
	emu := cloudemu.New(cloudemu.Options{Seed: 1})
	demo := cloudemu.SeedDemo(emu)
	emu.SetTaskDuration(time.Millisecond)
	emu.SetLifecycle(cloudemu.Lifecycle{Backup: 20 * time.Millisecond, Clone: 20 * time.Millisecond})
	emuURL, closeEmu, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeEmu() })
	fn, err := scfdriver.Start(context.Background(), scfdriver.Options{Binary: binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fn.Close() })
	w := &world{emu: emu, demo: demo, env: demo.Environment(emuURL), dir: t.TempDir()}
	w.env["RESTORE_WEBHOOK_SECRET"] = testSecret
	w.env["RESTORE_APPROVER_SECRET"] = testApproverSecret
	w.env["RESTORE_LOCK_RETRY"] = "100ms"
	for k, v := range fnEnv {
		w.env[k] = v
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.calls.Add(1)
		functionURL(t, fn, w.env, rw, r)
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL + "/"
	return w
}

// functionURL is SCF's function URL: the HTTP request as the event of
// platform-2026.md §1 (lower-case headers, the client in
// x-scf-remote-addr, the body a string), the function's answer as the HTTP
// response.
func functionURL(t *testing.T, fn *scfdriver.Function, env map[string]string, rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	headers[events.RemoteAddrHeader] = host
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = vs[0]
	}
	event, _ := json.Marshal(map[string]any{"httpMethod": r.Method, "path": r.URL.Path, "queryString": query, "headers": headers, "body": string(body)})
	res, err := fn.Invoke(r.Context(), scfdriver.Invocation{Payload: event, Environment: env, Timeout: 30 * time.Second})
	if err != nil {
		t.Errorf("invoke: %v", err)
		http.Error(rw, err.Error(), http.StatusBadGateway)
		return
	}
	if res.Error != nil {
		http.Error(rw, res.Error.Message, http.StatusBadGateway)
		return
	}
	var resp events.FunctionURLResponse
	if json.Unmarshal(res.Payload, &resp) != nil || resp.StatusCode == 0 {
		rw.Header().Set("Content-Type", "application/json")
		rw.Write(res.Payload)
		return
	}
	for k, v := range resp.Headers {
		rw.Header().Set(k, v)
	}
	rw.WriteHeader(resp.StatusCode)
	io.WriteString(rw, resp.Body)
}

// ctl runs restorectl with env as its environment (its own profile file
// is never read: RESTORECTL_CONFIG points into the test's directory).
func (w *world) ctl(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	vars := map[string]string{envURL: w.url, envSecret: testSecret, envConfig: filepath.Join(w.dir, "absent")}
	for k, v := range env {
		vars[k] = v
	}
	var out, errb bytes.Buffer
	a := &app{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(""), stdout: &out, stderr: &errb, now: time.Now}
	code = a.run(context.Background(), args)
	return out.String(), errb.String(), code
}

// results decodes -json output of a POST.
func results(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var body struct{ Results []map[string]any }
	if err := json.Unmarshal([]byte(stdout), &body); err != nil {
		t.Fatalf("-json output %q: %v", stdout, err)
	}
	return body.Results
}

func TestInvokeDryRunShowsThePlanAndRestoresNothing(t *testing.T) {
	w := newWorld(t, nil)
	out, errOut, code := w.ctl(t, nil, "invoke", "-instance", w.demo.InstanceID, "-dry-run")
	if code != 0 || !regexp.MustCompile(`(?m)^crs-5a4py64p\s+dry-run\s+-\s+`+w.demo.LatestBackupID).MatchString(out) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, _, code = w.ctl(t, nil, "invoke", "-instance", w.demo.InstanceID, "-dry-run", "-json")
	if rs := results(t, out); code != 0 || len(rs) != 1 || rs[0]["status"] != "dry-run" {
		t.Fatalf("exit %d, -json %s", code, out)
	}
	if n := len(w.emu.RestoreCalls()); n != 0 {
		t.Errorf("%d restores after dry runs", n)
	}
}

// A restore overwrites live data: without -yes and no terminal to ask
// on, nothing is sent.
func TestInvokeWithoutConfirmationSendsNothing(t *testing.T) {
	w := newWorld(t, nil)
	_, errOut, code := w.ctl(t, nil, "invoke", "-instance", w.demo.InstanceID)
	if code != exitFailed || !strings.Contains(errOut, "-yes") {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	_, errOut, code = w.ctl(t, nil, "undo", "6954227")
	if code != exitFailed {
		t.Fatalf("undo without -yes: exit %d, stderr %s", code, errOut)
	}
	if n := w.calls.Load(); n != 1 { // undo's status read only
		t.Errorf("%d calls reached the function, want only undo's status read", n)
	}
	if n := len(w.emu.RestoreCalls()); n != 0 {
		t.Errorf("%d restores without confirmation", n)
	}
}

// The restore's life through restorectl: a restore with a safety backup,
// its status, and its undo, which restores the safety backup.
func TestInvokeStatusUndo(t *testing.T) {
	w := newWorld(t, nil)
	out, errOut, code := w.ctl(t, nil, "invoke", "-instance", w.demo.InstanceID, "-safety-backup", "-yes", "-json")
	rs := results(t, out)
	if code != 0 || len(rs) != 1 || rs[0]["status"] != "accepted" || rs[0]["phase"] != "safety-backup" {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, out, errOut)
	}
	undoBackup, _ := rs[0]["undoBackupId"].(string)
	safetyTask := fmt.Sprintf("%.0f", rs[0]["safetyBackupTaskId"])
	if undoBackup == "" || safetyTask == "" {
		t.Fatalf("no undo backup or safety backup task in %v", rs[0])
	}

	// status by instance and by the safety backup's task, table and JSON.
	out, errOut, code = w.ctl(t, nil, "status", w.demo.InstanceID)
	if code != 0 || !regexp.MustCompile(`(?m)^phase\s+safety-backup$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^undoBackupId\s+`+regexp.QuoteMeta(undoBackup)+`$`).MatchString(out) {
		t.Fatalf("status: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = w.ctl(t, nil, "status", safetyTask, "-json")
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || st["instanceId"] != w.demo.InstanceID || st["undo"] == nil {
		t.Fatalf("status -json: exit %d, %s (%v)", code, out, err)
	}

	// undo: the one request the function gave, sent once confirmed.
	time.Sleep(50 * time.Millisecond) // the safety backup (20 ms) is done
	out, errOut, code = w.ctl(t, nil, "undo", w.demo.InstanceID, "-yes")
	if code != 0 || !regexp.MustCompile(`(?m)^crs-5a4py64p\s+accepted\s+\d+\s+`+regexp.QuoteMeta(undoBackup)).MatchString(out) {
		t.Fatalf("undo: exit %d\n%s\n%s", code, out, errOut)
	}
	calls := w.emu.RestoreCalls()
	if len(calls) != 1 || calls[0].InstanceID != w.demo.InstanceID || calls[0].BackupID != undoBackup {
		t.Errorf("restores %+v, want one of %s from the safety backup %s", calls, w.demo.InstanceID, undoBackup)
	}
}

func TestUndoWithoutSafetyBackupSaysWhy(t *testing.T) {
	w := newWorld(t, nil)
	out, errOut, code := w.ctl(t, nil, "invoke", "-instance", w.demo.InstanceID, "-safety-backup=false", "-yes")
	if code != 0 || !strings.Contains(out, "accepted") {
		t.Fatalf("invoke: exit %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = w.ctl(t, nil, "undo", w.demo.InstanceID, "-yes")
	if code != exitFailed || !strings.Contains(errOut, "no undo") || !strings.Contains(errOut, "safety backup") {
		t.Fatalf("undo: exit %d, stderr %s", code, errOut)
	}
	if n := len(w.emu.RestoreCalls()); n != 1 {
		t.Errorf("%d restores, want the one invoked", n)
	}
}

func TestApprovePlanOnce(t *testing.T) {
	w := newWorld(t, map[string]string{"RESTORE_APPROVAL": "webhook", "RESTORE_SAFETY_BACKUP": "false"})
	out, errOut, code := w.ctl(t, nil, "invoke", "-instance", w.demo.InstanceID, "-yes")
	if code != 0 || !regexp.MustCompile(`(?m)^crs-5a4py64p\s+planned\s`).MatchString(out) {
		t.Fatalf("invoke: exit %d\n%s\n%s", code, out, errOut)
	}
	// The plan's token goes only to the queue, for the approvers.
	token := planToken(t, w)
	if n := len(w.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores before approval", n)
	}
	// The requester's secret cannot approve: a second person does, with
	// the approvers' secret.
	_, errOut, code = w.ctl(t, nil, "approve", token)
	if code != exitFailed || !strings.Contains(errOut, "403") || len(w.emu.RestoreCalls()) != 0 {
		t.Fatalf("approve with the requester's secret: exit %d, stderr %s, %d restores", code, errOut, len(w.emu.RestoreCalls()))
	}
	approver := map[string]string{envSecret: testApproverSecret}
	out, errOut, code = w.ctl(t, approver, "approve", token, "-json")
	rs := results(t, out)
	if code != 0 || len(rs) != 1 || rs[0]["status"] != "accepted" {
		t.Fatalf("approve: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = w.ctl(t, approver, "approve", token, "-json")
	again := results(t, out)
	if code != 0 || len(again) != 1 || again[0]["status"] != "duplicate" || again[0]["taskId"] != rs[0]["taskId"] {
		t.Fatalf("approve again: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := len(w.emu.RestoreCalls()); n != 1 {
		t.Errorf("%d restores, want one", n)
	}
	_, errOut, code = w.ctl(t, approver, "approve", "v1.not-a-plan")
	if code != exitFailed || !strings.Contains(errOut, "401") {
		t.Errorf("a forged token: exit %d, stderr %s", code, errOut)
	}
}

func TestList(t *testing.T) {
	w := newWorld(t, map[string]string{"RESTORE_SAFETY_BACKUP": "false"})
	if out, errOut, code := w.ctl(t, nil, "invoke", "-instance", w.demo.InstanceID, "-yes"); code != 0 {
		t.Fatalf("invoke: exit %d\n%s\n%s", code, out, errOut)
	}
	task := w.emu.RestoreCalls()[0].TaskID
	out, errOut, code := w.ctl(t, nil, "list", w.demo.InstanceID, w.demo.PasswordFreeInstanceID)
	if code != 0 || !regexp.MustCompile(fmt.Sprintf(`(?m)^crs-5a4py64p\s+\S+\s+%d\s`, task)).MatchString(out) ||
		!regexp.MustCompile(`(?m)^crs-1amp2588\s+none`).MatchString(out) {
		t.Fatalf("list: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = w.ctl(t, nil, "list", "-json", w.demo.InstanceID, w.demo.PasswordFreeInstanceID)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 || len(rows) != 2 ||
		rows[0]["taskId"] != float64(task) || rows[1]["httpStatus"] != float64(404) {
		t.Fatalf("list -json: exit %d, %s (%v)", code, out, err)
	}
	// Without arguments: the profile's instances.
	profile := w.writeProfile(t, 0o600, "[ops]\nurl = "+w.url+"\nsecret = "+testSecret+"\ninstances = crs-1amp2588\n")
	out, errOut, code = w.ctl(t, map[string]string{envURL: "", envSecret: "", envConfig: profile, envProfile: "ops"}, "list")
	if code != 0 || !strings.Contains(out, "crs-1amp2588") || strings.Contains(out, "crs-5a4py64p") {
		t.Fatalf("list from the profile: exit %d\n%s\n%s", code, out, errOut)
	}
}

func (w *world) writeProfile(t *testing.T, mode os.FileMode, text string) string {
	t.Helper()
	f := filepath.Join(w.dir, fmt.Sprintf("profile-%d", time.Now().UnixNano()))
	if err := os.WriteFile(f, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return f
}

// Settings: flags over the environment over the profile; a wrong secret is
// the function's 401; basic auth where the function takes it; a profile
// others can read is refused; what is missing is named.
func TestSettingsAndAuthentication(t *testing.T) {
	w := newWorld(t, map[string]string{"RESTORE_WEBHOOK_BASIC_AUTH": "ops:basic-pw-1"})
	dry := []string{"invoke", "-instance", "crs-5a4py64p", "-dry-run"}

	_, errOut, code := w.ctl(t, map[string]string{envSecret: "wrong"}, dry...)
	if code != exitFailed || !strings.Contains(errOut, "401") {
		t.Errorf("wrong secret: exit %d, stderr %s", code, errOut)
	}
	_, errOut, code = w.ctl(t, map[string]string{envSecret: "", envBasicAuth: "ops:basic-pw-1"}, dry...)
	if code != 0 {
		t.Errorf("basic auth: exit %d, stderr %s", code, errOut)
	}

	private := w.writeProfile(t, 0o600, "# ops\n[default]\nurl = "+w.url+"\nsecret = "+testSecret+"\n[other]\nurl = http://127.0.0.1:1/\n")
	_, errOut, code = w.ctl(t, map[string]string{envURL: "", envSecret: "", envConfig: private}, dry...)
	if code != 0 {
		t.Errorf("profile: exit %d, stderr %s", code, errOut)
	}
	// The environment wins over the profile.
	_, errOut, code = w.ctl(t, map[string]string{envSecret: "wrong", envConfig: private}, dry...)
	if code != exitFailed || !strings.Contains(errOut, "401") {
		t.Errorf("env over profile: exit %d, stderr %s", code, errOut)
	}
	// -url wins over the environment.
	_, errOut, code = w.ctl(t, map[string]string{envURL: "http://127.0.0.1:1/"}, append(dry, "-url", w.url)...)
	if code != 0 {
		t.Errorf("-url over env: exit %d, stderr %s", code, errOut)
	}

	open := w.writeProfile(t, 0o644, "[default]\nurl = "+w.url+"\nsecret = "+testSecret+"\n")
	for name, c := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"readable profile": {map[string]string{envURL: "", envSecret: "", envConfig: open}, dry, "chmod 600 " + open},
		"no url":           {map[string]string{envURL: ""}, dry, envURL},
		"no secret":        {map[string]string{envSecret: ""}, dry, envSecret},
		"bad url":          {map[string]string{envURL: "ftp://x"}, dry, "want https://"},
		"missing profile":  {map[string]string{envConfig: private, envProfile: "nope"}, dry, "no [nope] section"},
		"unknown key":      {map[string]string{envConfig: w.writeProfile(t, 0o600, "[default]\npassword = x\n")}, dry, `unknown key "password"`},
		"bad basic auth":   {map[string]string{envSecret: "", envBasicAuth: "nocolon"}, dry, "user:password"},
	} {
		_, errOut, code := w.ctl(t, c.env, c.args...)
		if code != exitFailed || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stderr %s (want %q)", name, code, errOut, c.want)
		}
	}
	if strings.Contains(errOut, testSecret) {
		t.Errorf("an error shows the secret")
	}
}

func TestUsageErrors(t *testing.T) {
	w := &world{url: "http://127.0.0.1:1/", dir: t.TempDir()}
	for _, args := range [][]string{
		{},
		{"restore"},
		{"status"},
		{"status", "abc"},
		{"status", "1", "2"},
		{"approve"},
		{"invoke", "-instance", "x"},
		{"invoke", "-body", "{}", "-instance", "crs-1"},
		{"invoke", "-body", "[1]"},
		{"invoke", "-instance", "crs-1", "-safety-backup=maybe"},
		{"list", "x"},
		{"list"},
	} {
		_, errOut, code := w.ctl(t, nil, args...)
		if code != exitUsage || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q: want a usage error", args, code, errOut)
		}
	}
}

// planToken is the token of the planned message on the demo queue.
func planToken(t *testing.T, w *world) string {
	t.Helper()
	for _, m := range w.emu.Messages(w.demo.Queue) {
		var ev struct {
			Type string
			Data struct{ Plan struct{ Token string } }
		}
		if json.Unmarshal([]byte(m.Body), &ev) == nil && strings.HasSuffix(ev.Type, ".planned") && ev.Data.Plan.Token != "" {
			return ev.Data.Plan.Token
		}
	}
	t.Fatal("no planned message with a token on the queue")
	return ""
}
