package deploy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/failure"
)

// API sends one SCF action and decodes its Response into out;
// *cloud.Session is one.
type API interface {
	SCF(ctx context.Context, region, action string, params map[string]any, out any) error
}

// Deployer deploys a Spec through API, printing its plan and progress.
type Deployer struct {
	API API
	Out io.Writer

	// Now and Sleep are the clock of the wait for Active; tests inject a
	// fake one. Defaults: time.Now and a timer that honours ctx.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// WaitTimeout bounds each wait for the function to become Active
	// (default 5 minutes); polls start PollMin apart and back off to PollMax.
	WaitTimeout      time.Duration
	PollMin, PollMax time.Duration
}

// Result says what a deploy did or would do.
type Result struct {
	Changes int    // actions that create or update something
	URL     string // the function URL, once it exists
}

// action is one line of the plan; run is nil for what stays as it is.
type action struct {
	verb   string // create, update, keep
	object string
	detail []string
	run    func(ctx context.Context) error
}

// remoteFunction is the part of GetFunction's answer the deploy reads.
type remoteFunction struct {
	FunctionName string
	Namespace    string
	Runtime      string
	Handler      string
	Role         string
	Description  string
	MemorySize   int64
	Timeout      int64
	Status       string
	StatusDesc   string
	Environment  struct {
		Variables []struct{ Key, Value string }
	}
	StatusReasons json.RawMessage
}

func (f *remoteFunction) env() map[string]string {
	out := map[string]string{}
	for _, v := range f.Environment.Variables {
		out[v.Key] = v.Value
	}
	return out
}

// remoteTrigger is one entry of ListTriggers.
type remoteTrigger struct {
	TriggerName    string
	Type           string
	Qualifier      string
	TriggerDesc    string
	CustomArgument string
	Enable         flexBool
}

// flexBool reads a trigger's Enable: 1/0 in the answers' examples, and
// the "OPEN"/"CLOSE" or true/false that requests and other tools use.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	s := strings.ToUpper(strings.Trim(strings.TrimSpace(string(data)), `"`))
	switch s {
	case "1", "TRUE", "OPEN":
		*b = true
	case "0", "FALSE", "CLOSE", "", "NULL":
		*b = false
	default:
		return fmt.Errorf("enable %s is neither 1/0, true/false nor OPEN/CLOSE", data)
	}
	return nil
}

type urlDesc struct {
	AuthType  string
	NetConfig struct {
		EnableIntranet flexBool
		EnableExtranet flexBool
		ExtranetURL    string `json:"ExtranetUrl"`
		IntranetURL    string `json:"IntranetUrl"`
	}
}

func (d *Deployer) defaults() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Sleep == nil {
		d.Sleep = func(ctx context.Context, dur time.Duration) error {
			t := time.NewTimer(dur)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if d.WaitTimeout == 0 {
		d.WaitTimeout = 5 * time.Minute
	}
	if d.PollMin == 0 {
		d.PollMin = time.Second
	}
	if d.PollMax == 0 {
		d.PollMax = 10 * time.Second
	}
}

// Deploy prints the plan for s and code, then, unless dryRun, carries it
// out and prints the function URL.
func (d *Deployer) Deploy(ctx context.Context, s *Spec, code Code, dryRun bool) (Result, error) {
	d.defaults()
	if s.Region == "" {
		return Result{}, errors.New("no region: set inputs.region in serverless.yml or TENCENTCLOUD_REGION")
	}
	fmt.Fprintf(d.Out, "function %s, namespace %s, region %s; code %s (%d bytes), sha256 %s\n",
		s.Name, s.Namespace, s.Region, s.Src, len(code.Zip), code.SHA256)

	remote, err := d.getFunction(ctx, s)
	if err != nil {
		return Result{}, err
	}
	var triggers []remoteTrigger
	if remote != nil {
		if triggers, err = d.listTriggers(ctx, s); err != nil {
			return Result{}, err
		}
	}
	plan, err := d.plan(s, code, remote, triggers)
	if err != nil {
		return Result{}, err
	}
	res := Result{URL: functionURL(triggers)}
	fmt.Fprintln(d.Out, "plan:")
	for _, a := range plan {
		mark := map[string]string{"create": "+", "update": "~", "keep": "="}[a.verb]
		fmt.Fprintf(d.Out, "  %s %s %s\n", mark, a.verb, a.object)
		for _, line := range a.detail {
			fmt.Fprintf(d.Out, "      %s\n", line)
		}
		if a.run != nil {
			res.Changes++
		}
	}
	switch {
	case res.Changes == 0:
		fmt.Fprintln(d.Out, "no change: the function and its triggers are as serverless.yml describes them")
	case dryRun:
		fmt.Fprintf(d.Out, "dry run: %d change(s) planned, none made\n", res.Changes)
	}
	if dryRun || res.Changes == 0 {
		d.printURL(res.URL)
		return res, nil
	}

	if remote != nil && remote.Status != "Active" {
		if err := d.waitActive(ctx, s); err != nil {
			return res, err
		}
	}
	for _, a := range plan {
		if a.run == nil {
			continue
		}
		fmt.Fprintf(d.Out, "%s %s ... ", a.verb, a.object)
		if err := a.run(ctx); err != nil {
			fmt.Fprintln(d.Out, "failed")
			return res, err
		}
		fmt.Fprintln(d.Out, "done")
	}
	if triggers, err = d.listTriggers(ctx, s); err != nil {
		return res, err
	}
	res.URL = functionURL(triggers)
	fmt.Fprintf(d.Out, "deployed: %d change(s)\n", res.Changes)
	d.printURL(res.URL)
	return res, nil
}

func (d *Deployer) printURL(url string) {
	if url == "" {
		fmt.Fprintln(d.Out, "function URL: none yet")
		return
	}
	fmt.Fprintf(d.Out, "function URL: %s\n", url)
}

// functionURL is the URL to call: the public one if the function has one,
// else the intranet one.
func functionURL(triggers []remoteTrigger) string {
	for _, t := range triggers {
		if t.Type != "http" {
			continue
		}
		var u urlDesc
		if json.Unmarshal([]byte(t.TriggerDesc), &u) != nil {
			continue
		}
		if u.NetConfig.ExtranetURL != "" {
			return u.NetConfig.ExtranetURL
		}
		if u.NetConfig.IntranetURL != "" {
			return u.NetConfig.IntranetURL
		}
	}
	return ""
}

func (d *Deployer) getFunction(ctx context.Context, s *Spec) (*remoteFunction, error) {
	var f remoteFunction
	err := d.API.SCF(ctx, s.Region, "GetFunction", map[string]any{"FunctionName": s.Name, "Namespace": s.Namespace}, &f)
	if err != nil {
		// ResourceNotFound.Function (and .FunctionName): not there yet.
		if e := failure.As(err); strings.HasPrefix(e.Code, "ResourceNotFound.Function") {
			return nil, nil
		}
		return nil, fmt.Errorf("GetFunction %s: %w", s.Name, err)
	}
	return &f, nil
}

func (d *Deployer) listTriggers(ctx context.Context, s *Spec) ([]remoteTrigger, error) {
	const pageSize = 20
	var all []remoteTrigger
	for {
		var page struct {
			TotalCount int
			Triggers   []remoteTrigger
		}
		err := d.API.SCF(ctx, s.Region, "ListTriggers", map[string]any{
			"FunctionName": s.Name, "Namespace": s.Namespace, "Offset": len(all), "Limit": pageSize,
		}, &page)
		if err != nil {
			return nil, fmt.Errorf("ListTriggers %s: %w", s.Name, err)
		}
		all = append(all, page.Triggers...)
		if len(page.Triggers) == 0 || len(all) >= page.TotalCount {
			return all, nil
		}
	}
}

// waitActive polls GetFunction until the function is Active, within
// WaitTimeout: SCF refuses the next change while one is settling.
func (d *Deployer) waitActive(ctx context.Context, s *Spec) error {
	deadline := d.Now().Add(d.WaitTimeout)
	delay := d.PollMin
	last := ""
	for {
		f, err := d.getFunction(ctx, s)
		if err != nil {
			return err
		}
		if f == nil {
			return fmt.Errorf("function %s disappeared while waiting for it to become Active", s.Name)
		}
		last = f.Status
		switch {
		case f.Status == "Active":
			return nil
		case strings.HasSuffix(f.Status, "Failed"):
			return fmt.Errorf("function %s is %s: %s %s", s.Name, f.Status, f.StatusDesc, bytes.TrimSpace(f.StatusReasons))
		}
		if !d.Now().Add(delay).Before(deadline) {
			return fmt.Errorf("function %s is still %s after %s: see the SCF console", s.Name, last, d.WaitTimeout)
		}
		if err := d.Sleep(ctx, delay); err != nil {
			return fmt.Errorf("waiting for function %s to become Active: %w", s.Name, err)
		}
		delay = min(2*delay, d.PollMax)
	}
}

// plan compares serverless.yml with what SCF has and lists what to do.
func (d *Deployer) plan(s *Spec, code Code, f *remoteFunction, triggers []remoteTrigger) ([]action, error) {
	var plan []action
	desc := describe(s.Description, code.SHA256)
	fnParams := func(more map[string]any) map[string]any {
		p := map[string]any{
			"FunctionName": s.Name, "Namespace": s.Namespace, "Runtime": s.Runtime, "Description": desc,
			"MemorySize": s.MemorySize, "Timeout": s.Timeout, "Environment": envParam(s.Environment),
		}
		if s.Role != "" {
			p["Role"] = s.Role
		}
		maps.Copy(p, more)
		return p
	}

	if f == nil {
		plan = append(plan, action{
			verb: "create", object: "function " + s.Name,
			detail: append([]string{fmt.Sprintf("runtime %s, handler %s, role %s, memorySize %d MB, timeout %d s, code sha256 %s",
				s.Runtime, s.Handler, orNone(s.Role), s.MemorySize, s.Timeout, short(code.SHA256))}, envLines(nil, s.Environment)...),
			run: d.call(s, "CreateFunction", s.Name, fnParams(map[string]any{"Handler": s.Handler, "Type": "Event",
				"Code": map[string]any{"ZipFile": base64.StdEncoding.EncodeToString(code.Zip)}}), true),
		})
	} else {
		codeChanged := recordedCode(f.Description) != code.SHA256 || f.Handler != s.Handler
		if codeChanged {
			detail := []string{fmt.Sprintf("code sha256 %s -> %s", orNone(short(recordedCode(f.Description))), short(code.SHA256))}
			if f.Handler != s.Handler {
				detail = append(detail, fmt.Sprintf("handler %q -> %q", f.Handler, s.Handler))
			}
			plan = append(plan, action{verb: "update", object: "code of function " + s.Name, detail: detail,
				run: d.call(s, "UpdateFunctionCode", s.Name, map[string]any{"FunctionName": s.Name, "Namespace": s.Namespace,
					"Handler": s.Handler, "ZipFile": base64.StdEncoding.EncodeToString(code.Zip)}, true)})
		}
		var diff []string
		if f.Runtime != s.Runtime {
			diff = append(diff, fmt.Sprintf("runtime %s -> %s", f.Runtime, s.Runtime))
		}
		if s.Role != "" && f.Role != s.Role {
			diff = append(diff, fmt.Sprintf("role %s -> %s", orNone(f.Role), s.Role))
		}
		if f.MemorySize != s.MemorySize {
			diff = append(diff, fmt.Sprintf("memorySize %d -> %d MB", f.MemorySize, s.MemorySize))
		}
		if f.Timeout != s.Timeout {
			diff = append(diff, fmt.Sprintf("timeout %d -> %d s", f.Timeout, s.Timeout))
		}
		if f.Description != desc {
			if stripTag(f.Description) != s.Description {
				diff = append(diff, fmt.Sprintf("description %q -> %q", stripTag(f.Description), s.Description))
			} else {
				diff = append(diff, "description records the new code sha256")
			}
		}
		diff = append(diff, envLines(f.env(), s.Environment)...)
		if len(diff) > 0 {
			plan = append(plan, action{verb: "update", object: "configuration of function " + s.Name, detail: diff,
				run: d.call(s, "UpdateFunctionConfiguration", s.Name, fnParams(nil), true)})
		}
		if !codeChanged && len(diff) == 0 {
			plan = append(plan, action{verb: "keep", object: "function " + s.Name,
				detail: []string{fmt.Sprintf("status %s, code sha256 %s", f.Status, short(code.SHA256))}})
		}
	}

	used := map[string]bool{}
	for _, t := range s.Timers {
		a, err := d.planTimer(s, t, triggers, used)
		if err != nil {
			return nil, err
		}
		plan = append(plan, a)
	}
	if s.URL != nil {
		a, err := d.planURL(s, *s.URL, triggers, used)
		if err != nil {
			return nil, err
		}
		plan = append(plan, a)
	}
	for _, t := range triggers {
		if !used[t.Type+"/"+t.TriggerName] {
			plan = append(plan, action{verb: "keep", object: fmt.Sprintf("%s trigger %s", t.Type, t.TriggerName),
				detail: []string{"not in serverless.yml: left as it is"}})
		}
	}
	return plan, nil
}

func (d *Deployer) planTimer(s *Spec, t Timer, triggers []remoteTrigger, used map[string]bool) (action, error) {
	object := "timer trigger " + t.Name
	describeTimer := func(cron string, enable bool, arg string) string {
		return fmt.Sprintf("cron %q, %s, argument %s", cron, onOff(enable, "enabled", "disabled"), maskArgument(arg))
	}
	var remote *remoteTrigger
	for i := range triggers {
		if triggers[i].TriggerName == t.Name {
			remote = &triggers[i]
		}
	}
	params := map[string]any{
		"FunctionName": s.Name, "Namespace": s.Namespace, "TriggerName": t.Name, "Type": "timer",
		"TriggerDesc": t.Cron, "Qualifier": t.Qualifier, "Enable": onOff(t.Enable, "OPEN", "CLOSE"),
		"CustomArgument": t.Argument,
	}
	if remote == nil {
		return action{verb: "create", object: object, detail: []string{describeTimer(t.Cron, t.Enable, t.Argument)},
			run: d.call(s, "CreateTrigger", t.Name, params, false)}, nil
	}
	used[remote.Type+"/"+remote.TriggerName] = true
	switch {
	case remote.Type != "timer":
		return action{}, fmt.Errorf("serverless.yml's timer %s: the function has a %s trigger of that name; rename the timer", t.Name, remote.Type)
	case remote.Qualifier != "" && remote.Qualifier != t.Qualifier:
		return action{}, fmt.Errorf("serverless.yml's timer %s: the trigger is bound to %s, not %s; SCF cannot move it: delete it in the console or rename the timer", t.Name, remote.Qualifier, t.Qualifier)
	}
	cron := timerCron(remote.TriggerDesc)
	if cron == t.Cron && bool(remote.Enable) == t.Enable && remote.CustomArgument == t.Argument {
		return action{verb: "keep", object: object, detail: []string{describeTimer(t.Cron, t.Enable, t.Argument)}}, nil
	}
	var diff []string
	if cron != t.Cron {
		diff = append(diff, fmt.Sprintf("cron %q -> %q", cron, t.Cron))
	}
	if bool(remote.Enable) != t.Enable {
		diff = append(diff, onOff(t.Enable, "enable", "disable"))
	}
	if remote.CustomArgument != t.Argument {
		diff = append(diff, fmt.Sprintf("argument %s -> %s", maskArgument(remote.CustomArgument), maskArgument(t.Argument)))
	}
	return action{verb: "update", object: object, detail: diff, run: d.call(s, "UpdateTrigger", t.Name, params, false)}, nil
}

// timerCron reads a timer's TriggerDesc: {"cron":"..."} as ListTriggers
// answers it, or the bare expression.
func timerCron(desc string) string {
	var v struct {
		Cron string `json:"cron"`
	}
	if json.Unmarshal([]byte(desc), &v) == nil && v.Cron != "" {
		return strings.Join(strings.Fields(v.Cron), " ")
	}
	return strings.Join(strings.Fields(desc), " ")
}

func (d *Deployer) planURL(s *Spec, u FunctionURL, triggers []remoteTrigger, used map[string]bool) (action, error) {
	object := "function URL"
	want := fmt.Sprintf("auth %s, extranet %s, intranet %s", u.AuthType, onOff(u.EnableExtranet, "on", "off"), onOff(u.EnableIntranet, "on", "off"))
	descJSON, _ := json.Marshal(map[string]any{
		"AuthType":  u.AuthType,
		"NetConfig": map[string]bool{"EnableIntranet": u.EnableIntranet, "EnableExtranet": u.EnableExtranet},
	})
	// SCF names a function URL as it likes and keeps one per qualifier:
	// it is found by type and qualifier, not by name.
	var remote *remoteTrigger
	for i := range triggers {
		if triggers[i].Type == "http" && (triggers[i].Qualifier == u.Qualifier || triggers[i].Qualifier == "") {
			remote = &triggers[i]
		}
	}
	if remote == nil {
		return action{verb: "create", object: object, detail: []string{want}, run: d.call(s, "CreateTrigger", "(function URL)", map[string]any{
			"FunctionName": s.Name, "Namespace": s.Namespace, "TriggerName": u.Name, "Type": "http",
			"TriggerDesc": string(descJSON), "Qualifier": u.Qualifier, "Enable": "OPEN",
		}, false)}, nil
	}
	used[remote.Type+"/"+remote.TriggerName] = true
	var have urlDesc
	if err := json.Unmarshal([]byte(remote.TriggerDesc), &have); err != nil {
		return action{}, fmt.Errorf("function URL %s: unreadable TriggerDesc from ListTriggers: %v", remote.TriggerName, err)
	}
	if have.AuthType == u.AuthType && bool(have.NetConfig.EnableExtranet) == u.EnableExtranet && bool(have.NetConfig.EnableIntranet) == u.EnableIntranet {
		return action{verb: "keep", object: object + " " + remote.TriggerName, detail: []string{want}}, nil
	}
	from := fmt.Sprintf("auth %s, extranet %s, intranet %s", have.AuthType, onOff(bool(have.NetConfig.EnableExtranet), "on", "off"), onOff(bool(have.NetConfig.EnableIntranet), "on", "off"))
	return action{verb: "update", object: object + " " + remote.TriggerName, detail: []string{from + " -> " + want},
		run: d.call(s, "UpdateTrigger", "(function URL "+remote.TriggerName+")", map[string]any{
			"FunctionName": s.Name, "Namespace": s.Namespace, "TriggerName": remote.TriggerName, "Type": "http",
			"TriggerDesc": string(descJSON), "Qualifier": remote.Qualifier,
		}, false)}, nil
}

// call is an action's run: one SCF action, then, if wait, the wait for
// the function to be Active again.
func (d *Deployer) call(s *Spec, action, what string, params map[string]any, wait bool) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := d.API.SCF(ctx, s.Region, action, params, nil); err != nil {
			return fmt.Errorf("%s %s: %w", action, what, err)
		}
		if wait {
			return d.waitActive(ctx, s)
		}
		return nil
	}
}

func envParam(env map[string]string) map[string]any {
	vars := make([]map[string]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		vars = append(vars, map[string]string{"Key": k, "Value": env[k]})
	}
	return map[string]any{"Variables": vars}
}

// Secret reports whether an environment variable's value is kept out of
// the plan: its name says SECRET, PASSWORD, AUTH or TOKEN.
func Secret(name string) bool {
	up := strings.ToUpper(name)
	for _, w := range []string{"SECRET", "PASSWORD", "AUTH", "TOKEN"} {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

const masked = "****"

func shown(name, value string) string {
	if Secret(name) {
		return masked
	}
	return strconv.Quote(value)
}

// envLines describes the environment (have nil) or its changes, without
// the values of secrets.
func envLines(have, want map[string]string) []string {
	var out []string
	if have == nil {
		for _, k := range slices.Sorted(maps.Keys(want)) {
			out = append(out, fmt.Sprintf("environment %s=%s", k, shown(k, want[k])))
		}
		return out
	}
	if maps.Equal(have, want) {
		return nil
	}
	all := maps.Clone(have)
	maps.Copy(all, want)
	for _, k := range slices.Sorted(maps.Keys(all)) {
		h, inHave := have[k]
		w, inWant := want[k]
		switch {
		case !inHave:
			out = append(out, fmt.Sprintf("environment + %s=%s", k, shown(k, w)))
		case !inWant:
			out = append(out, fmt.Sprintf("environment - %s", k))
		case h != w && Secret(k):
			out = append(out, fmt.Sprintf("environment ~ %s (secret: changed)", k))
		case h != w:
			out = append(out, fmt.Sprintf("environment ~ %s=%s -> %s", k, shown(k, h), shown(k, w)))
		}
	}
	return out
}

// maskArgument shows a timer's argument with the values of secret-named
// keys masked: a restore request may carry a password.
func maskArgument(arg string) string {
	if arg == "" {
		return "(none)"
	}
	var v any
	if err := json.Unmarshal([]byte(arg), &v); err != nil {
		if Secret(arg) {
			return fmt.Sprintf("%s (%d bytes, not JSON)", masked, len(arg))
		}
		return strconv.Quote(arg)
	}
	b, _ := json.Marshal(maskJSON(v))
	return string(b)
}

func maskJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if Secret(k) {
				x[k] = masked
			} else {
				x[k] = maskJSON(val)
			}
		}
	case []any:
		for i := range x {
			x[i] = maskJSON(x[i])
		}
	}
	return v
}

func stripTag(description string) string {
	if loc := codeTagRE.FindStringIndex(description); loc != nil {
		return description[:loc[0]]
	}
	return description
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func onOff(b bool, on, off string) string {
	if b {
		return on
	}
	return off
}
