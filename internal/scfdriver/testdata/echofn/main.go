// Command echofn is a tiny SCF function used by the scfdriver tests. It
// answers with what it saw of the invocation, so the tests can check that
// each part of the InvokeRequest reaches the handler.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
	"github.com/tencentyun/scf-go-lib/functioncontext"
)

func main() {
	// Process-level switches, for the start-failure tests.
	if msg := os.Getenv("ECHOFN_EXIT"); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(3)
	}
	if os.Getenv("ECHOFN_HANG") != "" {
		select {}
	}
	cloudfunction.Start(handle)
}

func handle(ctx context.Context, ev map[string]any) (map[string]any, error) {
	fmt.Fprintln(os.Stderr, "echofn: invoked")
	if ev["fail"] == true {
		return nil, errors.New("asked to fail")
	}
	if ev["panic"] == true {
		panic("asked to panic")
	}
	if ev["exit"] == true {
		fmt.Fprintln(os.Stderr, "echofn: exiting mid-invoke")
		os.Exit(4)
	}
	if ev["sleep"] == true {
		time.Sleep(time.Hour) // ignores ctx, like a stuck handler
	}
	out := map[string]any{"event": ev, "pid": os.Getpid()}
	if fc, ok := functioncontext.FromContext(ctx); ok {
		out["requestId"] = fc.RequestID
		out["functionName"] = fc.FunctionName
		out["namespace"] = fc.Namespace
		out["region"] = fc.TencentcloudRegion
		out["memory"] = fc.MemoryLimitInMb
		out["timeLimitMs"] = fc.TimeLimitInMs
	}
	if name, ok := ev["env"].(string); ok {
		out["envValue"] = os.Getenv(name)
	}
	if dl, ok := ctx.Deadline(); ok {
		out["deadline"] = dl.Format(time.RFC3339Nano)
	}
	return out, nil
}
