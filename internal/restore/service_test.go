package restore

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"redis-restore/internal/clock"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// The tests here run the restore's decisions against an in-memory cloud,
// in milliseconds and on a fake clock; the wire (the SDK against the
// emulator over HTTP) is tested in internal/cloud and handler.

const (
	instance = "crs-5a4py64p"
	backup   = "678362566696298532848117"
)

// fakeCloud answers RestoreInstance from a script and the task list from
// what it holds; every call advances the clock a little, as a call takes
// time.
type fakeCloud struct {
	mu       sync.Mutex
	clock    *clock.Fake
	restores []error // RestoreInstance's answers in turn; after them, accepted
	started  []int64 // restores that really started
	tasks    []intent.Task
	// onRestore runs at each RestoreInstance call, before its answer: the
	// world changing meanwhile (another container's restore starting).
	onRestore func(call int)
	// onDescribe runs when the instance is read (the edition check): the
	// world changing between the first look and the call.
	onDescribe func()
	// commitsOn makes a scripted error answer come after the restore
	// started (a lost answer): by call index.
	commitsOn   map[int]bool
	listErr     error
	calls       map[string]int
	nextTaskID  int64
	publishErrs []error
	published   []string
}

func newFakeCloud(c *clock.Fake) *fakeCloud {
	return &fakeCloud{clock: c, calls: map[string]int{}, nextTaskID: 100, commitsOn: map[int]bool{}}
}

func (f *fakeCloud) RestoreInstance(ctx context.Context, region, instanceID, backupID, password string) (int64, string, error) {
	f.mu.Lock()
	call := f.calls["RestoreInstance"]
	f.calls["RestoreInstance"]++
	hook := f.onRestore
	f.mu.Unlock()
	f.clock.Advance(100 * time.Millisecond)
	if hook != nil {
		hook(call)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if call < len(f.restores) && f.restores[call] != nil {
		if f.commitsOn[call] {
			f.startTask()
		}
		return 0, "", f.restores[call]
	}
	return f.startTask(), "req-1", nil
}

// startTask starts a restore task now; caller holds f.mu.
func (f *fakeCloud) startTask() int64 {
	f.nextTaskID++
	f.tasks = append(f.tasks, intent.Task{ID: f.nextTaskID, StartTime: f.clock.Now(), Kind: intent.RestoreTask, Type: "010"})
	f.started = append(f.started, f.nextTaskID)
	return f.nextTaskID
}

// otherStarts is another container's restore starting now.
func (f *fakeCloud) otherStarts() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.startTask()
}

func (f *fakeCloud) DescribeInstanceBackups(ctx context.Context, region, instanceID string, begin, end time.Time, limit, offset int64) (intent.BackupPage, error) {
	f.count("DescribeInstanceBackups")
	return intent.BackupPage{Backups: []intent.Backup{{ID: backup, StartTime: end.Add(-time.Hour), Status: 2}}, Total: 1}, nil
}

// The life cycle's calls: these tests are about the restore itself, and
// never reach them (safety backups and clones are off).
func (f *fakeCloud) ManualBackupInstance(context.Context, string, string, string) (int64, string, error) {
	return 0, "", errors.New("not in this test")
}
func (f *fakeCloud) DescribeTaskInfo(context.Context, string, int64) (intent.TaskInfo, error) {
	return intent.TaskInfo{}, errors.New("not in this test")
}
func (f *fakeCloud) ListInstances(context.Context, string, ...string) ([]intent.Instance, error) {
	return nil, errors.New("not in this test")
}
func (f *fakeCloud) SecurityGroups(context.Context, string, string) ([]string, error) {
	return nil, errors.New("not in this test")
}
func (f *fakeCloud) CloneInstances(context.Context, string, intent.CloneOrder) (string, []string, string, error) {
	return "", nil, "", errors.New("not in this test")
}

func (f *fakeCloud) DestroyPostpaidInstance(context.Context, string, string) (int64, string, error) {
	return 0, "", errors.New("not in this test")
}

func (f *fakeCloud) TagInstance(context.Context, string, string, string, string) error {
	panic("not used")
}
func (f *fakeCloud) Waits(string) bool { return false }
func (f *fakeCloud) SwitchInstanceVip(context.Context, string, string, string) (int64, string, error) {
	return 0, "", errors.New("not in this test")
}

func (f *fakeCloud) DescribeTasks(ctx context.Context, region, instanceID string, begin, end time.Time) ([]intent.Task, error) {
	f.count("DescribeTasks")
	f.clock.Advance(50 * time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []intent.Task
	for _, t := range f.tasks {
		if !t.StartTime.Before(begin) && !t.StartTime.After(end) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fakeCloud) DescribeInstance(ctx context.Context, region, instanceID string) (intent.Instance, error) {
	f.count("DescribeInstance")
	if f.onDescribe != nil {
		f.onDescribe()
	}
	return intent.Instance{ID: instanceID, Type: 2, Status: 2}, nil
}

func (f *fakeCloud) Publish(ctx context.Context, region, body string, tags []string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.publishErrs) > 0 {
		err := f.publishErrs[0]
		f.publishErrs = f.publishErrs[1:]
		if err != nil {
			return "", err
		}
	}
	f.published = append(f.published, body)
	return "msg-1", nil
}

func (f *fakeCloud) count(action string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[action]++
}

func (f *fakeCloud) messageTypes(t *testing.T) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.published {
		var ev intent.Event
		if err := json.Unmarshal([]byte(b), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Type)
	}
	return out
}

func newService(t *testing.T) (*Service, *fakeCloud, *clock.Fake) {
	// The fake clock starts at the real time, so that a deadline set on it
	// is one the real context agrees with; then only it moves.
	c := clock.NewFake(time.Now())
	f := newFakeCloud(c)
	st := Settings{
		Region: "ap-guangzhou", LockRetry: 20 * time.Second, CanReport: true,
		// These are the restore's own decisions; its safety backup (on by
		// default for timers) is tested in lifecycle_test.go.
		Life: Lifecycle{SafetyBackup: "off", SweepEvery: time.Minute, MaxClones: 1},
	}
	s := &Service{
		Settings: st, Redis: f, Outbox: f, Memory: NewMemory(time.Hour, 100),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Runtime: Runtime{Now: c.Now, NewID: func() string { return "id-1" },
			Sleep: func(ctx context.Context, d time.Duration) error { c.Advance(d); return nil }},
		Source: "scf/ap-guangzhou/default/redis-restore",
	}
	return s, f, c
}

// run runs one restore of the event created a second before now, with a
// minute to go before the invocation's deadline (on the fake clock).
func run(s *Service, c *clock.Fake) intent.Result {
	ctx, cancel := context.WithDeadline(context.Background(), deadlineIn(c, time.Minute))
	defer cancel()
	return s.Run(ctx, intent.Intent{Request: intent.Request{InstanceID: instance, BackupID: backup},
		Trigger: "timer", Since: c.Now().Add(-time.Second), Key: "timer:t:0"})
}

// deadlineIn is d from now on the fake clock.
func deadlineIn(c *clock.Fake, d time.Duration) time.Time { return c.Now().Add(d) }

var (
	locked     = failure.E(failure.Locked, failure.Code("ResourceUnavailable.InstanceLockedError"), "locked")
	lostAnswer = failure.E(failure.Transient, failure.Code(failure.CodeNetworkError), "connection reset")
	opFailed   = failure.E(failure.Upstream, failure.Code("FailedOperation.Unknown"), "failed")
	noTaskID   = failure.E(failure.Upstream, failure.Code(failure.CodeMissingTaskID), "no TaskId")
	throttled  = failure.E(failure.Transient, failure.Code("RequestLimitExceeded"), "slow down")
)

func TestRestoreDecisions(t *testing.T) {
	cases := []struct {
		name        string
		setup       func(f *fakeCloud)
		want        intent.Status
		wantCode    string
		wantCalls   int    // RestoreInstance calls
		wantStarted int    // restores that really started
		wantMessage string // the outcome message's type suffix
	}{
		{name: "accepted", want: intent.Accepted, wantCalls: 1, wantStarted: 1, wantMessage: "accepted"},
		{
			name: "lock is another delivery's restore: duplicate, never called again",
			setup: func(f *fakeCloud) {
				f.restores = []error{locked}
				f.onRestore = func(call int) {
					if call == 0 {
						f.otherStarts()
					}
				}
			},
			want: intent.Duplicate, wantCalls: 1, wantStarted: 1, wantMessage: "accepted",
		},
		{
			name: "another delivery's restore started (and ended) while a slow cloud answered: duplicate, never called",
			setup: func(f *fakeCloud) {
				// A slow DescribeInstances answer: the first look is old by
				// the time of the call.
				f.onDescribe = func() { f.clock.Advance(2 * time.Second); f.otherStarts() }
			},
			want: intent.Duplicate, wantCalls: 0, wantStarted: 1, wantMessage: "accepted",
		},
		{
			name: "lock that clears with no restore of this event (an automatic backup): restored after",
			setup: func(f *fakeCloud) {
				f.restores = []error{locked, locked}
			},
			want: intent.Accepted, wantCalls: 3, wantStarted: 1, wantMessage: "accepted",
		},
		{
			name: "lost answer after commit: the task is the restore, not called again",
			setup: func(f *fakeCloud) {
				f.restores = []error{lostAnswer}
				f.commitsOn[0] = true
			},
			want: intent.Accepted, wantCalls: 1, wantStarted: 1, wantMessage: "accepted",
		},
		{
			name: "lost answer before commit: looked for, then tried again",
			setup: func(f *fakeCloud) {
				f.restores = []error{lostAnswer}
			},
			want: intent.Accepted, wantCalls: 2, wantStarted: 1, wantMessage: "accepted",
		},
		{
			name: "FailedOperation and no task: it did not start",
			setup: func(f *fakeCloud) {
				f.restores = []error{opFailed}
			},
			want: intent.Failed, wantCode: "FailedOperation.Unknown", wantCalls: 1, wantMessage: "failed",
		},
		{
			name: "FailedOperation after commit: accepted",
			setup: func(f *fakeCloud) {
				f.restores = []error{opFailed}
				f.commitsOn[0] = true
			},
			want: intent.Accepted, wantCalls: 1, wantStarted: 1, wantMessage: "accepted",
		},
		{
			name: "accepted without a TaskId and no task found: unknown, not failed",
			setup: func(f *fakeCloud) {
				f.restores = []error{noTaskID}
			},
			want: intent.Unknown, wantCode: failure.CodeMissingTaskID, wantCalls: 1, wantMessage: "unknown",
		},
		{
			name: "lost answer, then the task list cannot be read: unknown, not called again",
			setup: func(f *fakeCloud) {
				f.restores = []error{lostAnswer}
				f.onRestore = func(int) {
					f.mu.Lock()
					f.listErr = failure.E(failure.Forbidden, failure.Code("UnauthorizedOperation"), "no")
					f.mu.Unlock()
				}
			},
			want: intent.Unknown, wantCode: failure.CodeNetworkError, wantCalls: 1, wantMessage: "unknown",
		},
		{
			name: "throttled: a refusal before any work, retried without a look",
			setup: func(f *fakeCloud) {
				f.restores = []error{throttled, throttled}
			},
			want: intent.Accepted, wantCalls: 3, wantStarted: 1, wantMessage: "accepted",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, f, clk := newService(t)
			if c.setup != nil {
				c.setup(f)
			}
			r := run(s, clk)
			if r.Status != c.want {
				t.Fatalf("status %s, want %s: %+v %+v", r.Status, c.want, r, r.Error)
			}
			if c.wantCode != "" && (r.Error == nil || r.Error.Code != c.wantCode) {
				t.Errorf("error %+v, want code %s", r.Error, c.wantCode)
			}
			if n := f.calls["RestoreInstance"]; n != c.wantCalls {
				t.Errorf("%d RestoreInstance calls, want %d", n, c.wantCalls)
			}
			if len(f.started) != c.wantStarted {
				t.Errorf("%d restores started, want %d", len(f.started), c.wantStarted)
			}
			if (r.Status == intent.Accepted || r.Status == intent.Duplicate) && (len(f.started) == 0 || r.TaskID != f.started[0]) {
				t.Errorf("task %d, want the restore that started %v", r.TaskID, f.started)
			}
			if m := f.messageTypes(t); len(m) != 1 || m[0] != intent.EventTypePrefix+c.wantMessage {
				t.Errorf("messages %v, want one %s", m, c.wantMessage)
			}
		})
	}
}

// A refusal of the whole invocation (a bad setting, a role that cannot be
// assumed) makes no cloud call but still reports the failure.
func TestRefuseReportsWithoutCloudCalls(t *testing.T) {
	s, f, clk := newService(t)
	s.Refuse = failure.E(failure.Config, failure.Code(failure.CodeInvalidConfig), failure.Field("RESTORE_ALLOWED_INSTANCES"), "names nothing")
	r := run(s, clk)
	if r.Status != intent.Failed || r.Error.Code != failure.CodeInvalidConfig {
		t.Fatalf("%+v", r)
	}
	if n := f.calls["RestoreInstance"] + f.calls["DescribeTasks"] + f.calls["DescribeInstance"]; n != 0 {
		t.Errorf("%d cloud calls", n)
	}
	if m := f.messageTypes(t); len(m) != 1 || m[0] != intent.EventTypePrefix+"failed" {
		t.Errorf("messages %v", m)
	}
}

// The warm container answers a second delivery from its memory, and
// refuses a key reused with another body.
func TestMemoryAnswersARedeliveryAndRefusesAReusedKey(t *testing.T) {
	s, f, clk := newService(t)
	job := intent.Intent{Request: intent.Request{InstanceID: instance, BackupID: backup}, Trigger: "apigw",
		Since: clk.Now(), Key: "apigw:k:0", Fingerprint: "body-a"}
	ctx, cancel := context.WithDeadline(context.Background(), deadlineIn(clk, time.Minute))
	defer cancel()
	first := s.Run(ctx, job)
	again := s.Run(ctx, job)
	if first.Status != intent.Accepted || again.Status != intent.Duplicate || again.TaskID != first.TaskID || f.calls["RestoreInstance"] != 1 {
		t.Fatalf("first %+v, again %+v, %d calls", first, again, f.calls["RestoreInstance"])
	}
	job.Fingerprint = "body-b"
	if r := s.Run(ctx, job); r.Status != intent.Failed || r.Error.Code != failure.CodeKeyReused || r.Kind != failure.Conflict {
		t.Fatalf("reused key: %+v", r)
	}
}

// An accepted TaskId that cannot be put on the queue is said so, so that
// the invocation fails and the platform retries it; it is not remembered,
// so that the retry sends it.
func TestUndeliveredTaskIDIsNotRemembered(t *testing.T) {
	s, f, clk := newService(t)
	s.Redis = f
	perm := failure.E(failure.Forbidden, failure.Code("UnauthorizedOperation"), "no")
	f.publishErrs = []error{perm}
	r := run(s, clk)
	if r.Status != intent.Accepted || !r.Undelivered {
		t.Fatalf("%+v", r)
	}
	if _, ok, _ := s.Memory.Recall("timer:t:0", "", clk.Now()); ok {
		t.Error("an undelivered TaskId was remembered")
	}
}
