package cloudemu_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/clock"
	"redis-restore/internal/cloudemu"
)

// The data flow's known answer: the signature the official Python data flow
// SDK's Sign.make computes (tencentyun/cmq-python-sdk, cmq/sign.py) for
// these parameters, host and path, with sha256 and with sha1: worked out
// once with that code, not with the emulator's.
const (
	katHost      = "gz.mqadapter.cmq.tencentyun.com"
	katSecretID  = "AKIDkat0000000000000"
	katSecretKey = "kat-secret-key"
	katTimestamp = 1534154812
	katSHA256    = "R1XAys+0DMp9AvQOXAms1XVzsrkeVFS8hy2Djag5o6Y="
	katSHA1      = "SEZFZysdi0yCqm1t3JEYqicHqJI="
)

func katParams(method string) url.Values {
	return url.Values{
		"Action": {"SendMessage"}, "Nonce": {"2889712707"}, "RequestClient": {"SDK_Python_1.3"},
		"SecretId": {katSecretID}, "SignatureMethod": {method}, "Timestamp": {strconv.Itoa(katTimestamp)},
		"queueName": {"test1"}, "msgBody": {"msg"}, "delaySeconds": {"0"}, "clientRequestId": {"1231"},
	}
}

// dataflowAnswer is an answer of the data flow.
type dataflowAnswer struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
	MsgID     string `json:"msgId"`
	MsgList   []struct {
		MsgID string `json:"msgId"`
	} `json:"msgList"`
	ClientRequestID uint64 `json:"clientRequestId"`
}

// post sends a data flow request as a form POST to host's /v2/index.php.
func post(t *testing.T, e *cloudemu.Emulator, host string, p url.Values) dataflowAnswer {
	t.Helper()
	r := httptest.NewRequest("POST", "http://"+host+cloudemu.DataflowPath, strings.NewReader(p.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body)
	}
	var a dataflowAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %q: %v", w.Body, err)
	}
	return a
}

// sign signs p as CMQ's signature page says (HmacSHA256), for host.
func sign(p url.Values, key, host string) url.Values {
	p.Del("Signature")
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	var pairs []string
	for _, k := range names {
		pairs = append(pairs, k+"="+p.Get(k))
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("POST" + host + cloudemu.DataflowPath + "?" + strings.Join(pairs, "&")))
	p.Set("Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return p
}

// newDataflow is an emulator at the known answer's time, with its key,
// its queue, a topic, and a temporary credential.
func newDataflow(t *testing.T) (*cloudemu.Emulator, *clock.Fake) {
	t.Helper()
	c := clock.NewFake(time.Unix(katTimestamp, 0))
	e := cloudemu.New(cloudemu.Options{Now: c.Now})
	e.AddCredential(katSecretID, katSecretKey, "", time.Time{})
	e.AddCredential("AKIDtemp", "temp-key", "temp-token", c.Now().Add(time.Hour))
	e.AddQueue("test1")
	e.AddTopic("topic1")
	return e, c
}

func base(action, secretID string) url.Values {
	return url.Values{"Action": {action}, "SecretId": {secretID}, "Timestamp": {strconv.Itoa(katTimestamp)},
		"Nonce": {"77"}, "SignatureMethod": {"HmacSHA256"}}
}

func TestDataflowAcceptsTheSDKsSignature(t *testing.T) {
	for _, tc := range []struct{ method, sig string }{{"HmacSHA256", katSHA256}, {"HmacSHA1", katSHA1}} {
		e, _ := newDataflow(t)
		p := katParams(tc.method)
		p.Set("Signature", tc.sig)
		a := post(t, e, katHost, p)
		if a.Code != 0 || a.MsgID == "" || a.ClientRequestID != 1231 {
			t.Fatalf("%s: %+v, want code 0 with a msgId and clientRequestId 1231", tc.method, a)
		}
		msgs := e.Messages("test1")
		if len(msgs) != 1 || msgs[0].ID != a.MsgID || msgs[0].Body != "msg" || msgs[0].Action != "SendMessage" {
			t.Errorf("%s: queue holds %+v, want the one message %s sent by SendMessage", tc.method, msgs, a.MsgID)
		}
	}
}

func TestDataflowRefusesWhatTheCloudRefuses(t *testing.T) {
	cases := []struct {
		name         string
		req          func() url.Values
		code, module int
	}{
		{"a signature of other parameters", func() url.Values {
			p := katParams("HmacSHA256")
			p.Set("Signature", katSHA256)
			p.Set("msgBody", "other")
			return p
		}, 4100, 10030},
		{"a signature for another host", func() url.Values {
			p := base("SendMessage", katSecretID)
			p.Set("queueName", "test1")
			p.Set("msgBody", "x")
			return sign(p, katSecretKey, "sh.mqadapter.cmq.tencentyun.com")
		}, 4100, 10030},
		{"an unknown SecretId", func() url.Values {
			p := base("SendMessage", "AKIDnobody")
			p.Set("queueName", "test1")
			p.Set("msgBody", "x")
			return sign(p, katSecretKey, katHost)
		}, 4100, 10270},
		{"a timestamp 10 minutes old", func() url.Values {
			p := base("SendMessage", katSecretID)
			p.Set("Timestamp", strconv.Itoa(katTimestamp-600))
			p.Set("queueName", "test1")
			p.Set("msgBody", "x")
			return sign(p, katSecretKey, katHost)
		}, 4100, 10030},
		{"a temporary SecretId without its Token", func() url.Values {
			p := base("SendMessage", "AKIDtemp")
			p.Set("queueName", "test1")
			p.Set("msgBody", "x")
			return sign(p, "temp-key", katHost)
		}, 4100, 10030},
		{"a temporary SecretId with another Token", func() url.Values {
			p := base("SendMessage", "AKIDtemp")
			p.Set("Token", "stolen")
			p.Set("queueName", "test1")
			p.Set("msgBody", "x")
			return sign(p, "temp-key", katHost)
		}, 4100, 10030},
		{"no Signature", func() url.Values {
			p := base("SendMessage", katSecretID)
			p.Set("queueName", "test1")
			p.Set("msgBody", "x")
			return p
		}, 4000, 10390},
		{"a queue that does not exist", func() url.Values {
			p := base("SendMessage", katSecretID)
			p.Set("queueName", "nope")
			p.Set("msgBody", "x")
			return sign(p, katSecretKey, katHost)
		}, 4440, 10100},
		{"an empty message", func() url.Values {
			p := base("SendMessage", katSecretID)
			p.Set("queueName", "test1")
			p.Set("msgBody", "")
			return sign(p, katSecretKey, katHost)
		}, 4000, 10120},
		{"a tag of 17 characters", func() url.Values {
			p := base("PublishMessage", katSecretID)
			p.Set("topicName", "topic1")
			p.Set("msgBody", "x")
			p.Set("msgTag.0", "functionurl+alarm")
			return sign(p, katSecretKey, katHost)
		}, 4000, 10350},
		{"a batch whose indexes skip", func() url.Values {
			p := base("BatchSendMessage", katSecretID)
			p.Set("queueName", "test1")
			p.Set("msgBody.1", "a")
			p.Set("msgBody.3", "b")
			return sign(p, katSecretKey, katHost)
		}, 4000, 10380},
		{"an action the data flow has not", func() url.Values {
			p := base("SendCmqMsg", katSecretID)
			return sign(p, katSecretKey, katHost)
		}, 4000, 10430},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newDataflow(t)
			a := post(t, e, katHost, tc.req())
			if a.Code != tc.code || !strings.HasPrefix(a.Message, "("+strconv.Itoa(tc.module)+")") {
				t.Errorf("answer %+v, want code %d, message (%d) ...", a, tc.code, tc.module)
			}
			if n := len(e.Messages("test1")) + len(e.Messages("topic1")); n != 0 {
				t.Errorf("%d messages delivered by a refused request", n)
			}
		})
	}
}

func TestDataflowDeliversWithTheCloudAPIsIDs(t *testing.T) {
	e, _ := newDataflow(t)
	p := base("BatchSendMessage", katSecretID)
	p.Set("queueName", "test1")
	p.Set("msgBody.1", "a")
	p.Set("msgBody.2", "b")
	a := post(t, e, katHost, sign(p, katSecretKey, katHost))
	if a.Code != 0 || len(a.MsgList) != 2 {
		t.Fatalf("BatchSendMessage: %+v, want 2 ids", a)
	}
	p = base("PublishMessage", "AKIDtemp")
	p.Set("Token", "temp-token")
	p.Set("topicName", "topic1")
	p.Set("msgBody", "c")
	p.Set("msgTag.0", "accepted")
	p.Set("msgTag.1", "alarm")
	pub := post(t, e, katHost, sign(p, "temp-key", katHost))
	if pub.Code != 0 {
		t.Fatalf("PublishMessage with a temporary credential: %+v", pub)
	}
	q, tp := e.Messages("test1"), e.Messages("topic1")
	if len(q) != 2 || q[0].ID != a.MsgList[0].MsgID || q[1].Body != "b" {
		t.Errorf("queue %+v, want a and b with the answered ids", q)
	}
	if len(tp) != 1 || tp[0].ID != pub.MsgID || strings.Join(tp[0].Tags, ",") != "accepted,alarm" || tp[0].Action != "PublishMessage" {
		t.Errorf("topic %+v, want c tagged accepted,alarm", tp)
	}
	// One sequence of ids with the cloud API's sends: ids never repeat.
	if a.MsgList[0].MsgID == a.MsgList[1].MsgID || pub.MsgID == a.MsgList[1].MsgID {
		t.Errorf("ids repeat: %+v %s", a.MsgList, pub.MsgID)
	}
}

func TestDataflowLimitIsTheQueues(t *testing.T) {
	e, c := newDataflow(t)
	e.AddQueue("other")
	e.SetDataflowLimit(3)
	send := func(queue, secretID, key string) int {
		p := base("SendMessage", secretID)
		p.Set("queueName", queue)
		p.Set("msgBody", "x")
		if secretID == "AKIDtemp" {
			p.Set("Token", "temp-token")
		}
		return post(t, e, katHost, sign(p, key, katHost)).Code
	}
	// Two identities, one queue: its limit is shared.
	got := []int{send("test1", katSecretID, katSecretKey), send("test1", "AKIDtemp", "temp-key"),
		send("test1", katSecretID, katSecretKey), send("test1", "AKIDtemp", "temp-key")}
	if got[0] != 0 || got[1] != 0 || got[2] != 0 || got[3] != 4420 {
		t.Errorf("four sends to one queue in one second at a limit of 3: codes %v, want 0 0 0 4420", got)
	}
	if code := send("other", katSecretID, katSecretKey); code != 0 {
		t.Errorf("another queue in the same second: code %d, want 0 (the limit is each queue's)", code)
	}
	if n := e.Throttled()["SendMessage"]; n != 1 {
		t.Errorf("Throttled()[SendMessage] = %d, want 1", n)
	}
	c.Advance(time.Second)
	if code := send("test1", katSecretID, katSecretKey); code != 0 {
		t.Errorf("the next second: code %d, want 0", code)
	}
	if n := len(e.Messages("test1")); n != 4 {
		t.Errorf("queue holds %d messages, want the 4 accepted", n)
	}
}
