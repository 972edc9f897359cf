package cloud

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/config"
	"redis-restore/internal/failure"
)

// TDMQ CMQ's HTTP data flow: the protocol of Tencent's "HTTP data flow
// SDK" (SendMessage, PublishMessage; docs/fleet.md, "The queue's two ways
// in"). The cloud API's SendCmqMsg and PublishCmqMsg are limited to 10
// calls a second for a role, and the announcement that set that limit says
// they are meant for tests, production messages going through this data
// flow, limited to 5,000 messages a second per queue. There is no SDK for
// it in the official Go SDK (the data flow's Go SDK is a module of its own
// that builds its own HTTP client and skips TLS verification when told);
// the protocol is a signed form POST, written here in full:
//
//   - POST https://<address>/v2/index.php, Content-Type
//     application/x-www-form-urlencoded, the parameters in the body;
//   - the common parameters Action, SecretId, Timestamp, Nonce,
//     SignatureMethod (HmacSHA256), and Token for temporary credentials
//     (the execution role's session token: the data flow SDKs send it as
//     a parameter, signed like the rest);
//   - Signature: base64 of HMAC-SHA256, keyed with the SecretKey, over
//     "POST" + host + path + "?" + every other parameter as name=value
//     (values not encoded), sorted by name, joined with "&" (CMQ's
//     signature page; the data flow SDKs sign exactly so);
//   - the answer: JSON {"code": 0, "message": "", "requestId": ...,
//     "msgId": ...}; a code other than 0 is an error (codes.go).
//
// No client-side pacing: a fleet's messages are one per restore, far below
// the queue's 5,000 a second, and the pace is set by the Redis reads and
// RestoreInstance (pace.go). A refused send (4420, 4480) is retried by the
// restore's retry loop with its backoff, as every transient error is.

// Data flow actions.
const (
	actionSendMessage    = "SendMessage"
	actionPublishMessage = "PublishMessage"
)

// maxDataflowAnswer bounds what is read of an answer: a send's is a few
// hundred bytes.
const maxDataflowAnswer = 64 << 10

// dataflowAnswer is every send's answer.
type dataflowAnswer struct {
	Code      *int   `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
	MsgID     string `json:"msgId"`
}

// SendMessage puts one message on a CMQ queue through the data flow at
// endpoint (config.DataflowURL), without delay.
func (s *Session) SendMessage(ctx context.Context, endpoint *url.URL, queue, body string) (string, error) {
	return s.dataflow(ctx, endpoint, actionSendMessage, url.Values{
		"queueName":    {queue},
		"msgBody":      {body},
		"delaySeconds": {"0"},
	})
}

// PublishMessage publishes one message on a CMQ topic with tags (msgTag.0,
// msgTag.1, ...) through the data flow at endpoint.
func (s *Session) PublishMessage(ctx context.Context, endpoint *url.URL, topic, body string, tags []string) (string, error) {
	v := url.Values{"topicName": {topic}, "msgBody": {body}}
	for i, t := range tags {
		v.Set("msgTag."+strconv.Itoa(i), t)
	}
	return s.dataflow(ctx, endpoint, actionPublishMessage, v)
}

// dataflow signs and sends one data flow request, and reads its answer.
func (s *Session) dataflow(ctx context.Context, endpoint *url.URL, action string, params url.Values) (string, error) {
	if endpoint == nil {
		return "", failure.E(failure.Config, failure.Code(failure.CodeInvalidConfig), failure.Field("RESTORE_QUEUE_ENDPOINT"), action+": the data flow has no address")
	}
	params.Set("Action", action)
	params.Set("SecretId", s.creds.SecretID)
	// The real clock, as the SDK's TC3 signatures use: the server
	// refuses a timestamp far from its own.
	params.Set("Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	params.Set("Nonce", strconv.FormatUint(uint64(rand.Uint32N(1<<31-1))+1, 10))
	params.Set("SignatureMethod", "HmacSHA256")
	if s.creds.Token != "" {
		params.Set("Token", s.creds.Token)
	}
	params.Set("Signature", DataflowSignature(s.creds.SecretKey, http.MethodPost, endpoint.Host, endpoint.EscapedPath(), params))

	ctx, cancel := context.WithTimeout(ctx, s.clients.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), strings.NewReader(params.Encode()))
	if err != nil {
		return "", failure.E(failure.Config, failure.Code(failure.CodeInvalidConfig), failure.Field("RESTORE_QUEUE_ENDPOINT"), action+": "+err.Error())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.clients.transport.RoundTrip(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return "", failure.E(failure.Transient, failure.Code(failure.CodeDeadlineExceeded), action+": the invocation's deadline came first", err)
		}
		return "", failure.E(failure.Transient, failure.Code(failure.CodeNetworkError), action+": network error: "+err.Error(), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxDataflowAnswer))
	if err != nil {
		return "", failure.E(failure.Transient, failure.Code(failure.CodeNetworkError), action+": network error: "+err.Error(), err)
	}
	var ans dataflowAnswer
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &ans) != nil || ans.Code == nil {
		// A gateway's error page, or a garbled answer: the message may or
		// may not be on the queue; sending it again is safe (its copies
		// carry one id). The body is not repeated: it is not ours to log.
		return "", failure.E(failure.Transient, failure.Code(failure.CodeQueueError),
			fmt.Sprintf("%s: unreadable answer from the data flow (HTTP %d)", action, resp.StatusCode))
	}
	if *ans.Code != 0 {
		return "", &failure.Error{
			Kind:      kindOfDataflowCode(*ans.Code, ans.Message),
			Code:      failure.CodeQueueError,
			Message:   fmt.Sprintf("%s answered code %d: %s", action, *ans.Code, ans.Message),
			RequestID: ans.RequestID,
		}
	}
	if ans.MsgID == "" {
		return "", failure.E(failure.Transient, failure.Code(failure.CodeQueueError), action+" answered code 0 without a msgId")
	}
	return ans.MsgID, nil
}

// DataflowSignature is CMQ's request signature with HmacSHA256: base64 of
// HMAC-SHA256(secretKey, method + host + path + "?" + params), the
// parameters but Signature sorted by name as name=value, values as they
// are, joined with "&", an "_" in a name written "." (CMQ's signature page;
// the data flow SDKs do the same). The emulator checks it with this
// function's twin written from the same page (cloudemu/dataflow.go).
func DataflowSignature(secretKey, method, host, path string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(strings.ToUpper(method) + host + path + "?")
	for i, k := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(strings.ReplaceAll(k, "_", ".") + "=" + params.Get(k))
	}
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Outbox sends the function's outcome messages to its queue or topic, by
// the way RESTORE_QUEUE_API chose: the cloud API (queue.go) or the data
// flow. It is the restore's Outbox.
type Outbox struct {
	session *Session
	cfg     *config.Config
}

// Outbox is the session's outbox for cfg's queue or topic.
func (s *Session) Outbox(cfg *config.Config) Outbox { return Outbox{session: s, cfg: cfg} }

// Publish sends one outcome message; tags go with a topic's message.
func (o Outbox) Publish(ctx context.Context, region, body string, tags []string) (string, error) {
	s, cfg := o.session, o.cfg
	if cfg.QueueAPI != config.QueueAPIDataflow {
		if cfg.Queue != "" {
			return s.SendQueue(ctx, region, cfg.Queue, body)
		}
		return s.PublishTopic(ctx, region, cfg.Topic, body, tags)
	}
	endpoint, err := cfg.DataflowURL(region)
	if err != nil {
		return "", err
	}
	if cfg.Queue != "" {
		return s.SendMessage(ctx, endpoint, cfg.Queue, body)
	}
	return s.PublishMessage(ctx, endpoint, cfg.Topic, body, tags)
}
