package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/scfdriver"
)

const webhookSecret = "bench-webhook-secret"

// world is the emulated cloud the function runs against, with a clock on
// the emulator's own time and event builders that never repeat work: every
// event restores an instance of its own, with a backup of its own, under an
// event identity (timer time, CMQ msgId) of its own.
type world struct {
	emu   *cloudemu.Emulator
	demo  cloudemu.DemoData
	url   string
	srv   *httptest.Server
	timed *timedHandler

	mu   sync.Mutex
	next int

	timerTpl, apigwTpl, cmqTpl []byte
}

// newWorld starts an emulator with the demo data on loopback, its handler
// wrapped to time every request it serves.
func newWorld(testdata string) (*world, error) {
	w := &world{emu: cloudemu.New(cloudemu.Options{TaskIDAsString: true})}
	w.demo = cloudemu.SeedDemo(w.emu)
	// Restores run on instances of their own; a short task keeps the
	// emulator's "instance locked while restoring" out of the way anyway.
	w.emu.SetTaskDuration(50 * time.Millisecond)
	for name, dst := range map[string]*[]byte{"timer.json": &w.timerTpl, "apigw.json": &w.apigwTpl, "cmq-topic.json": &w.cmqTpl} {
		b, err := os.ReadFile(filepath.Join(testdata, name))
		if err != nil {
			return nil, fmt.Errorf("event template: %w", err)
		}
		*dst = b
	}
	w.timed = &timedHandler{h: w.emu}
	w.srv = httptest.NewServer(w.timed) // on loopback
	w.url = w.srv.URL
	return w, nil
}

func (w *world) Close() { w.srv.Close() }

// env is what SCF hands the function with every invocation: the role's
// credentials and the function's environment variables. The instances the
// benchmark restores are password-free.
func (w *world) env() map[string]string {
	env := w.demo.Environment(w.url)
	delete(env, "RESTORE_PASSWORD")
	env["RESTORE_WEBHOOK_SECRET"] = webhookSecret
	// The benchmark measures the restore itself: a timer's or an alarm's
	// safety backup first (on by default) would measure
	// ManualBackupInstance instead, and leave the restore to the sweep.
	env["RESTORE_SAFETY_BACKUP"] = "false"
	env["SCF_FUNCTIONNAME"], env["SCF_NAMESPACE"] = "redis-restore", "default"
	return env
}

// target adds a fresh running, password-free instance with one restorable
// backup and returns the restore request for it.
func (w *world) target() string {
	id, backup := w.newTarget()
	b, _ := json.Marshal(map[string]string{"instanceId": id, "backupId": backup})
	return string(b)
}

// newTarget adds a fresh running, password-free instance with one
// restorable backup.
func (w *world) newTarget() (id, backup string) {
	n := w.seq()
	id = fmt.Sprintf("crs-bench%07d", n)
	backup = fmt.Sprintf("8%023d", n)
	start := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	w.emu.AddInstance(cloudemu.Instance{ID: id, Name: "bench", Region: w.demo.Region, Status: 2})
	w.emu.AddBackup(id, cloudemu.Backup{ID: backup, StartTime: start, EndTime: start.Add(7 * time.Minute), Status: 2, BackupType: "1", Size: 1 << 20})
	return id, backup
}

func (w *world) seq() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next++
	return w.next
}

// timerEvent is testdata/timer.json for a fresh instance, fired now.
func (w *world) timerEvent() []byte {
	ev := decodeTemplate(w.timerTpl)
	ev["Time"] = time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	ev["TriggerName"] = fmt.Sprintf("bench-%d", w.seq())
	ev["Message"] = w.target()
	return mustJSON(ev)
}

// apigwEvent is testdata/apigw.json carrying a restore of a fresh instance,
// signed with the webhook secret as a caller would.
func (w *world) apigwEvent() []byte {
	ev := decodeTemplate(w.apigwTpl)
	body := w.target()
	h := headers(ev)
	h["content-length"] = fmt.Sprint(len(body))
	h[strings.ToLower(handler.SignatureHeader)] = handler.Sign(webhookSecret, time.Now(), []byte(body))
	if rc, ok := ev["requestContext"].(map[string]any); ok {
		rc["requestId"] = fmt.Sprintf("bench-gw-%d", w.seq())
	}
	ev["body"] = body
	return mustJSON(ev)
}

// cmqEvent is testdata/cmq-topic.json with n records, each a restore of a
// fresh instance under a msgId of its own.
func (w *world) cmqEvent(n int) []byte {
	ev := decodeTemplate(w.cmqTpl)
	recs, _ := ev["Records"].([]any)
	if len(recs) == 0 {
		panic("cmq-topic.json has no record")
	}
	tpl := mustJSON(recs[0])
	out := make([]any, n)
	now := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	for i := range out {
		rec := decodeTemplate(tpl)
		msg := rec["CMQ"].(map[string]any)
		id := fmt.Sprintf("9%011d", w.seq())
		msg["msgId"], msg["requestId"], msg["publishTime"], msg["msgBody"] = id, id, now, w.target()
		out[i] = rec
	}
	ev["Records"] = out
	return mustJSON(ev)
}

// headers is an event's headers, made if it has none.
func headers(ev map[string]any) map[string]any {
	h, _ := ev["headers"].(map[string]any)
	if h == nil {
		h = map[string]any{}
		ev["headers"] = h
	}
	return h
}

func decodeTemplate(b []byte) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("event template: %v", err))
	}
	return m
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// timedHandler measures the emulator's own time: from the moment its
// ServeHTTP is entered until it returns, summed over every request. Loopback
// TCP, the HTTP client and server framing, the SDK and the function are
// outside it.
// It also keeps the actions in the order they came (X-TC-Action), for the
// sequence of a restore's calls.
type timedHandler struct {
	h     http.Handler
	total atomic.Int64 // nanoseconds
	count atomic.Int64

	mu      sync.Mutex
	actions []string
}

func (t *timedHandler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	t.actions = append(t.actions, r.Header.Get("X-TC-Action"))
	t.mu.Unlock()
	start := time.Now()
	t.h.ServeHTTP(rw, r)
	t.total.Add(int64(time.Since(start)))
	t.count.Add(1)
}

// actionsSince returns the actions received after the first n, and how
// many there are in all.
func (t *timedHandler) actionsSince(n int) ([]string, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.actions[min(n, len(t.actions)):]...), len(t.actions)
}

// snapshot returns the emulator time (ms) and request count so far.
func (t *timedHandler) snapshot() (float64, float64) {
	return msOf(time.Duration(t.total.Load())), float64(t.count.Load())
}

// result is the part of a restore result the benchmark checks.
type result struct {
	InstanceID string `json:"instanceId"`
	Status     string `json:"status"`
	Error      *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// parseAnswer decodes the function's answer: {"results": [...]}, or for API
// gateway an integration response whose body holds it.
func parseAnswer(payload []byte) ([]result, error) {
	var ans struct {
		Results    []result `json:"results"`
		StatusCode int      `json:"statusCode"`
		Body       *string  `json:"body"`
	}
	if err := json.Unmarshal(payload, &ans); err != nil {
		return nil, fmt.Errorf("answer %q: %w", truncate(payload), err)
	}
	if ans.Body != nil {
		if err := json.Unmarshal([]byte(*ans.Body), &ans); err != nil {
			return nil, fmt.Errorf("gateway body %q: %w", *ans.Body, err)
		}
	}
	if ans.Results == nil {
		return nil, fmt.Errorf("answer without results: %q", truncate(payload))
	}
	return ans.Results, nil
}

// checkResult returns an error unless the function answered want
// results, all accepted.
func checkResult(res *scfdriver.Result, want int) error {
	if res.Error != nil {
		return fmt.Errorf("function error %s: %s", res.Error.Type, res.Error.Message)
	}
	rs, err := parseAnswer(res.Payload)
	if err != nil {
		return err
	}
	return checkAccepted(rs, want)
}

// checkAccepted returns an error unless there are want results, all
// accepted.
func checkAccepted(rs []result, want int) error {
	if len(rs) != want {
		return fmt.Errorf("%d results, want %d", len(rs), want)
	}
	var errs []error
	for _, r := range rs {
		if r.Status != "accepted" {
			msg := ""
			if r.Error != nil {
				msg = r.Error.Code + ": " + r.Error.Message
			}
			errs = append(errs, fmt.Errorf("%s: %s %s", r.InstanceID, r.Status, msg))
			if len(errs) == 3 {
				break
			}
		}
	}
	return errors.Join(errs...)
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}
