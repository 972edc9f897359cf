package cloudemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"redis-restore/internal/uuid"
)

// TDMQ CMQ's HTTP data flow, the way the "HTTP data flow SDK" sends and
// publishes (docs/fleet.md, "The queue's two ways in"): a form POST (or a
// GET) to /v2/index.php with CMQ's signature, answered with
// {"code", "message", "requestId", ...}. It delivers into the same queues
// and topics as SendCmqMsg and PublishCmqMsg, with the same message ids.
// Its limit is the queue's, not the identity's: 5,000 messages a second
// per queue or topic (TDMQ CMQ's Use Limits page, "Production QPS
// limit"), across every client.

// DataflowPath is where the data flow's requests go.
const DataflowPath = "/v2/index.php"

// DataflowPerSecond is the data flow's limit of each queue and each topic.
const DataflowPerSecond = 5000

// The data flow's own bounds (its API pages): a batch holds at most 16
// messages of 64 KB together; a message at most 5 tags of 1 to 16
// characters.
const (
	maxBatch      = 16
	maxBatchBytes = 64 << 10
	maxDataTags   = 5
	maxDataTagLen = 16
)

// dataflowError is an error answer: the code (4000, 4100, 4420, ...) and
// the module code its message starts with, as CMQ's error code page lists
// them: {"code": 4000, "message": "(10100) queue is not existed, or deleted"}.
type dataflowError struct {
	code, module int
	text         string
}

func dferr(code, module int, format string, args ...any) *dataflowError {
	return &dataflowError{code: code, module: module, text: fmt.Sprintf(format, args...)}
}

type dataflowCall struct {
	action string
	p      url.Values
	now    time.Time
}

type dataflowHandler func(e *Emulator, c *dataflowCall) (map[string]any, *dataflowError)

var dataflowActions = map[string]dataflowHandler{
	"SendMessage":         (*Emulator).dataflowSend,
	"BatchSendMessage":    (*Emulator).dataflowSend,
	"PublishMessage":      (*Emulator).dataflowPublish,
	"BatchPublishMessage": (*Emulator).dataflowPublish,
}

// SetDataflowLimit limits every queue and every topic to perSecond data
// flow requests in each second of the emulator's clock, across all
// clients; 0 switches it off. LimitAccount sets DataflowPerSecond.
func (e *Emulator) SetDataflowLimit(perSecond int) {
	defer e.lock()()
	e.dataflowLimit = max(perSecond, 0)
}

// serveDataflow answers one data flow request, in ServeHTTP's order:
// count, fault, authenticate, route, throttle, act.
func (e *Emulator) serveDataflow(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	p, perr := dataflowParams(r, body, readErr)
	action := p.Get("Action")
	f, ok := e.arrive(r, action, body)
	if !ok {
		return
	}
	if f.failsResponse() && !f.AfterCommit {
		e.answerDataflowFault(w, f)
		return
	}
	var resp map[string]any
	derr := perr
	if derr == nil {
		resp, derr = e.handleDataflow(r, action, p)
	}
	if f.Late > 0 {
		time.Sleep(f.Late)
	}
	switch {
	case f.Body != "" && derr == nil:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, f.Body)
	case f.failsResponse():
		e.answerDataflowFault(w, f)
	case derr != nil:
		writeDataflow(w, derr, p)
	default:
		writeDataflow(w, resp, p)
	}
}

// dataflowParams reads the parameters: a POST's form body, a GET's query.
// A parameter given twice is refused, as the data flow refuses it.
func dataflowParams(r *http.Request, body []byte, readErr error) (url.Values, *dataflowError) {
	raw := r.URL.RawQuery
	switch {
	case readErr != nil:
		return url.Values{}, dferr(4000, 10420, "cannot parse the request: %v", readErr)
	case len(body) > maxBody:
		return url.Values{}, dferr(4000, 10420, "cannot parse the request, or request size is more than 1MB")
	case r.Method == http.MethodPost:
		raw = string(body)
	case r.Method != http.MethodGet:
		return url.Values{}, dferr(4000, 10410, "unexpected http %s only GET or POST is supported", r.Method)
	}
	p, err := url.ParseQuery(raw)
	if err != nil {
		return url.Values{}, dferr(4000, 10420, "cannot parse %s", "the parameters")
	}
	for k, v := range p {
		if len(v) > 1 {
			return p, dferr(4000, 10330, "parameter %s is NOT a repeatable parameter", k)
		}
	}
	return p, nil
}

// handleDataflow authenticates, routes, throttles and acts.
func (e *Emulator) handleDataflow(r *http.Request, action string, p url.Values) (map[string]any, *dataflowError) {
	defer e.lock()()
	now := e.now()
	e.advance(now) // flows that ended since: see lifecycle.go
	if derr := e.dataflowAuthenticate(r, p, now); derr != nil {
		return nil, derr
	}
	h, ok := dataflowActions[action]
	if !ok {
		return nil, dferr(4000, 10430, "action name %s is not existed", action)
	}
	if derr := e.dataflowThrottle(action, p, now); derr != nil {
		return nil, derr
	}
	return h(e, &dataflowCall{action: action, p: p, now: now})
}

// dataflowAuthenticate checks CMQ's signature as its signature page
// describes it, the way TC3's is checked in auth.go: the common parameters
// present, the timestamp within 5 minutes of the clock, the SecretId
// known, the signature over method, host, path and the sorted parameters,
// and a temporary credential's Token. Caller holds e.mu.
func (e *Emulator) dataflowAuthenticate(r *http.Request, p url.Values, now time.Time) *dataflowError {
	for _, name := range []string{"Action", "SecretId", "Timestamp", "Nonce", "Signature"} {
		if p.Get(name) == "" {
			return dferr(4000, 10390, "lacked of required parameter %s", name)
		}
	}
	ts, err := strconv.ParseInt(p.Get("Timestamp"), 10, 64)
	if err != nil {
		return dferr(4000, 10360, "parameter %s error type", "Timestamp")
	}
	if n, err := strconv.ParseUint(p.Get("Nonce"), 10, 64); err != nil || n == 0 {
		return dferr(4000, 10360, "parameter %s error type", "Nonce")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return dferr(4100, 10030, "authentication failed: the timestamp %d is %s from the server's time", ts, d.Round(time.Second))
	}
	cred, ok := e.creds[p.Get("SecretId")]
	if !ok {
		return dferr(4100, 10270, "secret id is not existed")
	}
	if !dataflowSignatureMatches(cred.key, r, p) {
		return dferr(4100, 10030, "authentication failed: check your signature")
	}
	token := p.Get("Token")
	switch {
	case cred.token == "" && token != "":
		return dferr(4100, 10030, "authentication failed: a Token was sent with a permanent SecretId")
	case cred.token != "" && token == "":
		return dferr(4100, 10030, "authentication failed: the temporary SecretId needs its Token")
	case cred.token != "" && !hmac.Equal([]byte(token), []byte(cred.token)):
		return dferr(4100, 10030, "authentication failed: the Token does not belong to this SecretId")
	case !cred.expires.IsZero() && !now.Before(cred.expires):
		return dferr(4100, 10030, "authentication failed: the temporary credential expired at %s", cred.expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// dataflowSignatureMatches checks Signature: base64 of HMAC-SHA256 (with
// SignatureMethod HmacSHA256) or else HMAC-SHA1, keyed with the SecretKey,
// over method + host + path + "?" + every other parameter as name=value,
// values as sent (decoded from the form), sorted by name, joined with "&",
// an "_" in a name read as "." (CMQ's signature page). The host as the
// client signed it: with the port, as the data flow SDKs sign the URL's
// host, or without.
func dataflowSignatureMatches(secretKey string, r *http.Request, p url.Values) bool {
	got, err := base64.StdEncoding.DecodeString(p.Get("Signature"))
	if err != nil {
		return false
	}
	names := make([]string, 0, len(p))
	for k := range p {
		if k != "Signature" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	pairs := make([]string, len(names))
	for i, k := range names {
		pairs[i] = strings.ReplaceAll(k, "_", ".") + "=" + p.Get(k)
	}
	newHash := sha1.New
	if p.Get("SignatureMethod") == "HmacSHA256" {
		newHash = sha256.New
	}
	host := strings.ToLower(r.Host)
	hosts := []string{host}
	if name, _, err := net.SplitHostPort(host); err == nil {
		hosts = append(hosts, name)
	}
	for _, h := range hosts {
		if hmac.Equal(dataflowMAC(newHash, secretKey, r.Method+h+r.URL.EscapedPath()+"?"+strings.Join(pairs, "&")), got) {
			return true
		}
	}
	return false
}

func dataflowMAC(newHash func() hash.Hash, key, msg string) []byte {
	m := hmac.New(newHash, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// dataflowThrottle counts the request against its queue's or topic's
// limit, in fixed seconds of the emulator's clock as limits.go counts the
// cloud API's. Caller holds e.mu.
func (e *Emulator) dataflowThrottle(action string, p url.Values, now time.Time) *dataflowError {
	if e.dataflowLimit <= 0 {
		return nil
	}
	target := "queue/" + p.Get("queueName")
	if strings.Contains(action, "Publish") {
		target = "topic/" + p.Get("topicName")
	}
	k := windowKey{action: "dataflow " + target}
	w := e.windows[k]
	if sec := now.Unix(); w.second != sec {
		w = window{second: sec}
	}
	if w.n >= e.dataflowLimit {
		e.throttled[action]++
		return dferr(4420, 10250, "qps throttling: %s is limited to %d requests a second", target, e.dataflowLimit)
	}
	w.n++
	e.windows[k] = w
	return nil
}

// dataflowBodies reads msgBody, or a batch's msgBody.n (n from 0 or from
// 1, consecutive, at most 16, 64 KB together).
func dataflowBodies(c *dataflowCall) ([]string, *dataflowError) {
	if !strings.HasPrefix(c.action, "Batch") {
		body := c.p.Get("msgBody")
		switch {
		case !c.p.Has("msgBody"):
			return nil, dferr(4000, 10390, "lacked of required parameter %s", "msgBody")
		case body == "":
			return nil, dferr(4000, 10120, "message body can't be empty")
		case len(body) > maxMsgBytes:
			return nil, dferr(4000, 10420, "cannot parse msgBody, or request size is more than 1MB")
		}
		return []string{body}, nil
	}
	bodies, derr := indexed(c.p, "msgBody", maxBatch)
	if derr != nil {
		return nil, derr
	}
	if len(bodies) == 0 {
		return nil, dferr(4000, 10390, "lacked of required parameter %s", "msgBody.n")
	}
	size := 0
	for _, b := range bodies {
		if b == "" {
			return nil, dferr(4000, 10120, "message body can't be empty")
		}
		size += len(b)
	}
	if size > maxBatchBytes {
		return nil, dferr(4000, 10350, "parameter %s value or length is out of range", "msgBody")
	}
	return bodies, nil
}

// indexed reads name.0, name.1, ... (or from 1): consecutive, at most most.
func indexed(p url.Values, name string, most int) ([]string, *dataflowError) {
	var idx []int
	for k := range p {
		rest, ok := strings.CutPrefix(k, name+".")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return nil, dferr(4000, 10310, "error: parameter %s key format error", k)
		}
		idx = append(idx, n)
	}
	if len(idx) > most {
		return nil, dferr(4000, 10370, "%s parameter batch size is out of range", name)
	}
	slices.Sort(idx)
	out := make([]string, len(idx))
	for i, n := range idx {
		if n != idx[0]+i || idx[0] > 1 {
			return nil, dferr(4000, 10380, "%s parameter is not consequent", name)
		}
		out[i] = p.Get(name + "." + strconv.Itoa(n))
	}
	return out, nil
}

func (e *Emulator) dataflowSend(c *dataflowCall) (map[string]any, *dataflowError) {
	queue := c.p.Get("queueName")
	if queue == "" {
		return nil, dferr(4000, 10390, "lacked of required parameter %s", "queueName")
	}
	bodies, derr := dataflowBodies(c)
	if derr != nil {
		return nil, derr
	}
	var delay int64
	if raw := c.p.Get("delaySeconds"); raw != "" {
		d, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, dferr(4000, 10360, "parameter %s error type", "delaySeconds")
		}
		if d < 0 || d > maxDelaySecond {
			return nil, dferr(4000, 10692, "delay seconds is out of range")
		}
		delay = d
	}
	msgs, ok := e.queues[queue]
	if !ok {
		return nil, dferr(4440, 10100, "queue is not existed, or deleted")
	}
	ids := make([]string, len(bodies))
	for i, b := range bodies {
		ids[i] = e.newMsgID()
		msgs = append(msgs, Message{ID: ids[i], Body: b, DelaySeconds: delay, Time: c.now, Action: c.action})
	}
	e.queues[queue] = msgs
	return sent(c.action, ids), nil
}

func (e *Emulator) dataflowPublish(c *dataflowCall) (map[string]any, *dataflowError) {
	topic := c.p.Get("topicName")
	if topic == "" {
		return nil, dferr(4000, 10390, "lacked of required parameter %s", "topicName")
	}
	bodies, derr := dataflowBodies(c)
	if derr != nil {
		return nil, derr
	}
	tags, derr := indexed(c.p, "msgTag", maxDataTags)
	if derr != nil {
		if derr.module == 10370 {
			derr = dferr(4000, 10720, "too many msgTag")
		}
		return nil, derr
	}
	for i, t := range tags {
		if n := utf8.RuneCountInString(t); n == 0 || n > maxDataTagLen {
			return nil, dferr(4000, 10350, "parameter msgTag.%d value or length is out of range", i)
		}
	}
	msgs, ok := e.topics[topic]
	if !ok {
		return nil, dferr(4440, 10600, "topic is not existed, or deleted")
	}
	ids := make([]string, len(bodies))
	for i, b := range bodies {
		ids[i] = e.newMsgID()
		msgs = append(msgs, Message{ID: ids[i], Body: b, Tags: slices.Clone(tags), Time: c.now, Action: c.action})
	}
	e.topics[topic] = msgs
	return sent(c.action, ids), nil
}

// sent is a send's answer: msgId, or a batch's msgList.
func sent(action string, ids []string) map[string]any {
	if !strings.HasPrefix(action, "Batch") {
		return map[string]any{"msgId": ids[0]}
	}
	list := make([]map[string]string, len(ids))
	for i, id := range ids {
		list[i] = map[string]string{"msgId": id}
	}
	return map[string]any{"msgList": list}
}

// writeDataflow answers with code 0 and the fields of an answer, or with
// the error's code and "(module) text"; HTTP 200 either way, as the data
// flow SDKs read it.
func writeDataflow(w http.ResponseWriter, v any, p url.Values) {
	out := map[string]any{"code": 0, "message": "", "requestId": uuid.New()}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			out[k] = x
		}
	case *dataflowError:
		out["code"], out["message"] = v.code, fmt.Sprintf("(%d) %s", v.module, v.text)
	}
	if id, err := strconv.ParseUint(p.Get("clientRequestId"), 10, 64); err == nil {
		out["clientRequestId"] = id
	}
	raw, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw)
}

// answerDataflowFault answers an injected fault in the data flow's shape:
// a numeric Code as that code, RequestLimitExceeded as qps throttling,
// any other code as a server internal error.
func (e *Emulator) answerDataflowFault(w http.ResponseWriter, f Fault) {
	if f.Reset || f.HTTPStatus != 0 || f.Code == "" {
		e.answerFault(w, f)
		return
	}
	derr := dferr(6000, 10050, "server internal error (emulated fault %s)", f.Code)
	if n, err := strconv.Atoi(f.Code); err == nil {
		derr = dferr(n, 0, "emulated fault %d", n)
	} else if strings.HasPrefix(f.Code, "RequestLimitExceeded") {
		derr = dferr(4420, 10250, "qps throttling (emulated fault)")
	}
	writeDataflow(w, derr, url.Values{})
}
