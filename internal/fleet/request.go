package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/scfdriver"
)

// A fleet request, {"fleet": {...}} (issue 20 item 2), against the same
// account as Run's alarms: one direct invocation of one container admits
// the fleet and hands its members out to the function's own asynchronous
// invocations (SCF Invoke, InvocationType Event), and a watch, also
// asynchronous, reports the fleet's progress until its one completed
// message. The emulator's Invoke delivers every asynchronous invocation
// to the same pool of function processes, each taking one event at a
// time: the containers SCF runs at once (the reserved concurrency).

// RequestOptions are a fleet request's run: Run's options, and the
// request's own.
type RequestOptions struct {
	Options
	// SweepEvery is RESTORE_SWEEP_EVERY, the watch's period (default 1 s:
	// production's minute, shortened so that a run takes seconds).
	SweepEvery time.Duration
	// RetryDelay is the time between two tries of a failed asynchronous
	// invocation (SCF: a minute; default 1 s).
	RetryDelay time.Duration
	// TaskDuration is how long each emulated restore task runs (default 1 s).
	TaskDuration time.Duration
	// Message, if set, is told of each of the fleet's own messages
	// (progress, completed) as it reaches the queue, once each.
	Message func(FleetMessage)
	// Stderr receives the function processes' log lines (nil: discarded).
	Stderr io.Writer
}

// FleetMessage is one of the fleet's own messages on the queue.
type FleetMessage struct {
	ID, Type string // Type without com.tencentcloud.redis.restore.
	FleetID  string
	At       time.Duration
	Step     int
	Status   string
	Counts   Counts
}

// Counts are a progress or completed message's counts.
type Counts struct {
	Total    int `json:"total"`
	Accepted int `json:"accepted"`
	Running  int `json:"running"`
	Done     int `json:"done"`
	Failed   int `json:"failed"`
	NotEnded int `json:"notEnded"`
}

func (c Counts) String() string {
	s := fmt.Sprintf("total %d, accepted %d, running %d, done %d, failed %d", c.Total, c.Accepted, c.Running, c.Done, c.Failed)
	if c.NotEnded > 0 {
		s += fmt.Sprintf(", not ended %d", c.NotEnded)
	}
	return s
}

// RequestResult is what a fleet request's run measured: the alarms'
// figures (Invocations and Redelivered are the asynchronous ones; Statuses
// each member's last result in its hand-off's answer, "none" where no
// answer named it), and the fleet's own.
type RequestResult struct {
	Result
	FleetID       string // the last send's fleet
	Answer        string // the last answer: its fleet's status
	Members       int    // in the last answer
	Handoffs      int    // asynchronous invocations with members (first deliveries)
	Watches       int    // the watch's steps (first deliveries)
	AsyncFailed   int    // asynchronous invocations that failed (each try)
	Progress      int    // distinct progress messages on the queue
	Completed     int    // distinct completed messages (1 a fleet)
	Repeats       int    // messages sent again with an id already sent
	Final         Counts // the completed message's counts, of the last send's fleet
	FinalStatus   string
	LastCompleted time.Duration // from the request to the completed message
	FirstProgress time.Duration // from the request to the first progress message
	// AnsweredAfter is the request's own invocation: the admission and
	// the hand-out; FirstAccepted the first restore the emulator accepted.
	AnsweredAfter, FirstAccepted time.Duration
	// Sends is how often the request was sent: again while the function
	// asked for it (Options.Attempts at most); Answers are its answers.
	Sends   int
	Answers []FleetAnswer
}

// Prefix of the function's message types.
const eventTypePrefix = "com.tencentcloud.redis.restore."

// RunRequest runs one fleet request against a fresh emulator.
func RunRequest(ctx context.Context, o RequestOptions) (RequestResult, error) {
	if o.Binary == "" || o.Instances < 1 || o.Containers < 1 {
		return RequestResult{}, errors.New("fleet: Binary, Instances and Containers are required")
	}
	o.Timeout = cmp.Or(o.Timeout, 60*time.Second)
	o.Attempts = cmp.Or(o.Attempts, 5)
	o.SweepEvery = cmp.Or(o.SweepEvery, time.Second)
	o.RetryDelay = cmp.Or(o.RetryDelay, time.Second)
	o.TaskDuration = cmp.Or(o.TaskDuration, time.Second)
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	res := RequestResult{Result: Result{Instances: o.Instances, Containers: o.Containers, Statuses: map[string]int{}}}

	emu := cloudemu.New(cloudemu.Options{})
	demo := cloudemu.SeedDemo(emu)
	emu.LimitAccount()
	emu.SetTaskDuration(o.TaskDuration)
	emu.SetAsyncRetryDelay(o.RetryDelay)
	url, closeEmu, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		return res, err
	}
	defer closeEmu()

	const function = "redis-restore"
	env := demo.Environment(url)
	delete(env, "RESTORE_PASSWORD")
	env["RESTORE_SAFETY_BACKUP"] = "false"
	env["RESTORE_CONCURRENCY"] = fmt.Sprint(o.Containers)
	env["RESTORE_SWEEP_EVERY"] = o.SweepEvery.String()
	env["SCF_FUNCTIONNAME"], env["SCF_NAMESPACE"] = function, "default"
	if o.QueueAPI != "" {
		env["RESTORE_QUEUE_API"] = o.QueueAPI
	}
	maps.Copy(env, o.Env)
	res.QueueAPI = env["RESTORE_QUEUE_API"]
	emu.AddFunction(cloudemu.Function{Name: function, Runtime: "Go1", Handler: "main", Timeout: int64(o.Timeout / time.Second)})

	now := time.Now()
	ids := addInstances(emu, demo.Region, o.Instances, now)

	fns, err := startContainersTo(ctx, o.Binary, o.Containers, o.Stderr)
	defer func() {
		for _, fn := range fns {
			fn.Close()
		}
	}()
	if err != nil {
		return res, err
	}
	// The pool: a process takes one event at a time, as SCF gives a
	// container; an event waits for a free one, as SCF queues an
	// asynchronous invocation beyond the reserved concurrency.
	pool := make(chan *scfdriver.Function, len(fns))
	for _, fn := range fns {
		pool <- fn
	}
	invoke := func(ctx context.Context, payload []byte) (*scfdriver.Result, error) {
		var fn *scfdriver.Function
		select {
		case fn = <-pool:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { pool <- fn }()
		return fn.Invoke(ctx, scfdriver.Invocation{Payload: payload, Environment: env, Timeout: o.Timeout})
	}

	var (
		mu    sync.Mutex
		last  = map[string]string{}
		fails []string
	)
	emu.SetInvoker(func(_ context.Context, _ string, event []byte) error {
		// The emulator's context carries the function's timeout from the
		// moment of delivery; the wait for a free process is the
		// platform's queue, not the invocation's time.
		r, err := invoke(context.WithoutCancel(ctx), event)
		watch := strings.Contains(string(event), events.FleetWatchField)
		statuses, ierr := asyncOutcome(r, err)
		mu.Lock()
		defer mu.Unlock()
		res.Invocations++
		if ierr != nil {
			res.AsyncFailed++
			if len(fails) < 3 {
				fails = append(fails, ierr.Error())
			}
		}
		if !watch {
			maps.Copy(last, statuses)
		}
		return ierr
	})

	// The fleet's messages as they reach the queue.
	began := time.Now()
	seen := map[string]bool{}
	var order []FleetMessage
	look := func() {
		for _, m := range emu.Messages(demo.Queue) {
			fm, ok := readFleetMessage(m.Body)
			if !ok {
				continue
			}
			if seen[fm.Type+"/"+fm.ID] {
				continue
			}
			seen[fm.Type+"/"+fm.ID] = true
			fm.At = m.Time.Sub(began)
			order = append(order, fm)
			if o.Message != nil {
				o.Message(fm)
			}
		}
	}
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				look()
			}
		}
	}()

	// The request, sent again while the function asks for it (a fleet
	// whose members could not all be handed out in its invocation's
	// time), as its caller would: a direct invocation is not retried by
	// the platform.
	req := fleetRequest(now)
	var aerr error
	for attempt := 1; ; attempt++ {
		logf("fleet request: %s, to one of %d containers (send %d)", req, len(fns), attempt)
		r, err := invoke(ctx, req)
		if err != nil {
			aerr = fmt.Errorf("the fleet request: %w", err)
			break
		}
		after := time.Since(began)
		res.Sends++
		answer, again, err := readFleetAnswer(r)
		answer.After = after
		res.FleetID, res.Answer, res.Members = answer.FleetID, answer.Status, answer.Members
		if attempt == 1 {
			res.AnsweredAfter = after
		}
		res.Answers = append(res.Answers, answer)
		logf("fleet %s: %s, %d members, answered after %s%s", answer.FleetID, answer.Status, answer.Members, after.Round(time.Millisecond), errText(err))
		if !again || attempt >= o.Attempts {
			aerr = err
			break
		}
	}
	// What was handed out runs to its end, and is counted, whatever the
	// last answer said.
	emu.WaitInvocations() // the hand-offs, and the watches' steps to their end
	res.Wall = time.Since(began)
	close(stop)
	<-watched
	look()

	for _, id := range ids {
		s := cmp.Or(last[id], "none")
		res.Statuses[s]++
		if s != "accepted" && s != "duplicate" {
			res.FailedOrUnknown++
		}
	}
	for _, inv := range emu.Invocations() {
		switch {
		case strings.Contains(string(inv.Event), events.FleetWatchField):
			res.Watches++
		default:
			res.Handoffs++
			for i := range res.Answers {
				if inv.Time.Sub(began) <= res.Answers[i].After {
					res.Answers[i].HandOffs++
					break
				}
			}
		}
		if inv.Attempts > 1 {
			res.Redelivered += inv.Attempts - 1
		}
	}
	for _, m := range order {
		switch m.Type {
		case "fleet.progress":
			if res.Progress == 0 {
				res.FirstProgress = m.At
			}
			res.Progress++
		case "fleet.completed":
			res.Completed++
			if m.FleetID == res.FleetID {
				res.Final, res.FinalStatus, res.LastCompleted = m.Counts, m.Status, m.At
			}
		}
	}
	for _, c := range res.judge(emu, demo.Queue, ids, began) {
		if at := c.Time.Sub(began); res.FirstAccepted == 0 || at < res.FirstAccepted {
			res.FirstAccepted = at
		}
	}
	for _, m := range emu.Messages(demo.Queue) {
		if _, ok := readFleetMessage(m.Body); ok {
			res.Repeats++
		}
	}
	res.Repeats -= len(order)
	if len(fails) > 0 {
		logf("fleet: %d asynchronous invocations failed, e.g. %s", res.AsyncFailed, strings.Join(fails, "; "))
	}
	return res, aerr
}

// fleetRequest is the request: every instance of the run, each to its
// newest backup before now, safety backups off, by pattern.
func fleetRequest(now time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"fleet": map[string]any{
		"instances": "crs-fleet*", "before": now.UTC().Format(time.RFC3339), "safetyBackup": false,
	}})
	return b
}

// FleetAnswer is what one answer to the request says of its fleet.
type FleetAnswer struct {
	FleetID, Status string // the fleet's status
	Members         int
	Result          string        // the result's status: accepted, or unknown where the hand-out did not finish
	Error           string        // its error's code, if any
	After           time.Duration // from the first send to this answer
	HandOffs        int           // the members' hand-offs invoked while this send ran
}

// readFleetAnswer reads the request's one result. again says the
// function asks for the request to be sent again (its invocation failed);
// err is any answer but an accepted fleet's.
func readFleetAnswer(r *scfdriver.Result) (a FleetAnswer, again bool, err error) {
	payload := r.Payload
	if r.Error != nil {
		again = true
		i := strings.Index(r.Error.Message, `{"results"`)
		if i < 0 {
			return a, again, fmt.Errorf("the fleet request failed: %.300s", r.Error.Message)
		}
		payload = []byte(r.Error.Message[i:])
	}
	var ans struct {
		Results []struct {
			Status  string `json:"status"`
			FleetID string `json:"fleetId"`
			Fleet   *struct {
				Status  string            `json:"status"`
				Members []json.RawMessage `json:"members"`
			} `json:"fleet"`
			Error *struct{ Code, Message string } `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(payload, &ans); err != nil || len(ans.Results) != 1 || ans.Results[0].Fleet == nil {
		return a, again, fmt.Errorf("the fleet request's answer is not one fleet's result: %.300s", payload)
	}
	one := ans.Results[0]
	a = FleetAnswer{FleetID: one.FleetID, Status: one.Fleet.Status, Members: len(one.Fleet.Members), Result: one.Status}
	switch {
	case one.Error != nil:
		a.Error = one.Error.Code
		return a, again, fmt.Errorf("fleet %s: %s: %s: %.300s", a.FleetID, one.Status, one.Error.Code, one.Error.Message)
	case one.Status != "accepted" || again:
		return a, again, fmt.Errorf("fleet %s was not accepted: %.300s", a.FleetID, payload)
	}
	return a, again, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

// asyncOutcome reads an asynchronous invocation's answer: each member's
// status by instance, and the error that makes the platform try again.
func asyncOutcome(r *scfdriver.Result, err error) (map[string]string, error) {
	if err != nil {
		return nil, err
	}
	payload := r.Payload
	var ierr error
	if r.Error != nil {
		ierr = errors.New(r.Error.Message)
		i := strings.Index(r.Error.Message, `{"results"`)
		if i < 0 {
			return nil, ierr
		}
		payload = []byte(r.Error.Message[i:])
	}
	var ans struct {
		Results []struct {
			InstanceID string `json:"instanceId"`
			Status     string `json:"status"`
		} `json:"results"`
	}
	if json.Unmarshal(payload, &ans) != nil {
		return nil, cmp.Or(ierr, fmt.Errorf("not a list of results: %.200s", payload))
	}
	out := map[string]string{}
	for _, x := range ans.Results {
		if x.InstanceID != "" {
			out[x.InstanceID] = x.Status
		}
	}
	return out, ierr
}

// readFleetMessage reads one of the fleet's own messages; others are not.
func readFleetMessage(body string) (FleetMessage, bool) {
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			FleetID string `json:"fleetId"`
			Step    int    `json:"step"`
			Status  string `json:"status"`
			Counts  Counts `json:"counts"`
			Total   int    `json:"total"` // a fleet that ended at its request
		} `json:"data"`
	}
	if json.Unmarshal([]byte(body), &ev) != nil || !strings.HasPrefix(ev.Type, eventTypePrefix+"fleet.") {
		return FleetMessage{}, false
	}
	m := FleetMessage{ID: ev.ID, FleetID: ev.Data.FleetID, Type: strings.TrimPrefix(ev.Type, eventTypePrefix), Step: ev.Data.Step, Status: ev.Data.Status, Counts: ev.Data.Counts}
	m.Counts.Total = cmp.Or(m.Counts.Total, ev.Data.Total)
	return m, true
}

// startContainersTo is startContainers with the processes' log lines
// going to w.
func startContainersTo(ctx context.Context, bin string, n int, w io.Writer) ([]*scfdriver.Function, error) {
	if w == nil {
		return startContainers(ctx, bin, n)
	}
	fns := make([]*scfdriver.Function, 0, n)
	var errs []error
	for range n {
		fn, err := scfdriver.Start(ctx, scfdriver.Options{Binary: bin, Stderr: w})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fns = append(fns, fn)
	}
	return fns, errors.Join(errs...)
}
