package deploy

import (
	"bytes"
	"cmp"
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
	"redis-restore/internal/scfrules"
)

// API sends one SCF action and decodes its Response into out;
// *cloud.Session is one.
type API interface {
	SCF(ctx context.Context, region, action string, params map[string]any, out any) error
}

// Result says what a deploy did or would do.
type Result struct {
	Changes int    // actions that create or update something
	URL     string // the function URL, once it exists
}

// deployer deploys one Spec through api, printing its plan and progress.
type deployer struct {
	api API
	out io.Writer
	s   *Spec
	// now and sleep are the clock of the wait for Active (tests inject a
	// fake one); wait bounds each wait, whose polls start a second apart
	// and back off to ten.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	wait  time.Duration
}

// action is one line of the plan; call is empty for what stays as it is.
type action struct {
	verb, object string // verb: create, update, keep
	detail       []string
	call         string // the SCF action that makes the change
	params       map[string]any
	wait         bool // for the function to be Active again afterwards
}

// remoteFunction is the part of GetFunction's answer the deploy reads.
type remoteFunction struct {
	Runtime, Handler, Role, Description string
	MemorySize, Timeout                 int64
	Status, StatusDesc                  string
	Environment                         struct{ Variables []struct{ Key, Value string } }
	StatusReasons                       json.RawMessage
}

func (f *remoteFunction) env() map[string]string {
	out := map[string]string{}
	for _, v := range f.Environment.Variables {
		out[v.Key] = v.Value
	}
	return out
}

// remoteTrigger is one entry of ListTriggers. Enable is 1/0 in the
// answers' examples; "OPEN"/"CLOSE" or true/false are read too.
type remoteTrigger struct {
	TriggerName, Type, Qualifier, TriggerDesc, CustomArgument string
	Enable                                                    json.RawMessage
}

func (t remoteTrigger) enabled() bool {
	return slices.Contains([]string{"1", "TRUE", "OPEN"}, strings.ToUpper(strings.Trim(string(t.Enable), `"`)))
}

// deploy prints the plan for code, then, unless dryRun, carries it out
// and prints the function URL.
func (d *deployer) deploy(ctx context.Context, code Code, dryRun bool) (Result, error) {
	s := d.s
	if s.Region == "" {
		return Result{}, errors.New("no region: set inputs.region in serverless.yml or TENCENTCLOUD_REGION")
	}
	fmt.Fprintf(d.out, "function %s, namespace %s, region %s; code %s (%d bytes), sha256 %s\n",
		s.Name, s.Namespace, s.Region, s.Src, len(code.Zip), code.SHA256)
	remote, err := d.getFunction(ctx)
	if err != nil {
		return Result{}, err
	}
	var triggers []remoteTrigger
	if remote != nil {
		if triggers, err = d.listTriggers(ctx); err != nil {
			return Result{}, err
		}
	}
	plan, err := d.plan(code, remote, triggers)
	if err != nil {
		return Result{}, err
	}
	res := Result{URL: functionURL(triggers)}
	fmt.Fprintln(d.out, "plan:")
	for _, a := range plan {
		fmt.Fprintf(d.out, "  %s %s %s\n", map[string]string{"create": "+", "update": "~", "keep": "="}[a.verb], a.verb, a.object)
		for _, line := range a.detail {
			fmt.Fprintf(d.out, "      %s\n", line)
		}
		if a.call != "" {
			res.Changes++
		}
	}
	switch {
	case res.Changes == 0:
		fmt.Fprintln(d.out, "no change: the function and its triggers are as serverless.yml describes them")
	case dryRun:
		fmt.Fprintf(d.out, "dry run: %d change(s) planned, none made\n", res.Changes)
	}
	if dryRun || res.Changes == 0 {
		d.printURL(res.URL)
		return res, nil
	}

	if remote != nil && remote.Status != "Active" {
		if err := d.waitActive(ctx); err != nil {
			return res, err
		}
	}
	for _, a := range plan {
		if a.call == "" {
			continue
		}
		fmt.Fprintf(d.out, "%s %s ... ", a.verb, a.object)
		err := d.api.SCF(ctx, s.Region, a.call, a.params, nil)
		if err == nil && a.wait {
			err = d.waitActive(ctx)
		}
		if err != nil {
			fmt.Fprintln(d.out, "failed")
			return res, fmt.Errorf("%s (%s): %w", a.call, a.object, err)
		}
		fmt.Fprintln(d.out, "done")
	}
	if triggers, err = d.listTriggers(ctx); err != nil {
		return res, err
	}
	res.URL = functionURL(triggers)
	fmt.Fprintf(d.out, "deployed: %d change(s)\n", res.Changes)
	d.printURL(res.URL)
	return res, nil
}

func (d *deployer) printURL(url string) {
	fmt.Fprintf(d.out, "function URL: %s\n", cmp.Or(url, "none yet"))
}

// functionURL is the URL to call: the public one if the function has one,
// else the intranet one.
func functionURL(triggers []remoteTrigger) string {
	for _, t := range triggers {
		var u scfrules.URLDesc
		if t.Type == "http" && json.Unmarshal([]byte(t.TriggerDesc), &u) == nil {
			if url := cmp.Or(u.NetConfig.ExtranetURL, u.NetConfig.IntranetURL); url != "" {
				return url
			}
		}
	}
	return ""
}

func (d *deployer) getFunction(ctx context.Context) (*remoteFunction, error) {
	var f remoteFunction
	err := d.api.SCF(ctx, d.s.Region, "GetFunction", map[string]any{"FunctionName": d.s.Name, "Namespace": d.s.Namespace}, &f)
	if err != nil {
		// ResourceNotFound.Function (and .FunctionName): not there yet.
		if e := failure.As(err); strings.HasPrefix(e.Code, "ResourceNotFound.Function") {
			return nil, nil
		}
		return nil, fmt.Errorf("GetFunction %s: %w", d.s.Name, err)
	}
	return &f, nil
}

func (d *deployer) listTriggers(ctx context.Context) ([]remoteTrigger, error) {
	var all []remoteTrigger
	for {
		var page struct {
			TotalCount int
			Triggers   []remoteTrigger
		}
		err := d.api.SCF(ctx, d.s.Region, "ListTriggers", map[string]any{
			"FunctionName": d.s.Name, "Namespace": d.s.Namespace, "Offset": len(all), "Limit": 20,
		}, &page)
		if err != nil {
			return nil, fmt.Errorf("ListTriggers %s: %w", d.s.Name, err)
		}
		all = append(all, page.Triggers...)
		if len(page.Triggers) == 0 || len(all) >= page.TotalCount {
			return all, nil
		}
	}
}

// waitActive polls GetFunction until the function is Active, within
// d.wait: SCF refuses the next change while one is settling.
func (d *deployer) waitActive(ctx context.Context) error {
	name := d.s.Name
	deadline := d.now().Add(d.wait)
	for delay := time.Second; ; delay = min(2*delay, 10*time.Second) {
		f, err := d.getFunction(ctx)
		switch {
		case err != nil:
			return err
		case f == nil:
			return fmt.Errorf("function %s disappeared while waiting for it to become Active", name)
		case f.Status == "Active":
			return nil
		case strings.HasSuffix(f.Status, "Failed"):
			return fmt.Errorf("function %s is %s: %s %s", name, f.Status, f.StatusDesc, bytes.TrimSpace(f.StatusReasons))
		case !d.now().Add(delay).Before(deadline):
			return fmt.Errorf("function %s is still %s after %s: see the SCF console", name, f.Status, d.wait)
		}
		if err := d.sleep(ctx, delay); err != nil {
			return fmt.Errorf("waiting for function %s to become Active: %w", name, err)
		}
	}
}

// field is one setting as SCF has it and as serverless.yml wants it.
type field struct{ name, have, want string }

// diffs describes the fields that differ, "name have -> want".
func diffs(fs ...field) []string {
	var out []string
	for _, f := range fs {
		if f.have != f.want {
			out = append(out, fmt.Sprintf("%s %s -> %s", f.name, f.have, f.want))
		}
	}
	return out
}

// plan compares serverless.yml with what SCF has and lists what to do.
func (d *deployer) plan(code Code, f *remoteFunction, triggers []remoteTrigger) ([]action, error) {
	s := d.s
	desc := describe(s.Description, code.SHA256)
	zipFile := base64.StdEncoding.EncodeToString(code.Zip)
	fn := map[string]any{"FunctionName": s.Name, "Namespace": s.Namespace}
	config := maps.Clone(fn)
	maps.Copy(config, map[string]any{"Runtime": s.Runtime, "Description": desc, "MemorySize": s.MemorySize, "Timeout": s.Timeout, "Environment": envParam(s.Environment)})
	if s.Role != "" {
		config["Role"] = s.Role
	}
	var plan []action
	if f == nil {
		create := maps.Clone(config)
		maps.Copy(create, map[string]any{"Handler": s.Handler, "Type": "Event", "Code": map[string]any{"ZipFile": zipFile}})
		plan = append(plan, action{verb: "create", object: "function " + s.Name, call: "CreateFunction", params: create, wait: true,
			detail: append([]string{fmt.Sprintf("runtime %s, handler %s, role %s, memorySize %d MB, timeout %d s, code sha256 %s",
				s.Runtime, s.Handler, orNone(s.Role), s.MemorySize, s.Timeout, short(code.SHA256))}, envLines(nil, s.Environment)...)})
	} else {
		codeDiff := diffs(field{"code sha256", orNone(short(recordedCode(f.Description))), short(code.SHA256)},
			field{"handler", strconv.Quote(f.Handler), strconv.Quote(s.Handler)})
		if len(codeDiff) > 0 {
			update := maps.Clone(fn)
			maps.Copy(update, map[string]any{"Handler": s.Handler, "ZipFile": zipFile})
			plan = append(plan, action{verb: "update", object: "code of function " + s.Name, detail: codeDiff, call: "UpdateFunctionCode", params: update, wait: true})
		}
		diff := diffs(field{"runtime", f.Runtime, s.Runtime},
			field{"role", orNone(f.Role), orNone(cmp.Or(s.Role, f.Role))},
			field{"memorySize", fmt.Sprintf("%d MB", f.MemorySize), fmt.Sprintf("%d MB", s.MemorySize)},
			field{"timeout", fmt.Sprintf("%d s", f.Timeout), fmt.Sprintf("%d s", s.Timeout)},
			field{"description", strconv.Quote(stripTag(f.Description)), strconv.Quote(s.Description)})
		if f.Description != desc && stripTag(f.Description) == s.Description {
			diff = append(diff, "description records the new code sha256")
		}
		if diff = append(diff, envLines(f.env(), s.Environment)...); len(diff) > 0 {
			plan = append(plan, action{verb: "update", object: "configuration of function " + s.Name, detail: diff, call: "UpdateFunctionConfiguration", params: config, wait: true})
		}
		if len(codeDiff)+len(diff) == 0 {
			plan = append(plan, action{verb: "keep", object: "function " + s.Name,
				detail: []string{fmt.Sprintf("status %s, code sha256 %s", f.Status, short(code.SHA256))}})
		}
	}

	used := map[*remoteTrigger]bool{}
	for _, t := range s.Timers {
		a, err := d.planTimer(t, triggers, used)
		if err != nil {
			return nil, err
		}
		plan = append(plan, a)
	}
	if s.URL != nil {
		a, err := d.planURL(*s.URL, triggers, used)
		if err != nil {
			return nil, err
		}
		plan = append(plan, a)
	}
	for i, t := range triggers {
		if !used[&triggers[i]] {
			plan = append(plan, action{verb: "keep", object: fmt.Sprintf("%s trigger %s", t.Type, t.TriggerName),
				detail: []string{"not in serverless.yml: left as it is"}})
		}
	}
	return plan, nil
}

// triggerAction plans a trigger from its fields: create it (have is nil),
// keep it or update it.
func triggerAction(object string, remote *remoteTrigger, fs []field, create, update map[string]any) action {
	var want []string
	for _, f := range fs {
		want = append(want, f.name+" "+f.want)
	}
	keep := []string{strings.Join(want, ", ")}
	switch diff := diffs(fs...); {
	case remote == nil:
		return action{verb: "create", object: object, detail: keep, call: "CreateTrigger", params: create}
	case len(diff) == 0:
		return action{verb: "keep", object: object, detail: keep}
	default:
		return action{verb: "update", object: object, detail: diff, call: "UpdateTrigger", params: update}
	}
}

func (d *deployer) planTimer(t Timer, triggers []remoteTrigger, used map[*remoteTrigger]bool) (action, error) {
	var remote *remoteTrigger
	for i := range triggers {
		if triggers[i].TriggerName == t.Name {
			remote = &triggers[i]
		}
	}
	have := remoteTrigger{}
	if remote != nil {
		used[remote] = true
		switch {
		case remote.Type != "timer":
			return action{}, fmt.Errorf("serverless.yml's timer %s: the function has a %s trigger of that name; rename the timer", t.Name, remote.Type)
		case remote.Qualifier != "" && remote.Qualifier != t.Qualifier:
			return action{}, fmt.Errorf("serverless.yml's timer %s: the trigger is bound to %s, not %s; SCF cannot move it: delete it in the console or rename the timer", t.Name, remote.Qualifier, t.Qualifier)
		}
		have = *remote
	}
	cron, err := scfrules.Cron(have.TriggerDesc)
	if err != nil {
		cron = have.TriggerDesc
	}
	params := map[string]any{
		"FunctionName": d.s.Name, "Namespace": d.s.Namespace, "TriggerName": t.Name, "Type": "timer",
		"TriggerDesc": t.Cron, "Qualifier": t.Qualifier, "Enable": onOff(t.Enable, "OPEN", "CLOSE"), "CustomArgument": t.Argument,
	}
	return triggerAction("timer trigger "+t.Name, remote, []field{
		{"cron", strconv.Quote(cron), strconv.Quote(t.Cron)},
		{"state", onOff(have.enabled(), "enabled", "disabled"), onOff(t.Enable, "enabled", "disabled")},
		{"argument", maskArgument(have.CustomArgument), maskArgument(t.Argument)},
	}, params, params), nil
}

func (d *deployer) planURL(u FunctionURL, triggers []remoteTrigger, used map[*remoteTrigger]bool) (action, error) {
	// SCF names a function URL as it likes and keeps one per qualifier:
	// it is found by type and qualifier, not by name.
	var remote *remoteTrigger
	for i := range triggers {
		if triggers[i].Type == "http" && (triggers[i].Qualifier == u.Qualifier || triggers[i].Qualifier == "") {
			remote = &triggers[i]
		}
	}
	object, name, qualifier := "function URL", u.Name, u.Qualifier
	var have scfrules.URLDesc
	if remote != nil {
		used[remote] = true
		if err := json.Unmarshal([]byte(remote.TriggerDesc), &have); err != nil {
			return action{}, fmt.Errorf("function URL %s: unreadable TriggerDesc from ListTriggers: %v", remote.TriggerName, err)
		}
		object, name, qualifier = object+" "+remote.TriggerName, remote.TriggerName, remote.Qualifier
	}
	desc, _ := json.Marshal(map[string]any{
		"AuthType":  u.AuthType,
		"NetConfig": map[string]bool{"EnableIntranet": u.EnableIntranet, "EnableExtranet": u.EnableExtranet},
	})
	update := map[string]any{"FunctionName": d.s.Name, "Namespace": d.s.Namespace, "TriggerName": name, "Type": "http",
		"TriggerDesc": string(desc), "Qualifier": qualifier}
	create := maps.Clone(update)
	create["Enable"] = "OPEN"
	return triggerAction(object, remote, []field{
		{"auth", have.AuthType, u.AuthType},
		{"extranet", onOff(have.NetConfig.EnableExtranet, "on", "off"), onOff(u.EnableExtranet, "on", "off")},
		{"intranet", onOff(have.NetConfig.EnableIntranet, "on", "off"), onOff(u.EnableIntranet, "on", "off")},
	}, create, update), nil
}

func envParam(env map[string]string) map[string]any {
	vars := make([]map[string]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		vars = append(vars, map[string]string{"Key": k, "Value": env[k]})
	}
	return map[string]any{"Variables": vars}
}

// secret reports whether an environment variable's value is kept out of
// the plan: its name says SECRET, PASSWORD, AUTH or TOKEN.
func secret(name string) bool {
	up := strings.ToUpper(name)
	return slices.ContainsFunc([]string{"SECRET", "PASSWORD", "AUTH", "TOKEN"}, func(w string) bool { return strings.Contains(up, w) })
}

const masked = "****"

func shown(name, value string) string {
	if secret(name) {
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
		case h != w && secret(k):
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
	var v any
	switch {
	case arg == "":
		return "(none)"
	case json.Unmarshal([]byte(arg), &v) != nil && secret(arg):
		return fmt.Sprintf("%s (%d bytes, not JSON)", masked, len(arg))
	case v == nil:
		return strconv.Quote(arg)
	}
	b, _ := json.Marshal(maskJSON(v))
	return string(b)
}

func maskJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = maskJSON(val)
			if secret(k) {
				x[k] = masked
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

func short(sha string) string { return sha[:min(12, len(sha))] }

func orNone(s string) string { return cmp.Or(s, "(none)") }

func onOff(b bool, on, off string) string {
	if b {
		return on
	}
	return off
}
