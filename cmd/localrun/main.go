// Command localrun is `make run`: it starts the cloud emulator with demo
// data, starts the built function the way SCF does, invokes it once with an
// event file, and prints the answer and what reached the queue. With
// -cloud it starts no emulator: the function gets this shell's
// TENCENTCLOUD_* and RESTORE_* variables (a cloud, or cmd/cloudemu's
// export lines) and only its answer is printed.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"redis-restore/events"
	"redis-restore/handler"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/redisserver"
	"redis-restore/internal/scfdriver"
)

func main() {
	bin := flag.String("bin", "dist/main", "the built function")
	event := flag.String("event", "testdata/timer.json", "event to invoke the function with")
	taskIDAsString := flag.Bool("task-id-as-string", true, "emulator answers TaskId as a string, as the API's documented example does")
	dryRun := flag.Bool("dry-run", false, "set RESTORE_DRY_RUN=true")
	approve := flag.Bool("approve", false, "set RESTORE_APPROVAL=all: the event makes a plan, which a signed webhook call then approves")
	life := flag.Bool("life", false, "follow the restore's whole life: fire the sweep timer every second until its end, print every message and the undo (make run-life)")
	cloud := flag.Bool("cloud", false, "no emulator: hand the function this shell's TENCENTCLOUD_* and RESTORE_* variables, print its answer only")
	flag.Parse()
	var err error
	if *cloud {
		err = runOnCloud(*bin, *event)
	} else {
		err = run(*bin, *event, *taskIDAsString, *dryRun, *approve, *life)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(1)
	}
}

func run(bin, eventFile string, taskIDAsString, dryRun, approve, life bool) error {
	payload, err := os.ReadFile(eventFile)
	if err != nil {
		return err
	}
	// The instances' data: redis-server where installed, in-process
	// servers otherwise (data.go).
	servers := redisserver.Default("")
	emu := cloudemu.New(cloudemu.Options{TaskIDAsString: taskIDAsString, Redis: servers})
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
	if life {
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
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin, Stderr: stderr})
	if err != nil {
		return err
	}
	defer fn.Close()
	fmt.Printf("function: pid %d, answered Ping after %s\n", fn.PID(), fn.PingReadyAfter().Round(time.Microsecond))

	// What SCF hands the function with each invocation: the role's
	// credentials and the function's environment variables.
	env := demo.Environment(url)
	env["RESTORE_WEBHOOK_SECRET"] = "local-webhook-secret"
	env["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password" // testdata/apigw-alarm.json's and functionurl-alarm.json's
	env["RESTORE_DRY_RUN"] = fmt.Sprint(dryRun)
	if approve {
		env["RESTORE_APPROVAL"] = "all"
	}
	if life {
		lifeSettings(emu, env) // see life.go
	}
	start := time.Now()
	if payload, err = resign(payload, env["RESTORE_WEBHOOK_SECRET"]); err != nil {
		return err
	}
	// An HTTP call hands its restore to the function's own asynchronous
	// invocation (SCF Invoke): the emulator delivers it to the function
	// like SCF would, and this prints what that invocation answered.
	emu.AddFunction(cloudemu.Function{Name: cmp.Or(env["SCF_FUNCTIONNAME"], "redis-restore"), Runtime: "Go1", Handler: "main", Timeout: 30})
	emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		res, err := invoke(ctx, fn, event, env, "asynchronous invocation (handed off), answer")
		if err == nil && res.Error != nil {
			err = fmt.Errorf("%s", res.Error.Message)
		}
		return err
	})
	fmt.Printf("invoking with %s\n", eventFile)
	res, err := invoke(ctx, fn, payload, env, "answer")
	if err != nil {
		return err
	}
	emu.WaitInvocations()
	if approve && res.Error == nil {
		if res, err = approvePlan(ctx, fn, res.Payload, emu.Messages(demo.Queue), env); err != nil {
			return err
		}
		emu.WaitInvocations()
	}
	if life && res.Error == nil {
		if err := followLife(ctx, fn, env, emu, demo.Queue, start); err != nil {
			return err
		}
		return checkDataBack(ctx, emu, demo)
	}
	msgs := emu.Messages(demo.Queue)
	fmt.Printf("\nmessages on queue %s: %d\n", demo.Queue, len(msgs))
	for _, m := range msgs {
		printJSON([]byte(m.Body))
	}
	if res.Error != nil {
		return fmt.Errorf("the function failed")
	}
	if err := sweepUntilRestore(ctx, fn, env, emu); err != nil {
		return err
	}
	return checkDataBack(ctx, emu, demo)
}

// runOnCloud invokes the function once with the cloud this shell's
// environment points at, as SCF hands a function its role's credentials.
func runOnCloud(bin, eventFile string) error {
	payload, err := os.ReadFile(eventFile)
	if err != nil {
		return err
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TENCENTCLOUD_") || strings.HasPrefix(k, "RESTORE_") {
			env[k] = v
		}
	}
	ctx := context.Background()
	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin, Stderr: os.Stderr})
	if err != nil {
		return err
	}
	defer fn.Close()
	res, err := invoke(ctx, fn, payload, env, "answer")
	if err == nil && res.Error != nil {
		err = fmt.Errorf("the function failed")
	}
	return err
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
