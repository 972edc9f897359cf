package cloudemu

// SCF (version 2018-04-16): the actions `make deploy` calls (functions and
// their triggers) and Invoke, shaped after Tencent's own examples and field
// types (testdata/api-examples/scf) and the 2026 platform notes: CreateTrigger
// takes only cos, cls, timer, ckafka and http (the function URL); a
// function is Creating or Updating for a while after each change and
// refuses the next change until it is Active. Where the documents set a
// rule the deploy must follow, the emulator refuses what breaks it, with
// the code the API documents: UpdateFunctionConfiguration's Description
// takes no line break (CreateFunction's does), a function's Runtime cannot
// change after creation, UpdateTrigger changes timer and CKafka triggers
// only, the environment holds at most 4 KB and no empty value, and
// GetFunction answers a function that does not exist with
// InvalidParameterValue.FunctionName.

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"redis-restore/internal/chinatime"
	"redis-restore/internal/scfrules"
	"redis-restore/internal/uuid"
)

func init() {
	// Registered here rather than in server.go's table, so the SCF part
	// stays in its own files (scf.go, scf_versions.go).
	services["scf"] = service{version: "2018-04-16", actions: map[string]handler{
		"CreateFunction":              (*Emulator).createFunction,
		"GetFunction":                 (*Emulator).getFunction,
		"UpdateFunctionCode":          (*Emulator).updateFunctionCode,
		"UpdateFunctionConfiguration": (*Emulator).updateFunctionConfiguration,
		"CreateTrigger":               (*Emulator).createTrigger,
		"UpdateTrigger":               (*Emulator).updateTrigger,
		"ListTriggers":                (*Emulator).listTriggers,
		"DeleteTrigger":               (*Emulator).deleteTrigger,
		"DeleteFunction":              (*Emulator).deleteFunction,
		"Invoke":                      (*Emulator).invoke,
		// Versions, aliases and reserved concurrency: scf_versions.go.
		"PublishVersion":               (*Emulator).publishVersion,
		"ListVersionByFunction":        (*Emulator).listVersionByFunction,
		"CreateAlias":                  (*Emulator).createAlias,
		"UpdateAlias":                  (*Emulator).updateAlias,
		"GetAlias":                     (*Emulator).getAlias,
		"ListAliases":                  (*Emulator).listAliases,
		"DeleteAlias":                  (*Emulator).deleteAlias,
		"PutReservedConcurrencyConfig": (*Emulator).putReservedConcurrency,
		"GetReservedConcurrencyConfig": (*Emulator).getReservedConcurrency,
	}}
}

const (
	defaultNamespace       = "default"
	defaultFunctionSettle  = 2 * time.Second
	defaultAsyncRetryDelay = time.Minute // SCF retries a failed async event a minute later
	asyncRetries           = 2           // SCF's default: two more tries after an execution error
	maxAsyncEvent          = 128 << 10
	maxSyncEvent           = 6 << 20
	maxSyncInvoke          = 300 * time.Second // the sync Invoke API's own timeout
	emulatedAppID          = "1250000000"
	emulatedUIN            = "100000000001"
)

// Function is a function as SCF keeps it.
type Function struct {
	Name, Namespace string
	Runtime         string
	Handler         string
	Role            string
	Description     string
	MemorySize      int64 // MB
	Timeout         int64 // seconds
	Environment     map[string]string
	VpcID, SubnetID string            // VpcConfig; empty: no VPC
	Tags            map[string]string // given to CreateFunction
	Status          string            // Creating, Updating or Active, as of the emulator's clock
	Zip             []byte            // the code as uploaded
}

// Trigger is a trigger of a function.
type Trigger struct {
	Name, Type, Qualifier string
	// Desc is TriggerDesc as ListTriggers answers it: {"cron":"..."} for a
	// timer, the AuthType and NetConfig (with its URLs) for a function URL.
	Desc           string
	CustomArgument string
	Description    string
	Enabled        bool
}

// Invocation is one Invoke the emulator accepted.
type Invocation struct {
	RequestID    string // FunctionRequestId
	Function     string
	Namespace    string
	Qualifier    string
	Type         string // Event or RequestResponse
	Event        []byte // ClientContext
	Attempts     int
	Err          string // the last attempt's error; empty once one succeeded
	Done         bool
	Time         time.Time
	attemptTimes []time.Time
}

// InvokeFunc runs a function with an event and returns what it returned.
type InvokeFunc func(ctx context.Context, function string, event []byte) ([]byte, error)

type scfFunction struct {
	Function
	id        string
	env       []envVar // in the order given: GetFunction answers it so
	readyAt   time.Time
	addTime   time.Time
	modTime   time.Time
	triggers  []*scfTrigger
	versions  []*scfVersion        // published, oldest first
	published int                  // versions published so far: the next is published+1
	aliases   map[string]*scfAlias // by name; $DEFAULT (to $LATEST) always
	reserved  *int64               // ReservedConcurrencyMem, MB; nil: none
}

type envVar struct{ Key, Value string }

type scfTrigger struct {
	Trigger
	urlID   string
	addTime time.Time
	modTime time.Time
}

// scfState is the SCF part of the Emulator, made by New.
type scfState struct {
	functions   map[string]*scfFunction // by namespace + "/" + name
	settle      time.Duration           // Creating or Updating this long after a change
	retryDelay  time.Duration           // between two tries of a failed asynchronous invocation
	invoke      InvokeFunc
	invocations []*Invocation
	pending     sync.WaitGroup
}

func fnKey(namespace, name string) string { return namespace + "/" + name }

// SetFunctionSettleTime sets how long, on the emulator's clock, a function
// stays Creating or Updating after a change (default 2 s).
func (e *Emulator) SetFunctionSettleTime(d time.Duration) {
	defer e.lock()()
	e.scf.settle = d
}

// SetInvoker makes Invoke run functions by calling f; an error is the
// function's execution error, which an asynchronous invocation retries.
func (e *Emulator) SetInvoker(f func(ctx context.Context, function string, event []byte) error) {
	defer e.lock()()
	e.scf.invoke = func(ctx context.Context, function string, event []byte) ([]byte, error) {
		return nil, f(ctx, function, event)
	}
}

// SetAsyncRetryDelay sets the real time between two tries of a failed
// asynchronous invocation (SCF: a minute).
func (e *Emulator) SetAsyncRetryDelay(d time.Duration) {
	defer e.lock()()
	e.scf.retryDelay = d
}

// WaitInvocations waits until every asynchronous invocation accepted so far
// has been delivered or has used up its tries.
func (e *Emulator) WaitInvocations() { e.scf.pending.Wait() }

// Invocations returns every Invoke accepted, oldest first.
func (e *Emulator) Invocations() []Invocation {
	defer e.lock()()
	out := make([]Invocation, len(e.scf.invocations))
	for i, inv := range e.scf.invocations {
		out[i] = *inv
		out[i].Event = append([]byte(nil), inv.Event...)
		out[i].attemptTimes = append([]time.Time(nil), inv.attemptTimes...)
	}
	return out
}

// AddFunction creates an Active function directly, e.g. one whose
// self-invocation a test wants to see. The namespace defaults to "default".
func (e *Emulator) AddFunction(f Function) {
	defer e.lock()()
	f.Namespace = cmp.Or(f.Namespace, defaultNamespace)
	now := e.now()
	fn := &scfFunction{Function: f, id: "lam-" + randomHex(4), addTime: now, modTime: now, aliases: defaultAliases(now)}
	for _, k := range slices.Sorted(maps.Keys(f.Environment)) {
		fn.env = append(fn.env, envVar{k, f.Environment[k]})
	}
	fn.Function.Environment = nil
	e.scf.functions[fnKey(f.Namespace, f.Name)] = fn
}

// FunctionInfo returns a function as the emulator keeps it.
func (e *Emulator) FunctionInfo(namespace, name string) (Function, bool) {
	defer e.lock()()
	fn, ok := e.scf.functions[fnKey(cmp.Or(namespace, defaultNamespace), name)]
	if !ok {
		return Function{}, false
	}
	out := fn.Function
	out.Status = e.fnStatus(fn, e.now())
	out.Zip = append([]byte(nil), fn.Zip...)
	out.Environment = map[string]string{}
	for _, v := range fn.env {
		out.Environment[v.Key] = v.Value
	}
	return out, true
}

// FunctionTriggers returns a function's triggers, oldest first.
func (e *Emulator) FunctionTriggers(namespace, name string) []Trigger {
	defer e.lock()()
	fn, ok := e.scf.functions[fnKey(cmp.Or(namespace, defaultNamespace), name)]
	if !ok {
		return nil
	}
	var out []Trigger
	for _, t := range fn.triggers {
		out = append(out, t.Trigger)
	}
	return out
}

func (e *Emulator) fnStatus(fn *scfFunction, now time.Time) string {
	if now.Before(fn.readyAt) {
		return fn.Status
	}
	return "Active"
}

// busy marks a function as changing: Creating or Updating until it settles.
func (e *Emulator) busy(fn *scfFunction, status string, now time.Time) {
	fn.Status = status
	fn.readyAt = now.Add(e.scf.settle)
	fn.modTime = now
}

func scfTime(t time.Time) string { return chinatime.Format(t) }

var runtimes = map[string]bool{
	"Go1": true, "Python2.7": true, "Python3.6": true, "Python3.7": true, "Python3.9": true,
	"Python3.10": true, "Python3.11": true, "Nodejs10.15": true, "Nodejs12.16": true,
	"Nodejs14.18": true, "Nodejs16.13": true, "Nodejs18.15": true, "Nodejs20.18": true,
	"PHP5.6": true, "PHP7.2": true, "PHP7.4": true, "PHP8.0": true, "Java8": true,
	"Java11": true, "CustomRuntime": true,
}

// rule fails the call with code where an SCF rule (scfrules) is broken.
func rule(p *params, code string, err error) {
	if err != nil {
		p.fail(errf(code, "the parameter %s: %v", strings.TrimPrefix(code, "InvalidParameterValue."), err))
	}
}

// lookupFunction reads FunctionName and Namespace and finds the function,
// or fails the call.
func (e *Emulator) lookupFunction(c *call) *scfFunction {
	name, ns := c.p.requiredStr("FunctionName"), namespaceParam(c.p)
	fn, ok := e.scf.functions[fnKey(ns, name)]
	c.p.check(ok, "ResourceNotFound.Function", "the function %s does not exist in namespace %s", name, ns)
	return fn
}

func namespaceParam(p *params) string {
	ns, _ := p.str("Namespace")
	return cmp.Or(ns, defaultNamespace)
}

// mustBeActive refuses a change while the previous one is still settling,
// as SCF does: the deploy has to wait for Active between its steps.
func (e *Emulator) mustBeActive(fn *scfFunction, c *call) {
	st := e.fnStatus(fn, c.now)
	c.p.check(st == "Active", "FailedOperation."+c.action, "the function %s is %s: retry when its Status is Active", fn.Name, st)
}

func (e *Emulator) createFunction(c *call) (any, *apiError) {
	p := c.p
	name := p.requiredStr("FunctionName")
	rule(p, "InvalidParameterValue.FunctionName", scfrules.FunctionName(name))
	ns := namespaceParam(p)
	_, exists := e.scf.functions[fnKey(ns, name)]
	p.check(!exists, "ResourceInUse.Function", "the function %s already exists in namespace %s", name, ns)
	codeObj := objParam(p, "Code")
	p.missing(codeObj != nil, "Code")
	fn := &scfFunction{Function: Function{Name: name, Namespace: ns, Runtime: "Python3.6", MemorySize: 128, Timeout: 3}, aliases: defaultAliases(c.now)}
	applyConfig(&fn.Function, &fn.env, p, true)
	fn.Handler = cmp.Or(fn.Handler, "index.main_handler")
	fn.Tags = tagsParam(p)
	zipData := zipParam(p, codeObj, "Code.")
	p.check(zipData != nil, "InvalidParameterValue.Code", "Code must carry ZipFile (base64 of the zip); COS and image sources are not emulated")
	p.fail(checkZip(zipData, fn.Runtime, fn.Handler))
	if p.err != nil {
		return nil, p.err
	}
	fn.Zip = zipData
	fn.id = "lam-" + randomHex(4)
	fn.addTime = c.now
	e.busy(fn, "Creating", c.now)
	e.scf.functions[fnKey(ns, name)] = fn
	return map[string]any{}, nil
}

func (e *Emulator) updateFunctionCode(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	p := c.p
	e.mustBeActive(fn, c)
	handler, _ := p.str("Handler")
	handler = cmp.Or(handler, fn.Handler)
	zipData := zipParam(p, p, "")
	if zipData == nil {
		zipData = zipParam(p, objParam(p, "Code"), "Code.")
	}
	p.check(zipData != nil, "InvalidParameterValue.Code", "send the code as ZipFile (base64 of the zip); COS and image sources are not emulated")
	p.fail(checkZip(zipData, fn.Runtime, handler))
	if p.err != nil {
		return nil, p.err
	}
	fn.Handler = handler
	fn.Zip = zipData
	e.busy(fn, "Updating", c.now)
	return map[string]any{}, nil
}

func (e *Emulator) updateFunctionConfiguration(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	e.mustBeActive(fn, c)
	// The runtime is chosen when the function is created.
	if r, ok := c.p.str("Runtime"); ok {
		c.p.check(r == fn.Runtime, "InvalidParameterValue.Runtime", "the function %s runs %s: a runtime cannot be changed after the function is created (delete and create it)", fn.Name, fn.Runtime)
	}
	// Validate on a copy: a refused request changes nothing.
	next, env := fn.Function, append([]envVar(nil), fn.env...)
	applyConfig(&next, &env, c.p, false)
	if c.p.err != nil {
		return nil, c.p.err
	}
	fn.Function, fn.env = next, env
	e.busy(fn, "Updating", c.now)
	return map[string]any{}, nil
}

// applyConfig reads the configuration fields that CreateFunction and
// UpdateFunctionConfiguration share; absent ones keep their value.
func applyConfig(f *Function, env *[]envVar, p *params, create bool) {
	if s, ok := p.str("Runtime"); ok {
		p.check(runtimes[s], "InvalidParameterValue.Runtime", "the Runtime %q is not one SCF offers", s)
		f.Runtime = s
	}
	if create {
		if s, ok := p.str("Handler"); ok {
			f.Handler = s
		}
	}
	if s, ok := p.str("Role"); ok {
		f.Role = s
	}
	if s, ok := p.str("Description"); ok {
		// CreateFunction's page allows line breaks in a description;
		// UpdateFunctionConfiguration's does not.
		rule(p, "InvalidParameterValue.Description", scfrules.Description(s, create))
		f.Description = s
	}
	if n, ok := p.int("MemorySize"); ok {
		rule(p, "InvalidParameterValue.MemorySize", scfrules.MemorySize(n))
		f.MemorySize = n
	}
	if n, ok := p.int("Timeout"); ok {
		rule(p, "InvalidParameterValue.Timeout", scfrules.Timeout(n))
		f.Timeout = n
	}
	if obj := objParam(p, "Environment"); obj != nil {
		*env = envParam(p, obj)
	}
	if obj := objParam(p, "VpcConfig"); obj != nil {
		f.VpcID, _ = obj.str("VpcId")
		f.SubnetID, _ = obj.str("SubnetId")
		p.check((f.VpcID == "") == (f.SubnetID == ""), "InvalidParameterValue.VpcConfig", "VpcConfig needs both VpcId and SubnetId, or neither")
	}
}

func envParam(p, obj *params) []envVar {
	raw, ok := obj.m["Variables"]
	if !ok || raw == nil {
		return nil
	}
	list, ok := raw.([]any)
	p.check(ok, "InvalidParameter", "the parameter Environment.Variables must be an array of {Key, Value}")
	seen := map[string]bool{}
	var out []envVar
	for i, item := range list {
		m, ok := item.(map[string]any)
		p.check(ok, "InvalidParameter", "the parameter Environment.Variables.%d must be an object {Key, Value}", i)
		key, isStr := m["Key"].(string)
		p.check(isStr || m["Key"] == nil, "InvalidParameter", "the parameter Environment.Variables.%d.Key must be a string", i)
		value, isStr := m["Value"].(string)
		p.check(isStr || m["Value"] == nil, "InvalidParameter", "the parameter Environment.Variables.%d.Value must be a string", i)
		rule(p, "InvalidParameterValue.Environment", scfrules.EnvKey(key))
		p.check(!seen[key], "InvalidParameterValue.Environment", "the variable %s is set twice", key)
		seen[key] = true
		out = append(out, envVar{key, value})
	}
	all := map[string]string{}
	for _, v := range out {
		all[v.Key] = v.Value
	}
	rule(p, "InvalidParameterValue.Environment", scfrules.Environment(all))
	return out
}

// tagsParam reads CreateFunction's Tags, a list of {Key, Value}.
func tagsParam(p *params) map[string]string {
	list, ok := p.m["Tags"].([]any)
	if !ok {
		p.check(p.m["Tags"] == nil, "InvalidParameter", "the parameter Tags must be a list of {Key, Value}")
		return nil
	}
	out := map[string]string{}
	for i, item := range list {
		m, _ := item.(map[string]any)
		k, _ := m["Key"].(string)
		v, _ := m["Value"].(string)
		p.check(k != "", "InvalidParameterValue.Tags", "the parameter Tags.%d needs a Key", i)
		out[k] = v
	}
	return out
}

func tagList(tags map[string]string) []map[string]string {
	out := []map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, map[string]string{"Key": k, "Value": tags[k]})
	}
	return out
}

// objParam reads a JSON object parameter; nil when absent or not an object.
func objParam(p *params, name string) *params {
	v, ok := p.m[name]
	if !ok || v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	p.check(ok, "InvalidParameter", "the parameter %s must be an object", name)
	if !ok {
		return nil
	}
	return &params{m: m}
}

// zipParam reads ZipFile (base64) from obj, failing p; nil when absent.
func zipParam(p, obj *params, prefix string) []byte {
	if obj == nil {
		return nil
	}
	for _, other := range []string{"CosBucketName", "CosObjectName", "ImageConfig"} {
		p.check(!obj.has(other), "InvalidParameterValue.Code", "the parameter %s%s: COS and image sources are not emulated, send ZipFile", prefix, other)
	}
	v, ok := obj.m["ZipFile"]
	if !ok || v == nil {
		return nil
	}
	s, ok := v.(string)
	p.check(ok, "InvalidParameter", "the parameter %sZipFile must be a string", prefix)
	b, err := base64.StdEncoding.DecodeString(s)
	p.check(err == nil && len(b) > 0, "InvalidParameterValue.ZipFile", "the parameter %sZipFile is not base64 of a zip", prefix)
	if p.err != nil {
		return nil
	}
	return b
}

// checkZip refuses a package that cannot start: not a zip, or, for Go1,
// without an executable named as the handler at its root.
func checkZip(data []byte, runtime, handler string) *apiError {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return errf("InvalidParameterValue.ZipFile", "the code is not a zip: %v", err)
	}
	var zerr *scfrules.ZipError
	if errors.As(scfrules.Handler(zr, runtime, handler), &zerr) {
		return errf(map[bool]string{true: "InvalidParameterValue.Handler", false: "InvalidParameterValue.ZipFile"}[zerr.NoHandler], "%v", zerr)
	}
	return nil
}

func (e *Emulator) getFunction(c *call) (any, *apiError) {
	// GetFunction's documented answer to a function that does not exist is
	// InvalidParameterValue.FunctionName ("function does not exist"), not
	// the ResourceNotFound.Function of the actions that change one.
	name, ns := c.p.requiredStr("FunctionName"), namespaceParam(c.p)
	fn, ok := e.scf.functions[fnKey(ns, name)]
	c.p.check(ok, "InvalidParameterValue.FunctionName", "the function %s does not exist in namespace %s", name, ns)
	qualifier, _ := c.p.str("Qualifier")
	if c.p.err != nil {
		return nil, c.p.err
	}
	qualifier = cmp.Or(qualifier, "$LATEST")
	view, env := fn.Function, fn.env
	if qualifier != "$LATEST" {
		v := fn.version(qualifier)
		if v == nil {
			return nil, errf("ResourceNotFound.Version", "the function %s has no version %s", fn.Name, qualifier)
		}
		view, env = v.Function, v.env
	}
	vars := make([]map[string]string, 0, len(env))
	for _, v := range env {
		vars = append(vars, map[string]string{"Key": v.Key, "Value": v.Value})
	}
	triggers := make([]map[string]any, 0, len(fn.triggers))
	for _, t := range fn.triggers {
		triggers = append(triggers, triggerInfo(t))
	}
	status := e.fnStatus(fn, c.now)
	return map[string]any{
		"Qualifier":         qualifier,
		"Description":       view.Description,
		"Timeout":           view.Timeout,
		"InitTimeout":       90,
		"MemorySize":        view.MemorySize,
		"Runtime":           view.Runtime,
		"VpcConfig":         map[string]string{"VpcId": view.VpcID, "SubnetId": view.SubnetID},
		"Environment":       map[string]any{"Variables": vars},
		"Handler":           view.Handler,
		"UseGpu":            "FALSE",
		"Role":              view.Role,
		"CodeSize":          len(view.Zip),
		"FunctionVersion":   qualifier,
		"FunctionName":      fn.Name,
		"FunctionId":        fn.id,
		"Namespace":         fn.Namespace,
		"InstallDependency": "FALSE",
		"Status":            status,
		"AvailableStatus":   map[bool]string{true: "Available", false: "Unavailable"}[status == "Active"],
		"StatusDesc":        "",
		"L5Enable":          "FALSE",
		"DnsCache":          "FALSE",
		"EipConfig":         map[string]any{"EipFixed": "FALSE", "Eips": []string{}},
		"ModTime":           scfTime(fn.modTime),
		"AddTime":           scfTime(fn.addTime),
		"Layers":            []any{},
		"DeadLetterConfig":  map[string]string{"Type": "", "Name": "", "FilterType": ""},
		"OnsEnable":         "FALSE",
		"PublicNetConfig":   map[string]any{"PublicNetStatus": "ENABLE", "EipConfig": map[string]any{"EipStatus": "DISABLE", "EipAddress": []string{}}},
		"ProtocolType":      "",
		"Triggers":          triggers,
		"ClsLogsetId":       "",
		"ClsTopicId":        "",
		"CodeInfo":          "",
		"CodeResult":        "success",
		"CodeError":         "",
		"ErrNo":             0,
		"Tags":              tagList(fn.Tags),
		"AccessInfo":        map[string]string{"Host": "", "Vip": ""},
		"Type":              "Event",
		"CfsConfig":         map[string]any{"CfsInsList": []any{}},
		"StatusReasons":     []any{},
		"AsyncRunEnable":    "FALSE",
		"TraceEnable":       "FALSE",
		"IntranetConfig":    map[string]string{"IpFixed": "DISABLE"},
	}, nil
}

// triggerInfo is a trigger as CreateTrigger, ListTriggers and GetFunction
// answer it: Enable is a number here, though requests send "OPEN"/"CLOSE".
func triggerInfo(t *scfTrigger) map[string]any {
	enable := 0
	if t.Enabled {
		enable = 1
	}
	return map[string]any{
		"AddTime":          scfTime(t.addTime),
		"AvailableStatus":  "Available",
		"BindStatus":       "on",
		"CustomArgument":   t.CustomArgument,
		"Description":      t.Description,
		"Enable":           enable,
		"ModTime":          scfTime(t.modTime),
		"Qualifier":        t.Qualifier,
		"ResourceId":       "",
		"TriggerAttribute": "single",
		"TriggerDesc":      t.Desc,
		"TriggerName":      t.Name,
		"Type":             t.Type,
	}
}

// creatableTriggers are the types CreateTrigger still takes (2026).
var creatableTriggers = map[string]bool{"cos": true, "cls": true, "timer": true, "ckafka": true, "http": true}

// timerDesc reads a timer's TriggerDesc and answers it as ListTriggers does.
func timerDesc(raw string) (string, *apiError) {
	cron, err := scfrules.Cron(raw)
	if err != nil {
		return "", errf("InvalidParameterValue.TriggerDesc", "the timer's TriggerDesc: %v", err)
	}
	b, _ := json.Marshal(map[string]string{"cron": cron})
	return string(b), nil
}

// functionURLDesc reads a function URL's TriggerDesc and fills its URLs.
func functionURLDesc(raw, urlID, region string) (string, *apiError) {
	var in struct {
		AuthType  *string
		NetConfig *struct{ EnableIntranet, EnableExtranet *bool }
	}
	bad := func(format string, args ...any) (string, *apiError) {
		return "", errf("InvalidParameterValue.TriggerDesc", "the function URL's TriggerDesc"+format, args...)
	}
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return bad(" is not the JSON object SCF expects: %v", err)
	}
	if in.AuthType == nil || (*in.AuthType != "NONE" && *in.AuthType != "CAM") {
		return bad(".AuthType must be NONE or CAM")
	}
	if in.NetConfig == nil || in.NetConfig.EnableIntranet == nil || in.NetConfig.EnableExtranet == nil {
		return bad(".NetConfig needs EnableIntranet and EnableExtranet (booleans)")
	}
	out := scfrules.URLDesc{AuthType: *in.AuthType}
	nc := &out.NetConfig
	nc.EnableIntranet, nc.EnableExtranet = *in.NetConfig.EnableIntranet, *in.NetConfig.EnableExtranet
	if !nc.EnableIntranet && !nc.EnableExtranet {
		return bad(": the function URL needs EnableIntranet or EnableExtranet")
	}
	host := emulatedAppID + "-" + urlID
	if nc.EnableIntranet {
		nc.IntranetURL, nc.IntranetHTTPURL = "https://"+host+".in."+region+".tencentscf.com", "http://"+host+".in."+region+".tencentscf.com"
	}
	if nc.EnableExtranet {
		nc.ExtranetURL, nc.ExtranetHTTPURL = "https://"+host+"."+region+".tencentscf.com", "http://"+host+"."+region+".tencentscf.com"
	}
	b, _ := json.Marshal(out)
	return string(b), nil
}

// setDesc reads a trigger's TriggerDesc as its type has it.
func (t *scfTrigger) setDesc(p *params, desc, region string) {
	switch t.Type {
	case "timer":
		t.Desc = p.take(timerDesc(desc))
	case "http":
		t.Desc = p.take(functionURLDesc(desc, t.urlID, region))
	default:
		t.Desc = desc
	}
}

// enableParam reads Enable: "OPEN" or "CLOSE" (the examples' strings).
func enableParam(p *params, def bool) bool {
	s, _ := p.str("Enable")
	p.check(s == "" || s == "OPEN" || s == "CLOSE", "InvalidParameterValue.Enable", "the parameter Enable must be OPEN or CLOSE, got %q", s)
	if s == "" {
		return def
	}
	return s == "OPEN"
}

func (e *Emulator) createTrigger(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	p := c.p
	name, typ := p.requiredStr("TriggerName"), p.requiredStr("Type")
	p.check(creatableTriggers[typ], "InvalidParameterValue.Type", "CreateTrigger takes the types cos, cls, timer, ckafka and http, not %q (API gateway and CMQ triggers can no longer be created)", typ)
	e.mustBeActive(fn, c)
	t := &scfTrigger{Trigger: Trigger{Name: name, Type: typ}, addTime: c.now, modTime: c.now}
	t.Qualifier, _ = p.str("Qualifier")
	t.Qualifier = cmp.Or(t.Qualifier, "$DEFAULT")
	p.check(fn.qualifierExists(t.Qualifier), "InvalidParameterValue.Qualifier", "the function %s has no version or alias %s", fn.Name, t.Qualifier)
	t.Enabled = enableParam(p, true)
	t.CustomArgument, _ = p.str("CustomArgument")
	t.Description, _ = p.str("Description")
	switch typ {
	case "timer":
		rule(p, "InvalidParameterValue.TriggerName", scfrules.TriggerName(name))
		p.check(len(t.CustomArgument) <= scfrules.MaxTimerArgument, "InvalidParameterValue.CustomArgument", "a timer's CustomArgument is at most 4 KB, this one %d bytes", len(t.CustomArgument))
	case "http":
		for _, other := range fn.triggers {
			p.check(other.Type != "http" || other.Qualifier != t.Qualifier, "ResourceInUse.Trigger", "the function %s already has a function URL (%s) for %s", fn.Name, other.Name, t.Qualifier)
		}
		// The example's function URL trigger is named by the id in its
		// URL (ten lower-case letters and digits); the emulator names its
		// own so, whatever was asked.
		t.urlID = "u" + randomHex(5)[:9]
		t.Name = t.urlID
	}
	desc, _ := p.str("TriggerDesc")
	t.setDesc(p, desc, c.region)
	for _, other := range fn.triggers {
		p.check(other.Name != t.Name, "ResourceInUse.Trigger", "the function %s already has a trigger named %s", fn.Name, t.Name)
	}
	if p.err != nil {
		return nil, p.err
	}
	fn.triggers = append(fn.triggers, t)
	return map[string]any{"TriggerInfo": triggerInfo(t)}, nil
}

func (e *Emulator) updateTrigger(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	p := c.p
	name, typ := p.requiredStr("TriggerName"), p.requiredStr("Type")
	qualifier, _ := p.str("Qualifier")
	var t *scfTrigger
	for _, cand := range fn.triggers {
		if cand.Name == name && (qualifier == "" || cand.Qualifier == qualifier) {
			t = cand
		}
	}
	p.check(t != nil, "ResourceNotFound.Trigger", "the function %s has no trigger %s", fn.Name, name)
	if p.err != nil {
		return nil, p.err
	}
	p.check(t.Type == typ, "InvalidParameterValue.Type", "the trigger %s is of type %s, not %s", name, t.Type, typ)
	p.check(scfrules.UpdatableTriggers[typ], "InvalidParameterValue.Type", "UpdateTrigger updates timer and ckafka triggers only, not %s: delete the trigger and create it anew", typ)
	e.mustBeActive(fn, c)
	next := *t
	next.Enabled = enableParam(p, t.Enabled)
	if s, ok := p.str("CustomArgument"); ok {
		next.CustomArgument = s
	}
	if s, ok := p.str("Description"); ok {
		next.Description = s
	}
	if desc, ok := p.str("TriggerDesc"); ok {
		next.setDesc(p, desc, c.region)
	}
	if p.err != nil {
		return nil, p.err
	}
	next.modTime = c.now
	*t = next
	return map[string]any{}, nil
}

func (e *Emulator) listTriggers(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	offset, _ := c.p.int("Offset")
	limit, ok := c.p.int("Limit")
	if !ok {
		limit = defaultLimit
	}
	c.p.check(offset >= 0 && limit >= 1 && limit <= maxLimit, "InvalidParameterValue", "Offset must be at least 0 and Limit 1 to %d", maxLimit)
	if c.p.err != nil {
		return nil, c.p.err
	}
	items := []map[string]any{}
	for _, t := range page(fn.triggers, limit, offset) {
		info := triggerInfo(t)
		info["ResourceId"] = fmt.Sprintf("qcs::scf:%s:uin/%s:namespace/%s/function/%s/%s", c.region, emulatedUIN, fn.Namespace, fn.Name, t.Name)
		items = append(items, info)
	}
	return map[string]any{"TotalCount": len(fn.triggers), "Triggers": items}, nil
}

// invoke runs a function through the pluggable invoker: "Event" answers at
// once and delivers in the background, retrying an execution error twice
// as SCF does; "RequestResponse" (the default) waits for the result.
func (e *Emulator) invoke(c *call) (any, *apiError) {
	fn := e.lookupFunction(c)
	if c.p.err != nil {
		return nil, c.p.err
	}
	p := c.p
	typ, _ := p.str("InvocationType")
	typ = cmp.Or(typ, "RequestResponse")
	p.check(typ == "Event" || typ == "RequestResponse", "InvalidParameterValue.InvocationType", "the InvocationType must be Event or RequestResponse, got %q", typ)
	qualifier, _ := p.str("Qualifier")
	qualifier = cmp.Or(qualifier, "$LATEST")
	event, _ := p.str("ClientContext")
	limit := maxSyncEvent
	if typ == "Event" {
		limit = maxAsyncEvent
	}
	p.check(len(event) <= limit, "InvalidParameterValue.ClientContext", "the ClientContext is %d bytes, more than %d for an %s invocation", len(event), limit, typ)
	event = cmp.Or(event, "{}")
	p.check(json.Valid([]byte(event)), "InvalidParameterValue.ClientContext", "the ClientContext must be a JSON string")
	p.check(e.scf.invoke != nil, "InternalError", "the emulator has no invoker to run function %s (Emulator.SetInvoker)", fn.Name)
	if p.err != nil {
		return nil, p.err
	}
	target := e.scf.invoke
	inv := &Invocation{
		RequestID: uuid.New(), Function: fn.Name, Namespace: fn.Namespace, Qualifier: qualifier,
		Type: typ, Event: []byte(event), Time: c.now,
	}
	e.scf.invocations = append(e.scf.invocations, inv)
	timeout := time.Duration(fn.Timeout) * time.Second
	if timeout <= 0 {
		timeout = 3 * time.Second
	}

	if typ == "Event" {
		e.scf.pending.Add(1)
		go e.deliver(inv, target, timeout, e.scf.retryDelay)
		return map[string]any{"Result": map[string]any{"FunctionRequestId": inv.RequestID}}, nil
	}

	// Run the function without the emulator's lock: it may well call the
	// emulator itself (a restore calls Redis and CMQ here).
	e.mu.Unlock()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), min(timeout, maxSyncInvoke))
	ret, err := target(ctx, fn.Name, []byte(event))
	cancel()
	took := time.Since(start)
	e.mu.Lock()

	inv.Attempts, inv.Done, inv.attemptTimes = 1, true, []time.Time{start}
	result := map[string]any{
		"MemUsage": 0, "Log": "", "RetMsg": string(ret), "BillDuration": took.Milliseconds(),
		"FunctionRequestId": inv.RequestID, "Duration": float64(took.Microseconds()) / 1000, "ErrMsg": "", "InvokeResult": 0,
	}
	if err != nil {
		inv.Err = err.Error()
		b, _ := json.Marshal(map[string]string{"errorMessage": err.Error()})
		result["RetMsg"], result["ErrMsg"], result["InvokeResult"] = string(b), err.Error(), -1
	}
	return map[string]any{"Result": result}, nil
}

// deliver runs an asynchronous invocation: the first try, then up to two
// retries after an execution error, each after delay (real time).
func (e *Emulator) deliver(inv *Invocation, target InvokeFunc, timeout, delay time.Duration) {
	defer e.scf.pending.Done()
	for attempt := 0; attempt <= asyncRetries; attempt++ {
		if attempt > 0 {
			time.Sleep(delay)
		}
		e.mu.Lock()
		inv.Attempts++
		inv.attemptTimes = append(inv.attemptTimes, time.Now())
		e.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_, err := target(ctx, inv.Function, inv.Event)
		cancel()

		e.mu.Lock()
		if err == nil {
			inv.Err = ""
		} else {
			inv.Err = err.Error()
		}
		inv.Done = err == nil || attempt == asyncRetries
		e.mu.Unlock()
		if err == nil {
			return
		}
	}
}
