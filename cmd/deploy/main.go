// Command deploy creates or updates the function, its version and alias,
// its timer triggers and its function URL as serverless.yml describes
// them, through the SCF API (make deploy); rolls the alias back to the
// previous version (make rollback); or removes what it made (make
// destroy). Each shows the account, the region, the function and the
// plan, and asks before it changes anything. The work is
// internal/deploy's; this only reads the command line.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"redis-restore/internal/config"
	"redis-restore/internal/deploy"
)

const usage = `usage: deploy [deploy|rollback|destroy] [-config serverless.yml] [-zip dist/redis-restore.zip] [-region r] [-dry-run] [-yes] [-to version]
  deploy    create or update the function, publish a version, point the alias at it, bind the triggers to the alias (the default)
  rollback  point the alias back at the version before (or at -to)
  destroy   remove what deploy made, and nothing else`

func main() {
	args := os.Args[1:]
	command := "deploy"
	if len(args) > 0 && (args[0] == "deploy" || args[0] == "rollback" || args[0] == "destroy") {
		command, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("deploy", flag.ExitOnError)
	fs.Usage = func() { fmt.Fprintln(os.Stderr, usage); fs.PrintDefaults() }
	var opts deploy.Options
	var dryRun, yes config.BoolFlag
	fs.StringVar(&opts.Config, "config", "serverless.yml", "the deployment's description")
	fs.StringVar(&opts.Zip, "zip", "", "the deployment zip (default: inputs.src of the config)")
	fs.StringVar(&opts.Region, "region", "", "region (default: inputs.region, else TENCENTCLOUD_REGION)")
	fs.Var(&dryRun, "dry-run", "print the account and the plan, change nothing (true/false, 1/0, yes/no, on/off)")
	fs.Var(&yes, "yes", "do not ask: go ahead (make deploy AUTO_APPROVE=1); without it the answer is read from stdin, and no stdin is a no")
	fs.StringVar(&opts.RollbackTo, "to", "", "rollback: the version to point the alias at (default: the one before)")
	fs.DurationVar(&opts.WaitTimeout, "wait", 0, "how long to wait for the function to become Active after each change (default 5m)")
	_ = fs.Parse(args)
	if fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	opts.DryRun, opts.Yes, opts.In = bool(dryRun), bool(yes), os.Stdin

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run := map[string]func(context.Context, deploy.Options, func(string) string, *os.File) error{
		"deploy": func(ctx context.Context, o deploy.Options, g func(string) string, f *os.File) error {
			_, err := deploy.Run(ctx, o, g, f)
			return err
		},
		"rollback": func(ctx context.Context, o deploy.Options, g func(string) string, f *os.File) error {
			_, err := deploy.Rollback(ctx, o, g, f)
			return err
		},
		"destroy": func(ctx context.Context, o deploy.Options, g func(string) string, f *os.File) error {
			_, err := deploy.Destroy(ctx, o, g, f)
			return err
		},
	}[command]
	if err := run(ctx, opts, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", command, err)
		os.Exit(1)
	}
}
