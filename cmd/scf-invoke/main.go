// Command scf-invoke runs a built SCF Go function locally, the way SCF does
// (see internal/scfdriver), sends it one event and prints its answer.
//
//	scf-invoke -bin ./dist/main -event testdata/timer.json
//	echo '{}' | scf-invoke -bin ./dist/main -event - -env FOO=bar -repeat 3
//
// The answer goes to stdout as indented JSON; a handler error goes to stdout
// as the InvokeResponse error object, with exit code 1. The function's own
// logs, and the driver's timings, go to stderr. Driver problems exit 2.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"redis-restore/internal/scfdriver"
)

// envFlags collects repeated -env KEY=VALUE flags.
type envFlags map[string]string

func (e envFlags) String() string { return "" }

func (e envFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	e[k] = v
	return nil
}

func main() {
	os.Exit(run())
}

func run() int {
	env := envFlags{}
	bin := flag.String("bin", "./dist/main", "built function binary")
	event := flag.String("event", "testdata/timer.json", "event JSON file, or - for stdin")
	flag.Var(env, "env", "KEY=VALUE for the invocation's Environment (repeatable; wins over -env-from-process)")
	fromProcess := flag.String("env-from-process",
		"TENCENTCLOUD_SECRETID,TENCENTCLOUD_SECRETKEY,TENCENTCLOUD_SESSIONTOKEN,TENCENTCLOUD_REGION",
		"comma-separated variables copied from this process's environment into the invocation's Environment, as SCF hands over role credentials")
	timeout := flag.Duration("timeout", 30*time.Second, "function timeout: the invocation deadline")
	requestID := flag.String("request-id", "", "request id (default: random UUID; with -repeat, later ones get a -N suffix)")
	repeat := flag.Int("repeat", 1, "invoke N times on the same warm process")
	flag.Parse()
	if flag.NArg() > 0 || *repeat < 1 {
		flag.Usage()
		return 2
	}

	payload, err := readEvent(*event)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scf-invoke:", err)
		return 2
	}

	environment := map[string]string{}
	for _, name := range strings.Split(*fromProcess, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if v, ok := os.LookupEnv(name); ok {
			environment[name] = v
		}
	}
	for k, v := range env {
		environment[k] = v
	}

	// Ctrl-C ends the wait; the deferred Close then kills the function.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: *bin, Stdout: os.Stderr, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "scf-invoke:", err)
		return 2
	}
	defer fn.Close()
	fmt.Fprintf(os.Stderr, "scf-invoke: pid %d ready after %v\n", fn.PID(), fn.PingReadyAfter().Round(time.Microsecond))

	code := 0
	for i := 1; i <= *repeat; i++ {
		inv := scfdriver.Invocation{
			Payload:     payload,
			Timeout:     *timeout,
			Environment: environment,
			// SCF sets the region of the function; follow the credentials' region if given.
			Region: environment["TENCENTCLOUD_REGION"],
		}
		if *requestID != "" {
			inv.RequestID = *requestID
			if i > 1 {
				inv.RequestID = fmt.Sprintf("%s-%d", *requestID, i)
			}
		}
		res, err := fn.Invoke(ctx, inv)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scf-invoke:", err)
			return 2
		}
		fmt.Fprintf(os.Stderr, "scf-invoke: request %s took %v\n", res.RequestID, res.Duration.Round(time.Microsecond))
		if res.Error != nil {
			printJSON(res.Error)
			code = 1
			if res.Error.ShouldExit {
				// SCF would recycle the instance after a panic; don't keep going on it.
				fmt.Fprintln(os.Stderr, "scf-invoke: handler panicked (ShouldExit); stopping")
				return code
			}
			continue
		}
		printAnswer(res.Payload)
	}
	return code
}

func readEvent(name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	// The library would fail to unmarshal it anyway; say so before starting anything.
	if !json.Valid(b) {
		return nil, fmt.Errorf("event %s is not valid JSON", name)
	}
	return b, nil
}

// printAnswer indents the handler's JSON answer; anything else is printed as is.
func printAnswer(p []byte) {
	var out bytes.Buffer
	if err := json.Indent(&out, p, "", "  "); err != nil {
		os.Stdout.Write(p)
		fmt.Println()
		return
	}
	out.WriteByte('\n')
	os.Stdout.Write(out.Bytes())
}

func printJSON(v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	fmt.Println(string(b))
}
