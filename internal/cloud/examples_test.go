package cloud_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/config"
	"redis-restore/internal/intent"
)

// apiExamples is Tencent's own example answers, one file per action
// (tccli's examples.json and api.json): the repository's copy in
// testdata/api-examples (its SOURCES.md names where they come from).
var apiExamples = filepath.Join("..", "..", "testdata", "api-examples")

// exampleAnswer is the first documented answer of service/action.
func exampleAnswer(t *testing.T, service, action string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(apiExamples, service, action+".json"))
	if err != nil {
		t.Fatalf("the API's example (%s): %v", "testdata/api-examples", err)
	}
	var doc struct {
		Examples []struct {
			Response json.RawMessage `json:"response"`
		} `json:"examples"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Examples) == 0 {
		t.Fatalf("%s/%s: no example answer (%v)", service, action, err)
	}
	return doc.Examples[0].Response
}

// exampleServer answers each action with its documented example, whatever
// was asked, and records the requests' headers.
type exampleServer struct {
	mu      sync.Mutex
	answers map[string]json.RawMessage // by X-TC-Action
	headers []http.Header
}

func (s *exampleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.headers = append(s.headers, r.Header.Clone())
	a, ok := s.answers[r.Header.Get("X-TC-Action")]
	if !ok {
		http.Error(w, "no example for "+r.Header.Get("X-TC-Action"), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(a)
}

func (s *exampleServer) lastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers[len(s.headers)-1]
}

func newExampleServer(t *testing.T, answers map[string]json.RawMessage) (*exampleServer, *url.URL) {
	t.Helper()
	s := &exampleServer{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return s, u
}

// Every answer the function reads, as Tencent documents it, through the
// function's own decoders (the SDK's typed responses and ours).
func TestTheFunctionDecodesTheAPIsExamples(t *testing.T) {
	answers := map[string]json.RawMessage{}
	for service, actions := range map[string][]string{
		"redis": {"RestoreInstance", "DescribeInstanceBackups", "DescribeTaskList", "DescribeInstances"},
		"tdmq":  {"SendCmqMsg", "PublishCmqMsg"},
		"ssm":   {"GetSecretValue", "ListSecretVersionIds"},
		"sts":   {"AssumeRole"},
	} {
		for _, a := range actions {
			answers[a] = exampleAnswer(t, service, a)
		}
	}
	srv, endpoint := newExampleServer(t, answers)
	// The example's role credentials expire at 2018-12-04T09:06:16Z.
	now := func() time.Time { return time.Date(2018, 12, 4, 8, 0, 0, 0, time.UTC) }
	clients := cloud.New(cloud.Options{RequestsPerSecond: 1000, Now: now})
	s := clients.Session(config.Credentials{SecretID: "AKIDsource", SecretKey: "key"}, endpoint)
	c := ctx(t)

	taskID, rid, err := s.RestoreInstance(c, "ap-guangzhou", "crs-5a4py64p", "678362566696298532848117", "")
	if err != nil || taskID != 6954227 || rid != "4daddc97-0005-45d8-b5b8-38514ec1e97c" {
		t.Errorf("RestoreInstance: %d %q %v", taskID, rid, err)
	}

	page, err := s.DescribeInstanceBackups(c, "ap-guangzhou", "crs-ei43p3gr", time.Now().Add(-time.Hour), time.Now(), 100, 0)
	wantStart := time.Date(2026, 6, 1, 2, 0, 48, 0, time.FixedZone("CST", 8*3600))
	if err != nil || page.Total != 6 || len(page.Backups) != 1 {
		t.Fatalf("DescribeInstanceBackups: %+v %v", page, err)
	}
	if b := page.Backups[0]; b.ID != "165706342-5832225-1641692389" || b.Status != 2 || b.Locked || b.Type != "1" || !b.StartTime.Equal(wantStart) {
		t.Errorf("backup %+v", b)
	}

	// The example lists two tasks of type "037": neither is a restore.
	tasks, err := s.DescribeRestoreTasks(c, "ap-guangzhou", "crs-opcazbrb", time.Now().Add(-time.Hour), time.Now())
	if err != nil || len(tasks) != 0 {
		t.Errorf("DescribeRestoreTasks of the example: %+v %v, want no restore", tasks, err)
	}
	// The same answer with one task's code "010": that one is.
	answers["DescribeTaskList"] = json.RawMessage(strings.Replace(string(answers["DescribeTaskList"]), `"TaskType": "037"`, `"TaskType": "010"`, 1))
	tasks, err = s.DescribeRestoreTasks(c, "ap-guangzhou", "crs-opcazbrb", time.Now().Add(-time.Hour), time.Now())
	if err != nil || len(tasks) != 1 || tasks[0].ID != 42372 || tasks[0].Type != "010" {
		t.Errorf("DescribeRestoreTasks with a 010: %+v %v", tasks, err)
	}

	// The example lists two instances: each is found by its own ID, with
	// its Createtime read as China Standard Time (03:32:18 UTC).
	cst := time.FixedZone("UTC+8", 8*3600)
	for id, want := range map[string]intent.Instance{
		"crs-4nmzc0ul": {ID: "crs-4nmzc0ul", Name: "Redis_automation_is_awesome", Type: 15, Status: 1, Addr: "10.0.1.61:6379", Created: time.Date(2023, 4, 17, 11, 32, 18, 0, cst)},
		"crs-46njvft9": {ID: "crs-46njvft9", Name: "Redis_automation_is_awesome", Type: 6, Status: 2, Addr: "10.0.1.71:6379", Created: time.Date(2023, 4, 17, 11, 47, 2, 0, cst)},
	} {
		if got, err := s.DescribeInstance(c, "ap-guangzhou", id); err != nil || got.ID != want.ID || got.Name != want.Name || got.Type != want.Type || got.Status != want.Status || got.Addr != want.Addr || !got.Created.Equal(want.Created) {
			t.Errorf("DescribeInstance(%s) = %+v, %v; want %+v", id, got, err, want)
		}
	}
	if _, err := s.DescribeInstance(c, "ap-guangzhou", "crs-notlisted"); err == nil || !strings.Contains(err.Error(), "crs-notlisted") {
		t.Errorf("an instance the answer does not list: %v", err)
	}

	if id, err := s.SendQueue(c, "ap-guangzhou", "test-queue", "x"); err != nil || id != "09A51113003621B8D17C0DF3DC2403DC" {
		t.Errorf("SendQueue: %q %v", id, err)
	}
	if id, err := s.PublishTopic(c, "ap-guangzhou", "test-queue", "x", []string{"accepted"}); err != nil || id != "1EAD5E05003A6767C1FC9160304F98" {
		t.Errorf("PublishTopic: %q %v", id, err)
	}

	if v, err := s.GetSecretValue(c, "ap-guangzhou", "test3-secret", "v3"); err != nil || v != "凭据value3" {
		t.Errorf("GetSecretValue: %q %v", v, err)
	}
	versions, err := s.ListSecretVersionIds(c, "ap-guangzhou", "test3-secret")
	newest, _ := cloud.NewestSecretVersion(versions)
	if err != nil || len(versions) != 3 || newest.ID != "v1" || newest.CreateTime != 1730278717 {
		t.Errorf("ListSecretVersionIds: %+v %v (newest %+v)", versions, err, newest)
	}

	// AssumeRole's credentials sign the next call.
	assumed, err := clients.AssumedSession(c, config.Credentials{SecretID: "AKIDsource", SecretKey: "key"}, endpoint, "ap-guangzhou", "qcs::cam::uin/100015158414:roleName/readOnlyRole")
	if err != nil {
		t.Fatalf("AssumedSession: %v", err)
	}
	if _, err := assumed.SendQueue(c, "ap-guangzhou", "test-queue", "x"); err != nil {
		t.Fatal(err)
	}
	h := srv.lastHeader()
	if h.Get("X-TC-Token") != "da1e***" || !strings.Contains(h.Get("Authorization"), "Credential=AKID***/") {
		t.Errorf("assumed credentials not used: token %q, authorization %q", h.Get("X-TC-Token"), h.Get("Authorization"))
	}
}
