// Command deploy creates or updates the function, its timer triggers and
// its function URL as serverless.yml describes them, through the SCF API
// (`make deploy`; `make deploy DRY_RUN=1` prints the plan only). The work
// is internal/deploy's; this only reads the flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"redis-restore/internal/deploy"
)

func main() {
	var opts deploy.Options
	flag.StringVar(&opts.Config, "config", "serverless.yml", "the deployment's description")
	flag.StringVar(&opts.Zip, "zip", "", "the deployment zip (default: inputs.src of the config)")
	flag.StringVar(&opts.Region, "region", "", "region (default: inputs.region, else TENCENTCLOUD_REGION)")
	flag.BoolVar(&opts.DryRun, "dry-run", false, "print the plan, change nothing")
	flag.DurationVar(&opts.WaitTimeout, "wait", 0, "how long to wait for the function to become Active after each change (default 5m)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: deploy [-config serverless.yml] [-zip dist/redis-restore.zip] [-region r] [-dry-run]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := deploy.Run(ctx, opts, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err)
		os.Exit(1)
	}
}
