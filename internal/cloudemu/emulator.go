// Package cloudemu plays Tencent Cloud API 3.0 for the products the restore
// function talks to (redis, tdmq, ssm, sts, monitor) behind one base URL, so the
// function and its tests can run against a cloud that signs, throttles,
// fails and keeps state the way the real one does, without an account.
//
// Every product answers at the same host: the service comes from the
// credential scope of the TC3-HMAC-SHA256 Authorization header, exactly the
// value the SDK signs, so a request that passes here was signed correctly.
package cloudemu

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"redis-restore/internal/redisserver"
)

// Options configure an Emulator. The zero value is usable.
type Options struct {
	// Now is the emulator's clock: it judges X-TC-Timestamp, finishes tasks,
	// expires temporary credentials and drives rate limits. Default time.Now.
	Now func() time.Time
	// TaskIDAsString answers RestoreInstance's TaskId as a JSON string, as the
	// published example does, instead of the number the SDK expects.
	TaskIDAsString bool
	// Seed seeds the random source of Faults.Rate, so fault runs repeat.
	Seed int64
	// Redis serves each instance's data from a Redis server of its own
	// (see data.go); the owner calls Close to stop them. Nil: records
	// only, no data.
	Redis redisserver.Starter
}

// Instance is a Redis instance the emulator knows.
type Instance struct {
	ID       string
	Name     string // optional; defaults to ID
	Region   string
	Password string // empty: password-free instance
	Status   int    // 2 = running; anything else refuses a restore
	// Type is DescribeInstances' edition: 2 Redis 2.8 standard (the
	// default), 6 Redis 4.0 standard, 15 Redis 6.2 standard, ... Only 2, 3
	// and 4 restore in place; RestoreInstance refuses the others.
	Type   int
	Locked bool // locked by another process
	// BillingMode is DescribeInstances' BillingMode: 0 pay as you go (the
	// default; DestroyPostpaidInstance releases it), 1 monthly.
	BillingMode int
	// Created is DescribeInstances' Createtime. Zero: the emulator's time
	// when AddInstance adds it; a clone's is the time it was ordered.
	Created time.Time
	// Tags are the instance's tags (TagResources, tag.go), answered in
	// DescribeInstances' InstanceTags.
	Tags map[string]string
}

// Backup is a backup of an instance. Status: 1 running, 2 normal,
// 3 converting to RDB, 4 RDB done, -1 expired, -2 deleted.
type Backup struct {
	ID         string
	StartTime  time.Time
	EndTime    time.Time
	Status     int
	Locked     bool
	BackupType string // "1" automatic, "0" manual; default "1"
	Size       int64
	Remark     string
	ExpireTime time.Time // zero: StartTime + 7 days
}

// Task is an asynchronous job of an instance: a restore the emulator
// started, or any other flow a test put there with AddTask (an automatic
// backup, a flush, ...).
type Task struct {
	TaskID     int64
	InstanceID string
	BackupID   string
	// Type is the type code DescribeTaskList answers: "010" restore
	// (FLOW_RESTOREBACKUP), "017" automatic backup, "012" manual backup, ...
	Type      string
	Status    string // running or succeed, computed from the clock
	StartTime time.Time
	// Duration is how long the task runs; zero: the emulator's task
	// duration (SetTaskDuration).
	Duration time.Duration
}

// RestoreCall records a RestoreInstance request that started a restore.
type RestoreCall struct {
	InstanceID string
	BackupID   string
	TaskID     int64
	Time       time.Time
}

// Message is one message that SendCmqMsg or PublishCmqMsg accepted.
type Message struct {
	ID           string
	Body         string
	Tags         []string
	DelaySeconds int64
	Time         time.Time
	// Action is the request that delivered it: SendCmqMsg or
	// PublishCmqMsg (the cloud API), SendMessage, PublishMessage or a
	// batch (the data flow, dataflow.go).
	Action string
}

const (
	firstTaskID         = 6954227
	defaultTaskDuration = 2 * time.Second
	// Type codes of DescribeTaskList's TaskTypes documentation.
	TaskTypeRestore    = "010" // FLOW_RESTOREBACKUP
	TaskTypeAutoBackup = "017" // FLOW_AUTOBACKUP
	TaskTypeBackup     = "012" // FLOW_BACKUPINSTANCE
	TaskTypeClone      = "026" // FLOW_CLONEBACKUP
	TaskTypeSwitchVIP  = "036" // FLOW_SWITCHINSTANCEVIP, listed as the source's task
	// TaskTypeDestroy is DestroyPostpaidInstance's task. The documents do
	// not say which type it has; their list has FLOW_CLOSE "003" (关闭实例)
	// and FLOW_DELETE "006" (删除实例), and a released instance is isolated
	// in the recycle bin (Status -2), not deleted: "003".
	TaskTypeDestroy = "003"
)

// Emulator is an http.Handler playing the cloud. All methods are safe for
// concurrent use, also while requests are being served.
type Emulator struct {
	mu sync.Mutex

	now            func() time.Time
	taskIDAsString bool
	taskDuration   time.Duration
	rng            *rand.Rand

	creds     map[string]credential
	assumed   map[string]bool // secret IDs AssumeRole made
	roles     map[string]bool
	instances map[string]*Instance
	backups   map[string][]Backup // by instance, in the order added
	tasks     []Task              // status field unused here: computed on read
	nextTask  int64
	restores  []RestoreCall
	queues    map[string][]Message
	topics    map[string][]Message
	nextMsg   int64
	secrets   map[string]*secret
	scf       scfState     // functions, triggers, invocations: see scf.go
	life      lifeState    // manual backups, clones, task phases: see lifecycle.go
	data      dataState    // the instances' Redis servers and addresses: see data.go
	monitor   monitorState // Cloud Monitor's key counts: see monitor.go

	calls     map[string]int
	faults    map[string]*faultState
	injected  int
	limits    map[string]RateLimit // see limits.go
	windows   map[windowKey]window
	throttled map[string]int
	faultLog  []InjectedFault
	// dataflowLimit is each queue's and topic's data flow requests a
	// second; 0: none (dataflow.go).
	dataflowLimit int
}

type credential struct {
	key     string
	token   string
	expires time.Time
	owner   Principal // zero: DefaultPrincipal
}

type secret struct {
	versions map[string]secretVersion
	n        int // versions SetSecret named
}

type secretVersion struct {
	value   string
	created int64 // unix seconds
}

// New returns an empty emulator: no credentials, no instances.
func New(opts Options) *Emulator {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	seed := uint64(opts.Seed)
	return &Emulator{
		now:            now,
		taskIDAsString: opts.TaskIDAsString,
		taskDuration:   defaultTaskDuration,
		rng:            rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		creds:          map[string]credential{},
		assumed:        map[string]bool{},
		roles:          map[string]bool{},
		instances:      map[string]*Instance{},
		backups:        map[string][]Backup{},
		nextTask:       firstTaskID,
		queues:         map[string][]Message{},
		topics:         map[string][]Message{},
		nextMsg:        1,
		secrets:        map[string]*secret{},
		calls:          map[string]int{},
		faults:         map[string]*faultState{},
		limits:         map[string]RateLimit{},
		windows:        map[windowKey]window{},
		throttled:      map[string]int{},
		life:           newLifeState(),
		data:           newDataState(opts.Redis),
		monitor:        newMonitorState(),
		scf:            scfState{functions: map[string]*scfFunction{}, settle: defaultFunctionSettle, retryDelay: defaultAsyncRetryDelay},
	}
}

// lock locks the emulator and returns its unlock: defer e.lock()().
func (e *Emulator) lock() func() {
	e.mu.Lock()
	return e.mu.Unlock
}

// AddCredential registers a key pair of DefaultPrincipal. A non-empty token
// makes it a temporary credential whose requests must carry that
// X-TC-Token; a zero expires never expires.
func (e *Emulator) AddCredential(secretID, secretKey, token string, expires time.Time) {
	e.AddCredentialOf(DefaultPrincipal, secretID, secretKey, token, expires)
}

// AddCredentialOf registers a key pair of a principal: its requests count
// against that principal's rate limits (see limits.go).
func (e *Emulator) AddCredentialOf(owner Principal, secretID, secretKey, token string, expires time.Time) {
	defer e.lock()()
	e.creds[secretID] = credential{key: secretKey, token: token, expires: expires, owner: owner}
}

// RemoveCredential forgets a key pair, e.g. to play a rotated-away key.
func (e *Emulator) RemoveCredential(secretID string) {
	defer e.lock()()
	delete(e.creds, secretID)
}

// AddRole lets AssumeRole issue credentials for this role ARN.
func (e *Emulator) AddRole(arn string) {
	defer e.lock()()
	e.roles[arn] = true
}

// AddInstance adds or replaces an instance. A replaced instance's Redis
// server stops: the new one starts empty, with the new password.
func (e *Emulator) AddInstance(in Instance) {
	defer e.lock()()
	cp := in
	if cp.Created.IsZero() {
		cp.Created = e.now()
	}
	e.instances[in.ID] = &cp
	_ = e.stopServer(in.ID) // a server that fails to stop is killed; nothing to report here
}

// UpdateInstance changes a known instance in place, e.g. to lock it between
// two calls. It reports whether the instance exists. A running Redis server
// (Options.Redis) keeps the password it started with.
func (e *Emulator) UpdateInstance(id string, f func(*Instance)) bool {
	defer e.lock()()
	in, ok := e.instances[id]
	if ok {
		f(in)
		in.ID = id
	}
	return ok
}

// AddBackup adds a backup to an instance, replacing one with the same ID.
// The instance need not exist yet.
func (e *Emulator) AddBackup(instanceID string, b Backup) {
	defer e.lock()()
	list := e.backups[instanceID]
	for i := range list {
		if list[i].ID == b.ID {
			list[i] = b
			return
		}
	}
	e.backups[instanceID] = append(list, b)
}

// AddQueue creates a CMQ queue.
func (e *Emulator) AddQueue(name string) {
	defer e.lock()()
	if _, ok := e.queues[name]; !ok {
		e.queues[name] = []Message{}
	}
}

// AddTopic creates a CMQ topic.
func (e *Emulator) AddTopic(name string) {
	defer e.lock()()
	if _, ok := e.topics[name]; !ok {
		e.topics[name] = []Message{}
	}
}

// Messages returns what a queue, or else a topic, of that name received.
func (e *Emulator) Messages(queueOrTopic string) []Message {
	defer e.lock()()
	src, ok := e.queues[queueOrTopic]
	if !ok {
		src = e.topics[queueOrTopic]
	}
	out := make([]Message, len(src))
	for i, m := range src {
		m.Tags = append([]string(nil), m.Tags...)
		out[i] = m
	}
	return out
}

// RestoreCalls returns every RestoreInstance that started a restore.
func (e *Emulator) RestoreCalls() []RestoreCall {
	defer e.lock()()
	return append([]RestoreCall(nil), e.restores...)
}

// Calls counts the requests received for an action, failed ones included,
// keyed by the X-TC-Action header.
func (e *Emulator) Calls(action string) int {
	defer e.lock()()
	return e.calls[action]
}

// SetTaskIDAsString switches how RestoreInstance answers TaskId.
func (e *Emulator) SetTaskIDAsString(v bool) {
	defer e.lock()()
	e.taskIDAsString = v
}

// SetTaskDuration sets how much emulator time a restore task runs before it
// succeeds (default 2 s). Tasks already started are judged by the new value.
func (e *Emulator) SetTaskDuration(d time.Duration) {
	defer e.lock()()
	e.taskDuration = d
}

// SetSecret stores a new version of an SSM secret, named v1, v2, ... in
// the order set, as PutSecretValue would with those VersionIds.
func (e *Emulator) SetSecret(name, value string) {
	e.mu.Lock()
	n := 1
	if s := e.secrets[name]; s != nil {
		n = s.n + 1
	}
	e.mu.Unlock()
	if err := e.PutSecretValue(name, "v"+strconv.Itoa(n), value); err != nil {
		panic(err) // only past SSM's 10 versions: a test's mistake
	}
}

// maxSecretVersions is SSM's limit of versions per secret.
const maxSecretVersions = 10

// PutSecretValue stores a version of a secret under its owner's name for
// it, created now, as CreateSecret and PutSecretValue do. There is no alias
// for the newest version: readers list the versions. A version's
// CreateTime is later than every earlier one's, also within one second, so
// that "newest" is never a tie.
func (e *Emulator) PutSecretValue(name, versionID, value string) error {
	defer e.lock()()
	s := e.secrets[name]
	if s == nil {
		s = &secret{versions: map[string]secretVersion{}}
		e.secrets[name] = s
	}
	if _, ok := s.versions[versionID]; ok {
		return fmt.Errorf("secret %s already has a version %s", name, versionID)
	}
	if len(s.versions) >= maxSecretVersions {
		return fmt.Errorf("secret %s has %d versions, SSM's limit", name, maxSecretVersions)
	}
	created := e.now().Unix()
	for _, v := range s.versions {
		created = max(created, v.created+1)
	}
	s.versions[versionID] = secretVersion{value: value, created: created}
	s.n++
	return nil
}

// AddTask puts a task of any type in an instance's task list, e.g. the
// nightly automatic backup ("017") that starts after an alarm. A zero
// TaskID is numbered like the emulator's own tasks. It returns the task's
// ID.
func (e *Emulator) AddTask(t Task) int64 {
	defer e.lock()()
	if t.TaskID == 0 {
		t.TaskID = e.nextTask
		e.nextTask++
	}
	if t.StartTime.IsZero() {
		t.StartTime = e.now()
	}
	t.Status = ""
	e.tasks = append(e.tasks, t)
	return t.TaskID
}

func (e *Emulator) duration(t Task) time.Duration {
	if t.Duration > 0 {
		return t.Duration
	}
	return e.taskDuration
}
