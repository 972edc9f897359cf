package cloudemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"redis-restore/internal/uuid"
)

// maxBody leaves room for PublishCmqMsg's 1 MB message plus JSON escaping.
const maxBody = 8 << 20

// apiError is an error the cloud answers inside a 200 response.
type apiError struct {
	Code    string
	Message string
}

func errf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// call is one authenticated request on its way to an action handler.
type call struct {
	service  string
	action   string
	region   string
	secretID string
	now      time.Time
	p        *params
}

type handler func(e *Emulator, c *call) (any, *apiError)

type service struct {
	version string
	actions map[string]handler
	// regionless services need no X-TC-Region (sts is global).
	regionless bool
}

var services = map[string]service{
	"redis": {version: "2018-04-12", actions: map[string]handler{
		"RestoreInstance":         (*Emulator).restoreInstance,
		"DescribeInstanceBackups": (*Emulator).describeInstanceBackups,
		"DescribeTaskInfo":        (*Emulator).describeTaskInfo,
		"DescribeTaskList":        (*Emulator).describeTaskList,
		"DescribeInstances":       (*Emulator).describeInstances,
		// The restore's life: see lifecycle.go.
		"ManualBackupInstance":          (*Emulator).manualBackupInstance,
		"CloneInstances":                (*Emulator).cloneInstances,
		"DescribeInstanceSecurityGroup": (*Emulator).describeInstanceSecurityGroup,
		// Clone and switch: see vip.go.
		"SwitchInstanceVip":       (*Emulator).switchInstanceVip,
		"DestroyPostpaidInstance": (*Emulator).destroyPostpaidInstance,
	}},
	"tdmq": {version: "2020-02-17", actions: map[string]handler{
		"SendCmqMsg":    (*Emulator).sendCmqMsg,
		"PublishCmqMsg": (*Emulator).publishCmqMsg,
	}},
	"ssm": {version: "2019-09-23", actions: map[string]handler{
		"GetSecretValue":       (*Emulator).getSecretValue,
		"ListSecretVersionIds": (*Emulator).listSecretVersionIds,
	}},
	// Cloud Monitor: an instance's key count, see monitor.go.
	"monitor": {version: "2018-07-24", actions: map[string]handler{
		"GetMonitorData": (*Emulator).getMonitorData,
	}},
	// Tag: the mark the function leaves on an instance it restored, tag.go.
	"tag": {version: "2018-08-13", regionless: true, actions: map[string]handler{
		"TagResources": (*Emulator).tagResources,
	}},
	"sts": {version: "2018-08-13", regionless: true, actions: map[string]handler{
		"AssumeRole":        (*Emulator).assumeRole,
		"GetCallerIdentity": (*Emulator).getCallerIdentity,
	}},
}

// product is the service a request is for. The cloud knows it by the
// domain (redis.tencentcloudapi.com), and a client signs it as the
// credential scope's service. A client pointed at the emulator by IP or
// hostname may not: the Node.js SDK takes the scope's service from the
// endpoint's first label ("127" for 127.0.0.1:9000, "localhost:9000"). Such
// a scope names no product, and then the API version does, with the
// action where two products share a version (STS and Tag: 2018-08-13).
func product(scope, version, action string) string {
	if _, ok := services[scope]; ok {
		return scope
	}
	found := scope
	for name, svc := range services {
		if svc.version != version {
			continue
		}
		if _, ok := svc.actions[action]; ok {
			return name
		}
		found = name
	}
	return found
}

// ServeHTTP answers one API 3.0 request (or one of the data flow, at
// DataflowPath: dataflow.go). Order: count, fault,
// authenticate, throttle, route, act; an AfterCommit fault then spoils the answer.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == DataflowPath {
		e.serveDataflow(w, r) // TDMQ CMQ's HTTP data flow: dataflow.go
		return
	}
	action := r.Header.Get("X-TC-Action")
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	f, ok := e.arrive(r, action, body)
	if !ok {
		return
	}
	if f.failsResponse() && !f.AfterCommit {
		e.answerFault(w, f)
		return
	}

	resp, aerr := e.handle(r, action, body, readErr)
	if f.Late > 0 {
		time.Sleep(f.Late)
	}
	if f.Body != "" && aerr == nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, f.Body)
		return
	}
	if f.failsResponse() {
		e.answerFault(w, f)
		return
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, resp)
}

// arrive counts a request of action, picks its fault and waits out the
// fault's delay; false: the client left meanwhile.
func (e *Emulator) arrive(r *http.Request, action string, body []byte) (Fault, bool) {
	e.mu.Lock()
	e.calls[action]++
	f := e.pickFault(action)
	if f != (Fault{}) {
		e.faultLog = append(e.faultLog, InjectedFault{Action: action, Fault: f, Body: string(body)})
	}
	e.mu.Unlock()
	if f.Delay > 0 {
		// Real time on purpose: the delay is seen by the client's timeouts.
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return f, false
		}
	}
	return f, true
}

func (e *Emulator) handle(r *http.Request, action string, body []byte, readErr error) (any, *apiError) {
	if readErr != nil {
		return nil, errf("InvalidParameter", "cannot read request body: %v", readErr)
	}
	if len(body) > maxBody {
		return nil, errf("InvalidParameter", "request body larger than %d bytes", maxBody)
	}
	if r.Method != http.MethodPost {
		return nil, errf("InvalidParameter", "the emulator only supports POST requests, got %s", r.Method)
	}
	if action == "" {
		return nil, errf("MissingParameter", "the request is missing the X-TC-Action header")
	}

	defer e.lock()()
	now := e.now()
	e.advance(now) // flows that ended since: see lifecycle.go

	a, aerr := e.authenticate(r, body, now)
	if aerr != nil {
		return nil, aerr
	}
	// The limits count per principal (limits.go), so who signed must be
	// known first.
	if aerr := e.throttle(action, a.secretID, now); aerr != nil {
		return nil, aerr
	}
	name := product(a.service, r.Header.Get("X-TC-Version"), action)
	svc, ok := services[name]
	if !ok {
		return nil, errf("InvalidAction", "service %q is not available here", a.service)
	}
	h, ok := svc.actions[action]
	if !ok {
		return nil, errf("InvalidAction", "action %s does not exist for service %s", action, name)
	}
	if v := r.Header.Get("X-TC-Version"); v != svc.version {
		return nil, errf("InvalidParameter", "the version %q of %s is not supported, use %s", v, name, svc.version)
	}
	region := r.Header.Get("X-TC-Region")
	if region == "" && !svc.regionless {
		return nil, errf("MissingParameter", "the request is missing the X-TC-Region header")
	}
	p, aerr := parseParams(body)
	if aerr != nil {
		return nil, aerr
	}
	return h(e, &call{service: name, action: action, region: region, secretID: a.secretID, now: now, p: p})
}

func writeJSON(w http.ResponseWriter, resp any) {
	// Responses are flat objects; merging RequestId in keeps handlers free of it.
	raw, err := json.Marshal(resp)
	if err != nil {
		writeError(w, errf("InternalError", "cannot encode response: %v", err))
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		fields = map[string]json.RawMessage{}
	}
	id, _ := json.Marshal(uuid.New())
	fields["RequestId"] = id
	write(w, map[string]any{"Response": fields})
}

func writeError(w http.ResponseWriter, aerr *apiError) {
	write(w, map[string]any{"Response": map[string]any{
		"Error":     map[string]string{"Code": aerr.Code, "Message": aerr.Message},
		"RequestId": uuid.New(),
	}})
}

func write(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "cannot encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// Listen serves the emulator on a TCP address such as "127.0.0.1:0" and
// returns its base URL ("http://127.0.0.1:PORT") and a function that stops
// it. Use the URL without its scheme as the SDK's HttpProfile.Endpoint.
func (e *Emulator) Listen(addr string) (url string, closeFn func() error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	closeFn = func() error {
		// Close, not Shutdown: Shutdown waits up to 5 s for connections a
		// client opened and never used, and an emulator owes its clients
		// no grace.
		err := srv.Close()
		<-done
		return err
	}
	return "http://" + ln.Addr().String(), closeFn, nil
}

// params reads the JSON body of a request with the cloud's strictness:
// unknown fields pass, a known field of the wrong type is refused by name.
// The first error a read or a check meets is kept in err, and reads and
// checks after it are not looked at: a handler reads and checks in the
// order the cloud would, then answers err if there is one.
type params struct {
	m   map[string]any
	err *apiError
}

func parseParams(body []byte) (*params, *apiError) {
	p := &params{m: map[string]any{}}
	if len(bytes.TrimSpace(body)) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errf("InvalidParameter", "the request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, errf("InvalidParameter", "the request body holds more than one JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errf("InvalidParameter", "the request body must be a JSON object")
	}
	p.m = m
	return p, nil
}

// fail keeps aerr unless an earlier error is kept.
func (p *params) fail(aerr *apiError) {
	if p.err == nil && aerr != nil {
		p.err = aerr
	}
}

// check fails with the error unless ok.
func (p *params) check(ok bool, code, format string, args ...any) {
	if !ok && p.err == nil {
		p.err = errf(code, format, args...)
	}
}

// take keeps the error of a helper that returns one, and its value.
func (p *params) take(s string, aerr *apiError) string {
	p.fail(aerr)
	return s
}

func (p *params) has(name string) bool {
	v, ok := p.m[name]
	return ok && v != nil
}

func (p *params) str(name string) (string, bool) {
	v, ok := p.m[name]
	if !ok || v == nil {
		return "", false
	}
	s, ok := v.(string)
	p.check(ok, "InvalidParameter", "the parameter %s must be a string", name)
	return s, ok
}

// missing fails for an absent required parameter. Like every check, it
// is a no-op after an earlier error (a parameter of the wrong type, say).
func (p *params) missing(ok bool, name string) {
	p.check(ok, "MissingParameter", "the request is missing the required parameter %s", name)
}

// requiredStr refuses both an absent and an empty parameter, with the codes
// the API gateway and the product use for each.
func (p *params) requiredStr(name string) string {
	s, ok := p.str(name)
	p.missing(ok, name)
	p.check(strings.TrimSpace(s) != "", "InvalidParameter.EmptyParam", "the parameter %s must not be empty", name)
	return s
}

// requiredName refuses an absent or empty parameter as MissingParameter.
func (p *params) requiredName(name string) string {
	s, _ := p.str(name)
	p.missing(s != "", name)
	return s
}

func (p *params) int(name string) (int64, bool) {
	v, ok := p.m[name]
	if !ok || v == nil {
		return 0, false
	}
	n, ok := v.(json.Number)
	if !ok {
		p.fail(errf("InvalidParameter", "the parameter %s must be an integer", name))
		return 0, false
	}
	i, err := n.Int64()
	if err != nil {
		p.fail(errf("InvalidParameter", "the parameter %s must be an integer, got %s", name, n))
		return 0, false
	}
	return i, true
}

func (p *params) strs(name string) []string {
	v, ok := p.m[name]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.fail(errf("InvalidParameter", "the parameter %s must be an array of strings", name))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			p.fail(errf("InvalidParameter", "the parameter %s.%d must be a string", name, i))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// ints accepts an array of integers or, leniently, a single integer.
func (p *params) ints(name string) []int64 {
	v, ok := p.m[name]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		n, isNum := v.(json.Number)
		i, err := n.Int64()
		if !isNum || err != nil {
			p.fail(errf("InvalidParameter", "the parameter %s must be an array of integers", name))
			return nil
		}
		return []int64{i}
	}
	out := make([]int64, 0, len(list))
	for i, x := range list {
		n, ok := x.(json.Number)
		val, err := n.Int64()
		if !ok || err != nil {
			p.fail(errf("InvalidParameter", "the parameter %s.%d must be an integer", name, i))
			return nil
		}
		out = append(out, val)
	}
	return out
}
