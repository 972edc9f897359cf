// Command restorectl is the operator's side of the restore function: it
// asks where a restore stands, lists the restores of instances, undoes a
// restore, approves a plan and sends a restore request, over the function's
// HTTP trigger (function URL or API gateway), signed as the function
// expects (the contract's webhook authentication).
//
//	restorectl status 6954228            # a restore (or safety backup) TaskId
//	restorectl status crs-5a4py64p       # an instance's newest restore of the last day
//	restorectl list crs-5a4py64p crs-1amp2588
//	restorectl undo 6954228 -yes         # restore the safety backup taken before it
//	restorectl approve v1.eyJ2Ijox...    # apply a plan held for approval
//	restorectl invoke -instance crs-5a4py64p -backup latest -dry-run
//
// The function URL and secret come from -url and the environment
// (RESTORECTL_URL, RESTORECTL_SECRET or RESTORECTL_BASIC_AUTH), or from a
// profile file (RESTORECTL_CONFIG, default <user config dir>/restorectl/config,
// section RESTORECTL_PROFILE or -profile, default [default]). Tables are for
// people; -json prints the function's own answer.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	a := &app{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: time.Now}
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		a.terminal = true
	}
	os.Exit(a.run(context.Background(), os.Args[1:]))
}

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the function refused or failed, or could not be reached
	exitUsage   = 2
	usageHeader = `restorectl: the restore function's operator tool.

Usage:
  restorectl status  TASKID|INSTANCE          where a restore stands
  restorectl list    [INSTANCE...]            the newest restore of each instance (default: the profile's instances)
  restorectl undo    TASKID|INSTANCE [-yes]   restore the safety backup taken before that restore
  restorectl approve TOKEN [-force]           apply a plan held for approval (RESTORE_APPROVAL), as an approver:
                                              with the approvers' secret (RESTORE_APPROVER_SECRET) as the secret
  restorectl invoke  -instance ID [-backup ID|latest] [-before TIME] [-dry-run] [-safety-backup=BOOL]
                     [-clone] [-clone-time TIME] [-force] [-key KEY] [-wait] [-yes]
  restorectl invoke  -body JSON|@FILE|- [-key KEY] [-wait] [-yes]

Every command takes -json (print the function's answer as it is), -url, -profile, -config and -timeout.
The function URL and its secret: -url or RESTORECTL_URL; RESTORECTL_SECRET (the function's
RESTORE_WEBHOOK_SECRET) or RESTORECTL_BASIC_AUTH (user:password); else a profile file
(RESTORECTL_CONFIG, default <user config dir>/restorectl/config), e.g.

  [default]
  url = https://1252068037-a1b2c3d4e5.gz.tencentscf.com/
  secret = <RESTORE_WEBHOOK_SECRET>
  instances = crs-5a4py64p, crs-1amp2588

Approvers keep a profile of their own whose secret is the function's RESTORE_APPROVER_SECRET: the webhook's
secret, which requesters hold, cannot approve, and the approvers' secret can only approve and read status.
A profile that holds a secret must be readable by its owner only (chmod 600).
`
)

// app is one run of the command, its world injected for tests.
type app struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	terminal       bool // stdin is a terminal: a confirmation may be asked
	now            func() time.Time
	transport      http.RoundTripper // nil: the default
}

// common are the flags every command takes.
type common struct {
	json                 bool
	urlFlag, profile, cf string
	timeout              time.Duration
}

func (c *common) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.json, "json", false, "print the function's answer as JSON, as it is")
	fs.StringVar(&c.urlFlag, "url", "", "the function URL (default $"+envURL+" or the profile's url)")
	fs.StringVar(&c.profile, "profile", "", "the profile's name (default $"+envProfile+" or default)")
	fs.StringVar(&c.cf, "config", "", "the profile file (default $"+envConfig+" or <user config dir>/restorectl/config)")
	fs.DurationVar(&c.timeout, "timeout", 60*time.Second, "how long to wait for the function")
}

// usageError is a mistake on the command line: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(a.stderr, usageHeader)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmds := map[string]func(context.Context, []string) error{
		"status": a.status, "list": a.list, "undo": a.undo, "approve": a.approve, "invoke": a.invoke,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(a.stderr, "restorectl: unknown command %q (want status, list, undo, approve or invoke; restorectl -h)\n", args[0])
		return exitUsage
	}
	err := cmd(ctx, args[1:])
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "restorectl %s: %v\n", args[0], err)
		return exitUsage
	default:
		fmt.Fprintf(a.stderr, "restorectl %s: %v\n", args[0], err)
		return exitFailed
	}
}

// parse reads flags given anywhere among the arguments (restorectl status
// 6954228 -json), and returns the others.
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(a.stderr)
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		rest, args = append(rest, args[0]), args[1:]
	}
}

// connect reads the settings and makes the client.
func (a *app) connect(c common) (*client, error) {
	s, err := loadSettings(a.getenv, c.cf, c.profile, c.urlFlag)
	if err != nil {
		return nil, err
	}
	return &client{s: s, http: &http.Client{Timeout: c.timeout, Transport: a.transport}, now: a.now}, nil
}

// target reads a TASKID or INSTANCE argument as the status query.
func target(args []string) (url.Values, error) {
	if len(args) != 1 {
		return nil, usagef("want one TaskId or instance ID, got %d arguments", len(args))
	}
	arg := args[0]
	if strings.HasPrefix(arg, "crs-") {
		return url.Values{"instanceId": {arg}}, nil
	}
	if n, err := strconv.ParseInt(arg, 10, 64); err == nil && n > 0 {
		return url.Values{"taskId": {arg}}, nil
	}
	return nil, usagef("%q is neither a TaskId (a positive number) nor an instance ID (crs-...)", arg)
}

// getStatus asks where the restore a TASKID or INSTANCE argument names
// stands (the function's status GET).
func (a *app) getStatus(ctx context.Context, c common, args []string) (*client, reply, error) {
	q, err := target(args)
	if err != nil {
		return nil, reply{}, err
	}
	cl, err := a.connect(c)
	if err != nil {
		return nil, reply{}, err
	}
	r, err := cl.call(ctx, http.MethodGet, q, nil, nil)
	return cl, r, err
}

func (a *app) status(ctx context.Context, args []string) error {
	var c common
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	c.register(fs)
	args, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	_, r, err := a.getStatus(ctx, c, args)
	if err != nil {
		return err
	}
	if r.status != http.StatusOK {
		return a.printResults(r, c.json)
	}
	if c.json {
		return a.printJSON(r.body)
	}
	return printState(a.stdout, r.body)
}

func (a *app) list(ctx context.Context, args []string) error {
	var c common
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	c.register(fs)
	args, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	cl, err := a.connect(c)
	if err != nil {
		return err
	}
	instances := args
	if len(instances) == 0 {
		instances = cl.s.Instances
	}
	if len(instances) == 0 {
		return usagef("name the instances (restorectl list crs-...), or list them in the profile (instances = crs-..., crs-...)")
	}
	var rows []listRow
	failed := 0
	for _, id := range instances {
		if !strings.HasPrefix(id, "crs-") {
			return usagef("%q is not an instance ID (crs-...)", id)
		}
		r, err := cl.call(ctx, http.MethodGet, url.Values{"instanceId": {id}}, nil, nil)
		if err != nil {
			return err
		}
		row := listRow{instanceID: id, httpStatus: r.status, body: r.body}
		if r.status != http.StatusOK && r.status != http.StatusNotFound {
			failed++
		}
		rows = append(rows, row)
	}
	if c.json {
		err = printListJSON(a.stdout, rows)
	} else {
		err = printList(a.stdout, rows)
	}
	if err == nil && failed > 0 {
		err = fmt.Errorf("%d of %d instances could not be read", failed, len(rows))
	}
	return err
}

func (a *app) undo(ctx context.Context, args []string) error {
	var c common
	fs := flag.NewFlagSet("undo", flag.ContinueOnError)
	c.register(fs)
	yes := fs.Bool("yes", false, "do not ask: undo at once")
	args, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	cl, r, err := a.getStatus(ctx, c, args)
	if err != nil {
		return err
	}
	if r.status != http.StatusOK {
		return a.printResults(r, c.json)
	}
	var st struct {
		InstanceID   string `json:"instanceId"`
		Phase        string `json:"phase"`
		TaskID       int64  `json:"taskId"`
		UndoBackupID string `json:"undoBackupId"`
		Undo         string `json:"undo"`
	}
	if err := json.Unmarshal(r.body, &st); err != nil {
		return fmt.Errorf("the function's status answer is not understood: %w", err)
	}
	if st.Undo == "" {
		return fmt.Errorf("%s's restore (phase %s) has no undo: no safety backup was taken before it (RESTORE_SAFETY_BACKUP, or \"safetyBackup\": true)", st.InstanceID, st.Phase)
	}
	what := fmt.Sprintf("undo restores %s from its safety backup %s (the state before restore task %d, phase %s): whatever was written since is lost.",
		st.InstanceID, st.UndoBackupID, st.TaskID, st.Phase)
	if err := a.confirm(what, *yes); err != nil {
		return err
	}
	r, err = cl.call(ctx, http.MethodPost, nil, []byte(st.Undo), nil)
	if err != nil {
		return err
	}
	return a.printResults(r, c.json)
}

func (a *app) approve(ctx context.Context, args []string) error {
	var c common
	fs := flag.NewFlagSet("approve", flag.ContinueOnError)
	c.register(fs)
	force := fs.Bool("force", false, "apply even if the restore budget is spent")
	args, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
		return usagef("want the plan's token (plan.token of a planned answer or message)")
	}
	cl, err := a.connect(c)
	if err != nil {
		return err
	}
	body := map[string]any{"approve": args[0]}
	if *force {
		body["force"] = true
	}
	b, _ := json.Marshal(body)
	r, err := cl.call(ctx, http.MethodPost, nil, b, nil)
	if err != nil {
		return err
	}
	return a.printResults(r, c.json)
}

func (a *app) invoke(ctx context.Context, args []string) error {
	var c common
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	c.register(fs)
	instance := fs.String("instance", "", "the instance to restore (crs-...)")
	backup := fs.String("backup", "latest", "the backup ID, or latest")
	before := fs.String("before", "", "with -backup latest: the newest backup started before this RFC 3339 time")
	region := fs.String("region", "", "the instance's region (default the function's)")
	dryRun := fs.Bool("dry-run", false, "plan only: the function resolves everything and restores nothing")
	var safety optionalBool
	fs.Var(&safety, "safety-backup", "true: take a safety backup first (undo point); false: none (default: the function's RESTORE_SAFETY_BACKUP)")
	clone := fs.Bool("clone", false, `clone mode ("mode": "clone"): a new instance from the backup`)
	cloneTime := fs.String("clone-time", "", "clone mode: the state at this RFC 3339 second, where second-level backups exist")
	force := fs.Bool("force", false, "pass a spent restore budget (logged by the function)")
	key := fs.String("key", "", "Idempotency-Key: the same key and body never restore twice")
	wait := fs.Bool("wait", false, "wait for the TaskId even where the function hands HTTP calls off (?wait=1)")
	rawBody := fs.String("body", "", "the request as JSON (a restore or {\"restores\": [...]}); @FILE reads a file, - reads stdin")
	yes := fs.Bool("yes", false, "do not ask before a restore that is not a dry run")
	args, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("unexpected argument %q (the instance is -instance)", args[0])
	}
	var body []byte
	if *rawBody != "" {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for _, f := range []string{"instance", "backup", "before", "region", "dry-run", "safety-backup", "clone", "clone-time", "force"} {
			if given[f] {
				return usagef("-%s cannot be given with -body: write it into the body", f)
			}
		}
		if body, err = a.readBody(*rawBody); err != nil {
			return err
		}
	} else {
		if !strings.HasPrefix(*instance, "crs-") {
			return usagef("-instance: want a Redis instance ID (crs-...), got %q", *instance)
		}
		req := map[string]any{"instanceId": *instance, "backupId": *backup}
		for k, v := range map[string]string{"before": *before, "region": *region, "cloneTime": *cloneTime} {
			if v != "" {
				req[k] = v
			}
		}
		for k, v := range map[string]bool{"dryRun": *dryRun, "force": *force} {
			if v {
				req[k] = true
			}
		}
		if *clone || *cloneTime != "" {
			req["mode"] = "clone"
		}
		if safety.set {
			req["safetyBackup"] = safety.v
		}
		body, _ = json.Marshal(req)
	}
	if !isDryRun(body) {
		if err := a.confirm("invoke sends this restore request, which overwrites live data unless the function plans it:\n  "+string(body), *yes); err != nil {
			return err
		}
	}
	cl, err := a.connect(c)
	if err != nil {
		return err
	}
	h := http.Header{}
	if *key != "" {
		h.Set("Idempotency-Key", *key)
	}
	var q url.Values
	if *wait {
		q = url.Values{"wait": {"1"}}
	}
	r, err := cl.call(ctx, http.MethodPost, q, body, h)
	if err != nil {
		return err
	}
	return a.printResults(r, c.json)
}

// readBody reads -body: JSON, @FILE or - (stdin); it must be a JSON object.
func (a *app) readBody(v string) ([]byte, error) {
	var b []byte
	var err error
	switch {
	case v == "-":
		b, err = io.ReadAll(a.stdin)
	case strings.HasPrefix(v, "@"):
		b, err = os.ReadFile(v[1:])
	default:
		b = []byte(v)
	}
	if err != nil {
		return nil, fmt.Errorf("-body: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, usagef("-body: not a JSON object: %v", err)
	}
	return b, nil
}

// isDryRun reports whether every restore of a request body is a dry run.
func isDryRun(body []byte) bool {
	var req struct {
		DryRun   *bool `json:"dryRun"`
		Restores []struct {
			DryRun *bool `json:"dryRun"`
		} `json:"restores"`
	}
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	if len(req.Restores) == 0 {
		return req.DryRun != nil && *req.DryRun
	}
	for _, r := range req.Restores {
		if (r.DryRun == nil || !*r.DryRun) && (req.DryRun == nil || !*req.DryRun) {
			return false
		}
	}
	return true
}

// confirm asks before what overwrites live data, unless -yes. Without a
// terminal to ask on, nothing is sent.
func (a *app) confirm(what string, yes bool) error {
	if yes {
		return nil
	}
	if !a.terminal {
		return errors.New(what + "\nnot sent: confirm with -yes (there is no terminal to ask on)")
	}
	fmt.Fprintf(a.stderr, "%s\nType yes to go on: ", what)
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return errors.New("not confirmed: nothing was sent")
	}
	return nil
}

// optionalBool is a flag that may be absent, true or false.
type optionalBool struct{ set, v bool }

func (o *optionalBool) String() string {
	if !o.set {
		return ""
	}
	return strconv.FormatBool(o.v)
}

// Set reads a boolean as the function reads its settings: true, false, 1,
// 0, yes, no, on, off, in any letter case.
func (o *optionalBool) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		o.set, o.v = true, true
	case "false", "0", "no", "off":
		o.set, o.v = true, false
	default:
		return fmt.Errorf("want true or false (1/0, yes/no, on/off), got %q", s)
	}
	return nil
}

func (o *optionalBool) IsBoolFlag() bool { return true }
