// Command localrun is `make run`: it starts the cloud emulator with demo
// data, starts the built function the way SCF does, invokes it once with an
// event file, and prints the answer and what reached the queue. It hands
// the function only the demo's settings, -env-file's and its flags':
// the shell's RESTORE_*, TENCENTCLOUD_* and SCF_* variables are ignored,
// and it says which. With -cloud it starts no emulator: the function gets
// this shell's TENCENTCLOUD_* and RESTORE_* variables (a cloud, or
// cmd/cloudemu's export lines) and only its answer is printed. -dry-run
// is a dry run either way. It exits 1 when the function failed or any
// restore did (a failed or unknown result, an HTTP error answer).
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"redis-restore/events"
	"redis-restore/handler"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/config"
	"redis-restore/internal/redisserver"
	"redis-restore/internal/scfdriver"
)

// options are the command line; yes-or-no flags read as config.ParseBool
// reads every setting (-dry-run=TRUE, -dry-run=no; make run DRY_RUN=...).
type options struct {
	bin, event, envFile string
	taskIDAsString      bool
	dryRun, approve     config.BoolFlag
	life, cloud         config.BoolFlag
	fleet               int           // fleet.go: make run-fleet
	fleetTask           time.Duration // its restore tasks' time; 0: 3 s (a test's shorter)
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "dist/main", "the built function")
	flag.StringVar(&o.event, "event", "testdata/timer.json", "event to invoke the function with")
	flag.StringVar(&o.envFile, "env-file", "", "a local file of NAME=VALUE lines (# comments) handed to the function over the demo's settings (make run ENV_FILE=local.env)")
	flag.BoolVar(&o.taskIDAsString, "task-id-as-string", true, "emulator answers TaskId as a string, as the API's documented example does")
	flag.Var(&o.dryRun, "dry-run", "a dry run: RESTORE_DRY_RUN=true whatever else says otherwise, with the emulator or with -cloud")
	flag.Var(&o.approve, "approve", "set RESTORE_APPROVAL=all: the event makes a plan, which a signed webhook call then approves")
	flag.Var(&o.life, "life", "follow the restore's whole life: fire the sweep timer every second until its end, print every message and the undo (make run-life)")
	flag.IntVar(&o.fleet, "fleet", 0, "instead of -event: one fleet request for this many instances, its progress to its end (make run-fleet)")
	flag.Var(&o.cloud, "cloud", "no emulator: hand the function this shell's TENCENTCLOUD_* and RESTORE_* variables, print its answer only")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "localrun: unexpected arguments:", strings.Join(flag.Args(), " "))
		os.Exit(2)
	}
	var err error
	switch {
	case o.fleet > 0:
		err = runFleet(o, os.Environ())
	case bool(o.cloud):
		err = runOnCloud(o, os.Environ())
	default:
		err = run(o, os.Environ())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(1)
	}
}

// settingPrefixes name the variables that configure the function.
var settingPrefixes = []string{"RESTORE_", "TENCENTCLOUD_", "SCF_"}

func isSetting(name string) bool {
	return slices.ContainsFunc(settingPrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
}

// keepOwnSettings removes the shell's settings from this process, so that
// the function started below inherits none of them: make run uses only
// its command line and -env-file. It says which it ignored.
func keepOwnSettings(environ []string) {
	var ignored []string
	for _, kv := range environ {
		if k, _, _ := strings.Cut(kv, "="); isSetting(k) {
			ignored = append(ignored, k)
			os.Unsetenv(k)
		}
	}
	if len(ignored) > 0 {
		slices.Sort(ignored)
		fmt.Printf("ignoring this shell's %s: the emulator run uses only its command line and -env-file (ENV_FILE)\n", strings.Join(ignored, ", "))
	}
}

// readEnvFile reads NAME=VALUE lines; blank lines and # comments are skipped.
func readEnvFile(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s:%d: not NAME=VALUE", path, i+1)
		}
		out[k] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return out, nil
}

// applyDryRun makes a dry run of it when asked: RESTORE_DRY_RUN=true
// overrides the shell's value and the file's.
func applyDryRun(env map[string]string, dryRun bool) {
	if dryRun {
		env["RESTORE_DRY_RUN"] = "true"
		fmt.Println("dry run: RESTORE_DRY_RUN=true (validate and choose, never RestoreInstance)")
	}
}

func run(o options, environ []string) error {
	payload, err := os.ReadFile(o.event)
	if err != nil {
		return err
	}
	fileEnv, err := readEnvFile(o.envFile)
	if err != nil {
		return err
	}
	keepOwnSettings(environ)
	// The instances' data: redis-server where installed, in-process
	// servers otherwise (data.go).
	servers := redisserver.Default("")
	emu := cloudemu.New(cloudemu.Options{TaskIDAsString: o.taskIDAsString, Redis: servers})
	defer emu.Close()
	demo := cloudemu.SeedDemo(emu)
	ctx := context.Background()
	if err := cloudemu.SeedDemoData(ctx, emu, &demo); err != nil {
		return err
	}
	url, closeEmu, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer closeEmu()
	fmt.Printf("emulator: %s (instance %s, newest backup %s)\n", url, demo.InstanceID, demo.LatestBackupID)
	if err := showData(ctx, emu, servers, demo); err != nil {
		return err
	}

	var stderr io.Writer = os.Stderr
	if o.life {
		// A life is many invocations: their log lines go to a file, so that
		// the messages read in order.
		f, err := os.Create(lifeLog)
		if err != nil {
			return err
		}
		defer f.Close()
		stderr = f
		fmt.Printf("function log: %s\n", lifeLog)
	}
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: o.bin, Stderr: stderr})
	if err != nil {
		return err
	}
	defer fn.Close()
	fmt.Printf("function: pid %d, answered Ping after %s\n", fn.PID(), fn.PingReadyAfter().Round(time.Microsecond))

	// What SCF hands the function with each invocation: the role's
	// credentials and the function's environment variables.
	env := demo.Environment(url)
	env["RESTORE_WEBHOOK_SECRET"] = "local-webhook-secret"
	env["RESTORE_APPROVER_SECRET"] = "local-approver-secret"
	env["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password" // testdata/apigw-alarm.json's and functionurl-alarm.json's
	if o.approve {
		env["RESTORE_APPROVAL"] = "all"
	}
	if o.life {
		lifeSettings(emu, env) // see life.go
	}
	maps.Copy(env, fileEnv)
	applyDryRun(env, bool(o.dryRun))
	start := time.Now()
	if payload, err = resign(payload, env["RESTORE_WEBHOOK_SECRET"]); err != nil {
		return err
	}
	// An HTTP call hands its restore to the function's own asynchronous
	// invocation (SCF Invoke): the emulator delivers it to the function
	// like SCF would, and this prints what that invocation answered.
	var handedOff failures
	emu.AddFunction(cloudemu.Function{Name: cmp.Or(env["SCF_FUNCTIONNAME"], "redis-restore"), Runtime: "Go1", Handler: "main", Timeout: 30})
	emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		res, err := invoke(ctx, fn, event, env, "asynchronous invocation (handed off), answer")
		if err == nil && res.Error != nil {
			err = fmt.Errorf("%s", res.Error.Message)
		}
		handedOff.add(err, res)
		return err
	})
	fmt.Printf("invoking with %s\n", o.event)
	res, err := invoke(ctx, fn, payload, env, "answer")
	if err != nil {
		return err
	}
	emu.WaitInvocations()
	if o.approve && outcome(res) == nil {
		if res, err = approvePlan(ctx, fn, res.Payload, emu.Messages(demo.Queue), env); err != nil {
			return err
		}
		emu.WaitInvocations()
	}
	if o.life && outcome(res) == nil {
		if err := followLife(ctx, fn, env, emu, demo.Queue, start); err != nil {
			return err
		}
		if err := checkDataBack(ctx, emu, demo, url); err != nil {
			return err
		}
		return handedOff.err()
	}
	msgs := emu.Messages(demo.Queue)
	fmt.Printf("\nmessages on queue %s: %d\n", demo.Queue, len(msgs))
	for _, m := range msgs {
		printJSON([]byte(m.Body))
	}
	if err := outcome(res); err != nil {
		return err
	}
	if err := sweepUntilRestore(ctx, fn, env, emu); err != nil {
		return err
	}
	if err := checkDataBack(ctx, emu, demo, url); err != nil {
		return err
	}
	return handedOff.err()
}

// runOnCloud invokes the function once with the cloud this shell's
// environment points at, as SCF hands a function its role's credentials.
func runOnCloud(o options, environ []string) error {
	switch {
	case bool(o.approve):
		return errors.New("-approve works with the emulator only: with -cloud, approve a plan with a signed webhook call")
	case bool(o.life):
		return errors.New("-life works with the emulator only: with -cloud, the deployed sweep timer follows the restore")
	}
	payload, err := os.ReadFile(o.event)
	if err != nil {
		return err
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TENCENTCLOUD_") || strings.HasPrefix(k, "RESTORE_") {
			env[k] = v
		}
	}
	fileEnv, err := readEnvFile(o.envFile)
	if err != nil {
		return err
	}
	maps.Copy(env, fileEnv)
	applyDryRun(env, bool(o.dryRun))
	ctx := context.Background()
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: o.bin, Stderr: os.Stderr})
	if err != nil {
		return err
	}
	defer fn.Close()
	res, err := invoke(ctx, fn, payload, env, "answer")
	if err != nil {
		return err
	}
	return outcome(res)
}

// resign signs an API gateway or function URL event's body anew, so that a
// fixture's signature (made at some past time), or its lack of one, passes
// today; a fixture with basic auth keeps it. Other events pass as they are.
func resign(payload []byte, secret string) ([]byte, error) {
	var ev map[string]any
	if json.Unmarshal(payload, &ev) != nil {
		return payload, nil
	}
	headers, ok := ev["headers"].(map[string]any)
	if !ok || ev["httpMethod"] == nil {
		return payload, nil
	}
	var req events.APIGatewayRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, err
	}
	body, err := req.RawBody()
	if err != nil {
		return nil, err
	}
	for k := range headers {
		if strings.EqualFold(k, handler.SignatureHeader) {
			delete(headers, k)
		}
	}
	if req.Header("Authorization") == "" {
		name := handler.SignatureHeader
		if ev["requestContext"] == nil {
			// A function URL hands headers over lower-case.
			name = strings.ToLower(name)
		}
		headers[name] = handler.Sign(secret, time.Now(), body)
	}
	return json.Marshal(ev)
}

// invoke invokes the function with an event and prints its answer.
func invoke(ctx context.Context, fn *scfdriver.Function, event []byte, env map[string]string, what string) (*scfdriver.Result, error) {
	res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: event, Environment: env, Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	fmt.Printf("\n%s (%s):\n", what, res.Duration.Round(time.Microsecond))
	if res.Error != nil {
		fmt.Printf("ERROR %s: %s\n", res.Error.Type, res.Error.Message)
	} else {
		printJSON(res.Payload)
	}
	return res, nil
}

// printJSON pretty-prints JSON; an API gateway answer's body is JSON in a
// string, and is shown unwrapped too.
func printJSON(b []byte) {
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		fmt.Println(string(b))
		return
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	fmt.Println(string(out))
	if body, ok := v["body"].(string); ok {
		fmt.Println("body:")
		printJSON([]byte(body))
	}
}
