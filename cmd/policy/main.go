// Command policy prints the least-privilege CAM policy of the function's
// execution role (or, with -for assumed-role, of RESTORE_ROLE_ARN's role)
// for the configuration in the environment, read as the function reads it:
// RESTORE_ALLOWED_INSTANCES, RESTORE_QUEUE or RESTORE_TOPIC,
// RESTORE_PASSWORD_SECRET, RESTORE_ROLE_ARN, TENCENTCLOUD_REGION and
// TENCENTCLOUD_UIN. The resource strings follow the CAM pages of Redis,
// TDMQ CMQ, SSM and STS (platform-2026.md §6).
//
//	TENCENTCLOUD_UIN=100000000001 RESTORE_QUEUE=redis-restore-tasks make policy
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"redis-restore/internal/config"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "policy:", err)
		os.Exit(2)
	}
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("policy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	uin := fs.String("uin", getenv("TENCENTCLOUD_UIN"), "account ID (default $TENCENTCLOUD_UIN)")
	creator := fs.String("creator-uin", "", "account that created the password secret (default -uin)")
	region := fs.String("region", getenv("TENCENTCLOUD_REGION"), "region (default $TENCENTCLOUD_REGION)")
	audience := fs.String("for", string(FunctionRole), "whose policy: function or assumed-role")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *audience != string(FunctionRole) && *audience != string(AssumedRole) {
		return fmt.Errorf("-for: %q is neither function nor assumed-role", *audience)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	cfg.Region = *region
	p, notes, err := Generate(Input{Config: cfg, UIN: *uin, CreatorUIN: *creator, Audience: Audience(*audience)})
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", out)
	for _, n := range notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	return nil
}
