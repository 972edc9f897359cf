package deploy

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
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

// Result says what a deploy, a rollback or a destroy did or would do.
type Result struct {
	Changes int    // actions that create, update or delete something
	URL     string // the function URL, once it exists
	Version string // the version the alias points at afterwards
}

// Marks of what make deploy made, read by make destroy: a function it
// created carries the tag; a trigger, the description; a version, the
// description's first words.
const (
	madeTagKey    = "redis-restore"
	madeTagValue  = "make-deploy"
	triggerMark   = "Made by make deploy"
	versionPrefix = "Deployed by make deploy"
)

// deployer talks to SCF about one Spec, printing its plan and progress.
type deployer struct {
	api API
	out io.Writer
	s   *Spec
	// ask puts the question and reads the answer (confirm.go).
	ask func(question string) error
	// now and sleep are the clock of the wait for Active (tests inject a
	// fake one); wait bounds each wait, whose polls start a second apart
	// and back off to ten.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	wait  time.Duration
	// target is the version the alias is to point at: an existing one, or
	// the one this deploy publishes.
	target string
}

// step is one API call. Its parameters are built when it runs, so that a
// step can use what an earlier one answered (the version just published).
type step struct {
	call   string
	params func() map[string]any
	out    any    // decodes the answer, if not nil
	then   func() // runs after the call succeeded
	wait   bool   // for the function to be Active again afterwards
}

func fixed(call string, params map[string]any, wait bool) step {
	return step{call: call, params: func() map[string]any { return params }, wait: wait}
}

// action is one line of the plan; no steps for what stays as it is.
type action struct {
	verb, object string // create, update, replace, publish, point, delete, keep
	detail       []string
	steps        []step
}

var verbSign = map[string]string{"create": "+", "publish": "+", "update": "~", "point": "~", "replace": "±", "delete": "-", "keep": "="}

// remoteFunction is the part of GetFunction's answer the deploy reads.
type remoteFunction struct {
	Runtime, Handler, Role, Description string
	MemorySize, Timeout                 int64
	Status, StatusDesc                  string
	Environment                         struct{ Variables []struct{ Key, Value string } }
	VpcConfig                           struct{ VpcId, SubnetId string }
	Tags                                []struct{ Key, Value string }
	StatusReasons                       json.RawMessage
}

func (f *remoteFunction) env() map[string]string {
	out := map[string]string{}
	for _, v := range f.Environment.Variables {
		out[v.Key] = v.Value
	}
	return out
}

func (f *remoteFunction) madeByDeploy() bool {
	return slices.ContainsFunc(f.Tags, func(t struct{ Key, Value string }) bool { return t.Key == madeTagKey && t.Value == madeTagValue })
}

// remoteTrigger is one entry of ListTriggers. Enable is 1/0 in the
// answers' examples; "OPEN"/"CLOSE" or true/false are read too.
type remoteTrigger struct {
	TriggerName, Type, Qualifier, TriggerDesc, CustomArgument, Description string
	Enable                                                                 json.RawMessage
}

func (t remoteTrigger) enabled() bool {
	return slices.Contains([]string{"1", "TRUE", "OPEN"}, strings.ToUpper(strings.Trim(string(t.Enable), `"`)))
}

type remoteVersion struct{ Version, Description, AddTime string }

type remoteAlias struct{ Name, FunctionVersion string }

// remote is what SCF has now.
type remote struct {
	fn       *remoteFunction // nil: no function yet
	triggers []remoteTrigger
	alias    *remoteAlias // nil: no alias yet
	versions []remoteVersion
	reserved *int64 // ReservedMem; nil: none set
}

// notFound reports whether err says that what was asked for is not there.
// GetFunction documents InvalidParameterValue.FunctionName as "the
// function does not exist" (the name itself was checked before: see
// scfrules.FunctionName); the other actions answer ResourceNotFound.*.
func notFound(err error) bool {
	e := failure.As(err)
	return e != nil && (strings.HasPrefix(e.Code, "ResourceNotFound.") || e.Code == "InvalidParameterValue.FunctionName")
}

func (d *deployer) fnParams(kv ...any) map[string]any {
	p := map[string]any{"FunctionName": d.s.Name, "Namespace": d.s.Namespace}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return p
}

func (d *deployer) getFunction(ctx context.Context, qualifier string) (*remoteFunction, error) {
	var f remoteFunction
	params := d.fnParams()
	if qualifier != "" {
		params["Qualifier"] = qualifier
	}
	err := d.api.SCF(ctx, d.s.Region, "GetFunction", params, &f)
	switch {
	case err != nil && notFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("GetFunction %s: %w", d.s.Name, err)
	}
	return &f, nil
}

// read reads the function, its triggers, alias, versions and reserved
// concurrency.
func (d *deployer) read(ctx context.Context) (*remote, error) {
	r := &remote{}
	var err error
	if r.fn, err = d.getFunction(ctx, ""); err != nil || r.fn == nil {
		return r, err
	}
	if r.triggers, err = d.listTriggers(ctx); err != nil {
		return nil, err
	}
	var a remoteAlias
	switch err := d.api.SCF(ctx, d.s.Region, "GetAlias", d.fnParams("Name", d.s.Alias), &a); {
	case err == nil:
		r.alias = &a
	case !notFound(err):
		return nil, fmt.Errorf("GetAlias %s: %w", d.s.Alias, err)
	}
	if r.versions, err = d.listVersions(ctx); err != nil {
		return nil, err
	}
	var rc struct{ ReservedMem *int64 }
	if err := d.api.SCF(ctx, d.s.Region, "GetReservedConcurrencyConfig", d.fnParams(), &rc); err != nil {
		return nil, fmt.Errorf("GetReservedConcurrencyConfig %s: %w", d.s.Name, err)
	}
	r.reserved = rc.ReservedMem
	return r, nil
}

func (d *deployer) listTriggers(ctx context.Context) ([]remoteTrigger, error) {
	var all []remoteTrigger
	for {
		var page struct {
			TotalCount int
			Triggers   []remoteTrigger
		}
		if err := d.api.SCF(ctx, d.s.Region, "ListTriggers", d.fnParams("Offset", len(all), "Limit", 20), &page); err != nil {
			return nil, fmt.Errorf("ListTriggers %s: %w", d.s.Name, err)
		}
		all = append(all, page.Triggers...)
		if len(page.Triggers) == 0 || len(all) >= page.TotalCount {
			return all, nil
		}
	}
}

// listVersions returns the published versions, oldest first ($LATEST left out).
func (d *deployer) listVersions(ctx context.Context) ([]remoteVersion, error) {
	var all []remoteVersion
	for offset := 0; ; {
		var page struct {
			TotalCount int
			Versions   []remoteVersion
		}
		if err := d.api.SCF(ctx, d.s.Region, "ListVersionByFunction", d.fnParams("Offset", offset, "Limit", 100, "Order", "ASC"), &page); err != nil {
			return nil, fmt.Errorf("ListVersionByFunction %s: %w", d.s.Name, err)
		}
		offset += len(page.Versions)
		for _, v := range page.Versions {
			if v.Version != "$LATEST" {
				all = append(all, v)
			}
		}
		if len(page.Versions) == 0 || offset >= page.TotalCount {
			return all, nil
		}
	}
}

// deploy prints the plan for code, then, unless dryRun, asks and carries
// it out, and prints the function URL.
func (d *deployer) deploy(ctx context.Context, code Code, dryRun bool) (Result, error) {
	s := d.s
	fmt.Fprintf(d.out, "code %s (%d bytes), sha256 %s\n", s.Src, len(code.Zip), code.SHA256)
	r, err := d.read(ctx)
	if err != nil {
		return Result{}, err
	}
	if err := d.signingKey(r); err != nil {
		return Result{}, err
	}
	plan, err := d.plan(ctx, code, r)
	if err != nil {
		return Result{}, err
	}
	res := Result{URL: functionURL(r.triggers, s.Alias), Changes: d.printPlan(plan)}
	switch {
	case res.Changes == 0:
		fmt.Fprintln(d.out, "no change: the function, its alias and its triggers are as serverless.yml describes them")
	case dryRun:
		fmt.Fprintf(d.out, "dry run: %d change(s) planned, none made\n", res.Changes)
	}
	if dryRun || res.Changes == 0 {
		res.Version = d.target
		d.printURL(res.URL)
		return res, nil
	}
	if err := d.ask(fmt.Sprintf("make these %d change(s)?", res.Changes)); err != nil {
		return Result{}, err
	}
	if r.fn != nil && r.fn.Status != "Active" {
		if err := d.waitActive(ctx); err != nil {
			return res, err
		}
	}
	if err := d.apply(ctx, plan); err != nil {
		return res, err
	}
	triggers, err := d.listTriggers(ctx)
	if err != nil {
		return res, err
	}
	res.URL, res.Version = functionURL(triggers, s.Alias), d.target
	fmt.Fprintf(d.out, "deployed: %d change(s); alias %s is version %s\n", res.Changes, s.Alias, d.target)
	d.printURL(res.URL)
	return res, nil
}

// printPlan prints the plan and returns how many actions change something.
func (d *deployer) printPlan(plan []action) int {
	fmt.Fprintln(d.out, "plan:")
	changes := 0
	for _, a := range plan {
		fmt.Fprintf(d.out, "  %s %s %s\n", verbSign[a.verb], a.verb, a.object)
		for _, line := range a.detail {
			fmt.Fprintf(d.out, "      %s\n", line)
		}
		if len(a.steps) > 0 {
			changes++
		}
	}
	return changes
}

// apply carries out the plan's steps in order, waiting where SCF needs
// the function Active again before the next change.
func (d *deployer) apply(ctx context.Context, plan []action) error {
	for _, a := range plan {
		if len(a.steps) == 0 {
			continue
		}
		fmt.Fprintf(d.out, "%s %s ... ", a.verb, a.object)
		for _, st := range a.steps {
			err := d.api.SCF(ctx, d.s.Region, st.call, st.params(), st.out)
			if err == nil && st.wait {
				err = d.waitActive(ctx)
			}
			if err != nil {
				fmt.Fprintln(d.out, "failed")
				return fmt.Errorf("%s (%s): %w", st.call, a.object, err)
			}
			if st.then != nil {
				st.then()
			}
		}
		fmt.Fprintln(d.out, "done")
	}
	return nil
}

func (d *deployer) printURL(url string) {
	fmt.Fprintf(d.out, "function URL: %s\n", cmp.Or(url, "none yet"))
}

// functionURL is the URL of the alias's function URL: the public one if
// it has one, else the intranet one.
func functionURL(triggers []remoteTrigger, alias string) string {
	for _, t := range triggers {
		var u scfrules.URLDesc
		if t.Type == "http" && t.Qualifier == alias && json.Unmarshal([]byte(t.TriggerDesc), &u) == nil {
			if url := cmp.Or(u.NetConfig.ExtranetURL, u.NetConfig.IntranetURL); url != "" {
				return url
			}
		}
	}
	return ""
}

// waitActive polls GetFunction until the function is Active, within
// d.wait: SCF refuses the next change while one is settling.
func (d *deployer) waitActive(ctx context.Context) error {
	name := d.s.Name
	deadline := d.now().Add(d.wait)
	for delay := time.Second; ; delay = min(2*delay, 10*time.Second) {
		f, err := d.getFunction(ctx, "")
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

// configFields are the settings a version copies, as f has them and as
// serverless.yml wants them (role: the function's own when the file names
// none).
func (d *deployer) configFields(f *remoteFunction) []field {
	s := d.s
	fs := []field{
		{"handler", strconv.Quote(f.Handler), strconv.Quote(s.Handler)},
		{"role", orNone(f.Role), orNone(cmp.Or(s.Role, f.Role))},
		{"memorySize", fmt.Sprintf("%d MB", f.MemorySize), fmt.Sprintf("%d MB", s.MemorySize)},
		{"timeout", fmt.Sprintf("%d s", f.Timeout), fmt.Sprintf("%d s", s.Timeout)},
	}
	if s.VpcID != "" {
		fs = append(fs, field{"vpc", orNone(strings.Trim(f.VpcConfig.VpcId+"/"+f.VpcConfig.SubnetId, "/")), s.VpcID + "/" + s.SubnetID})
	}
	return fs
}

// sameAsSpec reports whether a function (a version, or $LATEST) holds
// exactly the code and settings serverless.yml describes.
func (d *deployer) sameAsSpec(f *remoteFunction, code Code) bool {
	return f != nil && recordedCode(f.Description) == code.SHA256 && len(diffs(d.configFields(f)...)) == 0 &&
		len(envLines(f.env(), d.s.Environment)) == 0
}

// plan compares serverless.yml with what SCF has and lists what to do.
func (d *deployer) plan(ctx context.Context, code Code, r *remote) ([]action, error) {
	plan, latestChanges, err := d.planFunction(code, r.fn)
	if err != nil {
		return nil, err
	}
	if m := d.s.ReservedConcurrencyMem; m != nil && (r.reserved == nil || *r.reserved != *m) {
		have := "(none)"
		if r.reserved != nil {
			have = fmt.Sprintf("%d MB", *r.reserved)
		}
		plan = append(plan, action{verb: "update", object: "reserved concurrency of function " + d.s.Name,
			detail: []string{fmt.Sprintf("%s -> %d MB (%d instances of %d MB)", have, *m, *m/d.s.MemorySize, d.s.MemorySize)},
			steps:  []step{fixed("PutReservedConcurrencyConfig", d.fnParams("ReservedConcurrencyMem", *m), false)}})
	}
	versionPlan, err := d.planVersion(ctx, code, r, latestChanges)
	if err != nil {
		return nil, err
	}
	plan = append(plan, versionPlan...)

	used := map[*remoteTrigger]bool{}
	for _, t := range d.s.Timers {
		a, err := d.planTimer(t, r.triggers, used)
		if err != nil {
			return nil, err
		}
		plan = append(plan, a)
	}
	if d.s.URL != nil {
		a, err := d.planURL(*d.s.URL, r.triggers, used)
		if err != nil {
			return nil, err
		}
		plan = append(plan, a)
	}
	for i, t := range r.triggers {
		if !used[&r.triggers[i]] {
			plan = append(plan, action{verb: "keep", object: fmt.Sprintf("%s trigger %s (bound to %s)", t.Type, t.TriggerName, t.Qualifier),
				detail: []string{"not in serverless.yml: left as it is"}})
		}
	}
	return plan, nil
}

// planFunction plans $LATEST: create it, or update its code and its
// configuration where they differ. latestChanges says whether it changes.
func (d *deployer) planFunction(code Code, f *remoteFunction) (plan []action, latestChanges bool, err error) {
	s := d.s
	desc := describe(s.Description, code.SHA256)
	zipFile := base64.StdEncoding.EncodeToString(code.Zip)
	config := d.fnParams("Description", desc, "MemorySize", s.MemorySize, "Timeout", s.Timeout, "Environment", envParam(s.Environment))
	if s.Role != "" {
		config["Role"] = s.Role
	}
	if s.VpcID != "" {
		config["VpcConfig"] = map[string]string{"VpcId": s.VpcID, "SubnetId": s.SubnetID}
	}
	if f == nil {
		create := maps.Clone(config)
		maps.Copy(create, map[string]any{"Runtime": s.Runtime, "Handler": s.Handler, "Type": "Event", "Code": map[string]any{"ZipFile": zipFile},
			"Tags": []map[string]string{{"Key": madeTagKey, "Value": madeTagValue}}})
		return []action{{verb: "create", object: "function " + s.Name, steps: []step{fixed("CreateFunction", create, true)},
			detail: append([]string{fmt.Sprintf("runtime %s, handler %s, role %s, memorySize %d MB, timeout %d s, code sha256 %s",
				s.Runtime, s.Handler, orNone(s.Role), s.MemorySize, s.Timeout, short(code.SHA256))}, envLines(nil, s.Environment)...)}}, true, nil
	}
	if f.Runtime != s.Runtime {
		return nil, false, fmt.Errorf("serverless.yml: inputs.runtime is %s, but function %s runs %s: SCF cannot change a function's runtime (make destroy, then make deploy)", s.Runtime, s.Name, f.Runtime)
	}
	codeDiff := diffs(field{"code sha256", orNone(short(recordedCode(f.Description))), short(code.SHA256)},
		field{"handler", strconv.Quote(f.Handler), strconv.Quote(s.Handler)})
	if len(codeDiff) > 0 {
		update := d.fnParams("Handler", s.Handler, "ZipFile", zipFile)
		plan = append(plan, action{verb: "update", object: "code of function " + s.Name, detail: codeDiff, steps: []step{fixed("UpdateFunctionCode", update, true)}})
	}
	fs := d.configFields(f)[1:] // the handler goes with the code
	diff := diffs(append(fs, field{"description", strconv.Quote(stripTag(f.Description)), strconv.Quote(stripTag(desc))})...)
	if f.Description != desc && stripTag(f.Description) == stripTag(desc) {
		diff = append(diff, "description records the new code sha256")
	}
	if diff = append(diff, envLines(f.env(), s.Environment)...); len(diff) > 0 {
		plan = append(plan, action{verb: "update", object: "configuration of function " + s.Name, detail: diff, steps: []step{fixed("UpdateFunctionConfiguration", config, true)}})
	}
	if len(plan) == 0 {
		plan = append(plan, action{verb: "keep", object: "function " + s.Name + " ($LATEST)",
			detail: []string{fmt.Sprintf("status %s, code sha256 %s", f.Status, short(code.SHA256))}})
	}
	return plan, len(plan) > 1 || plan[0].verb != "keep", nil
}

// versionsLooked is how many of the newest versions a deploy reads to find
// one that already holds what serverless.yml describes (after a rollback,
// the version rolled back from).
const versionsLooked = 5

// planVersion plans the version the alias points at: the alias's own if it
// holds what serverless.yml describes, else a recent one that does, else a
// version published after $LATEST's changes; then the alias.
func (d *deployer) planVersion(ctx context.Context, code Code, r *remote, latestChanges bool) ([]action, error) {
	s := d.s
	var plan []action
	d.target = ""
	if r.alias != nil && r.alias.FunctionVersion != "$LATEST" {
		v, err := d.getFunction(ctx, r.alias.FunctionVersion)
		if err != nil {
			return nil, err
		}
		if d.sameAsSpec(v, code) {
			d.target = r.alias.FunctionVersion
		}
	}
	for i := len(r.versions) - 1; d.target == "" && i >= max(0, len(r.versions)-versionsLooked); i-- {
		v, err := d.getFunction(ctx, r.versions[i].Version)
		if err != nil {
			return nil, err
		}
		if d.sameAsSpec(v, code) {
			d.target = r.versions[i].Version
		}
	}
	next := "the new version"
	if d.target == "" {
		var answer struct{ FunctionVersion string }
		desc := versionPrefix + ". " + codeTagPrefix + code.SHA256
		why := "serverless.yml's code and settings are in no version yet"
		if latestChanges {
			why = "after the changes above"
		}
		plan = append(plan, action{verb: "publish", object: "a version of function " + s.Name, detail: []string{why + ": a copy of $LATEST that later deploys leave alone"},
			steps: []step{{call: "PublishVersion", params: func() map[string]any { return d.fnParams("Description", desc) }, out: &answer,
				then: func() { d.target = answer.FunctionVersion }, wait: true}}})
	} else {
		next = "version " + d.target
	}
	aliasParams := func() map[string]any { return d.fnParams("Name", s.Alias, "FunctionVersion", d.target) }
	object := "alias " + s.Alias
	switch {
	case r.alias == nil:
		plan = append(plan, action{verb: "create", object: object, detail: []string{"-> " + next + "; every trigger is bound to it"},
			steps: []step{{call: "CreateAlias", params: aliasParams}}})
	case r.alias.FunctionVersion != d.target:
		plan = append(plan, action{verb: "point", object: object, detail: []string{fmt.Sprintf("version %s -> %s (make rollback points it back)", r.alias.FunctionVersion, next)},
			steps: []step{{call: "UpdateAlias", params: aliasParams}}})
	default:
		plan = append(plan, action{verb: "keep", object: object, detail: []string{"-> version " + d.target}})
	}
	return plan, nil
}

// triggerAction plans a trigger from its fields: create it (remote is
// nil), keep it, update it, or replace it (delete, then create) where
// UpdateTrigger cannot make the change.
func (d *deployer) triggerAction(object string, remote *remoteTrigger, fs []field, create, update map[string]any, replace []string) action {
	var want []string
	for _, f := range fs {
		want = append(want, f.name+" "+f.want)
	}
	keep := []string{strings.Join(want, ", ")}
	createStep := fixed("CreateTrigger", create, false)
	diff := diffs(fs...)
	switch {
	case remote == nil:
		return action{verb: "create", object: object, detail: keep, steps: []step{createStep}}
	case len(replace) > 0 || len(diff) > 0 && !scfrules.UpdatableTriggers[remote.Type]:
		del := fixed("DeleteTrigger", d.fnParams("TriggerName", remote.TriggerName, "Type", remote.Type, "Qualifier", remote.Qualifier), false)
		return action{verb: "replace", object: object, detail: append(append(replace, diff...), keep...), steps: []step{del, createStep}}
	case len(diff) == 0:
		return action{verb: "keep", object: object, detail: keep}
	}
	return action{verb: "update", object: object, detail: diff, steps: []step{fixed("UpdateTrigger", update, false)}}
}

func (d *deployer) planTimer(t Timer, triggers []remoteTrigger, used map[*remoteTrigger]bool) (action, error) {
	var remote *remoteTrigger
	for i := range triggers {
		if triggers[i].TriggerName == t.Name {
			remote = &triggers[i]
		}
	}
	have := remoteTrigger{}
	var replace []string
	if remote != nil {
		used[remote] = true
		if remote.Type != "timer" {
			return action{}, fmt.Errorf("serverless.yml's timer %s: the function has a %s trigger of that name; rename the timer", t.Name, remote.Type)
		}
		if remote.Qualifier != t.Qualifier {
			// UpdateTrigger does not move a trigger to another qualifier.
			replace = []string{fmt.Sprintf("bound to %s -> %s: deleted and created anew", remote.Qualifier, t.Qualifier)}
		}
		have = *remote
	}
	cron, err := scfrules.Cron(have.TriggerDesc)
	if err != nil {
		cron = have.TriggerDesc
	}
	params := d.fnParams("TriggerName", t.Name, "Type", "timer", "TriggerDesc", t.Cron, "Qualifier", t.Qualifier,
		"Enable", onOff(t.Enable, "OPEN", "CLOSE"), "CustomArgument", t.Argument, "Description", triggerMark)
	return d.triggerAction("timer trigger "+t.Name, remote, []field{
		{"cron", strconv.Quote(cron), strconv.Quote(t.Cron)},
		{"state", onOff(have.enabled(), "enabled", "disabled"), onOff(t.Enable, "enabled", "disabled")},
		{"argument", maskArgument(have.CustomArgument), maskArgument(t.Argument)},
	}, params, params, replace), nil
}

func (d *deployer) planURL(u FunctionURL, triggers []remoteTrigger, used map[*remoteTrigger]bool) (action, error) {
	// SCF names a function URL as it likes and keeps one per qualifier:
	// it is found by type and qualifier, not by name.
	var remote *remoteTrigger
	for i := range triggers {
		if triggers[i].Type == "http" && triggers[i].Qualifier == u.Qualifier {
			remote = &triggers[i]
		}
	}
	object := "function URL of alias " + u.Qualifier
	var have scfrules.URLDesc
	var replace []string
	if remote != nil {
		used[remote] = true
		if err := json.Unmarshal([]byte(remote.TriggerDesc), &have); err != nil {
			return action{}, fmt.Errorf("function URL %s: unreadable TriggerDesc from ListTriggers: %v", remote.TriggerName, err)
		}
		object += " (" + remote.TriggerName + ")"
		replace = nil
	}
	desc, _ := json.Marshal(map[string]any{
		"AuthType":  u.AuthType,
		"NetConfig": map[string]bool{"EnableIntranet": u.EnableIntranet, "EnableExtranet": u.EnableExtranet},
	})
	create := d.fnParams("TriggerName", u.Name, "Type", "http", "TriggerDesc", string(desc), "Qualifier", u.Qualifier, "Enable", "OPEN", "Description", triggerMark)
	fs := []field{
		{"auth", have.AuthType, u.AuthType},
		{"extranet", onOff(have.NetConfig.EnableExtranet, "on", "off"), onOff(u.EnableExtranet, "on", "off")},
		{"intranet", onOff(have.NetConfig.EnableIntranet, "on", "off"), onOff(u.EnableIntranet, "on", "off")},
	}
	if remote != nil && len(diffs(fs...)) > 0 {
		// UpdateTrigger changes timer and CKafka triggers only.
		replace = []string{"UpdateTrigger cannot change a function URL: it is deleted and created anew, and its URL changes (tell its callers: Cloud Monitor callbacks, webhooks)"}
	}
	return d.triggerAction(object, remote, fs, create, nil, replace), nil
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
	return slices.ContainsFunc([]string{"SECRET", "PASSWORD", "AUTH", "TOKEN", "KEY"}, func(w string) bool { return strings.Contains(up, w) })
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
