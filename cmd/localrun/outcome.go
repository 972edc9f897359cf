package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"redis-restore/internal/scfdriver"
)

// outcome says whether an invocation did what it was asked: nil, or why
// not. The function failing, an HTTP error answer (a refused caller, a bad
// request) and a restore that failed or whose outcome is unknown all make
// make run exit non-zero; a dry run, a plan, a skip or a duplicate do not.
func outcome(res *scfdriver.Result) error {
	if res.Error != nil {
		return fmt.Errorf("the function failed: %s: %s", res.Error.Type, res.Error.Message)
	}
	body := res.Payload
	var gw struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if json.Unmarshal(body, &gw) == nil && gw.StatusCode != 0 {
		if gw.StatusCode >= 400 {
			return fmt.Errorf("the function answered HTTP %d: %s", gw.StatusCode, strings.TrimSpace(gw.Body))
		}
		body = []byte(gw.Body)
	}
	var answer struct {
		Results []struct {
			InstanceID string `json:"instanceId"`
			Status     string `json:"status"`
			Error      *struct {
				Code, Message string
			} `json:"error"`
		} `json:"results"`
	}
	if json.Unmarshal(body, &answer) != nil {
		return nil // not a list of results (a status answer, say): nothing to judge
	}
	var bad []string
	for _, r := range answer.Results {
		if r.Status != "failed" && r.Status != "unknown" {
			continue
		}
		msg := fmt.Sprintf("%s %s", cmp.Or(r.InstanceID, "a restore"), r.Status)
		if r.Error != nil {
			msg += fmt.Sprintf(" (%s: %s)", r.Error.Code, r.Error.Message)
		}
		bad = append(bad, msg)
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// failures collects what the handed-off invocations got wrong.
type failures struct {
	mu   sync.Mutex
	errs []error
}

func (f *failures) add(err error, res *scfdriver.Result) {
	if err == nil && res != nil {
		err = outcome(res)
	}
	if err != nil {
		f.mu.Lock()
		f.errs = append(f.errs, fmt.Errorf("handed-off invocation: %w", err))
		f.mu.Unlock()
	}
}

func (f *failures) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return errors.Join(f.errs...)
}
