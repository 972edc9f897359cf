package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/scfdriver"
)

// approvePlan takes the plan from the function's answer, or from the
// planned message on the queue (an alarm callback's restore is handed off,
// and its answer only says so), and approves it as an operator would: a
// webhook call {"approve": "<token>"}, signed with the approvers' secret
// (RESTORE_APPROVER_SECRET; the webhook's secret cannot approve), through
// API gateway.
func approvePlan(ctx context.Context, fn *scfdriver.Function, answer []byte, queued []cloudemu.Message, env map[string]string) (*scfdriver.Result, error) {
	token, id, err := planToken(answer)
	for _, m := range queued {
		if err == nil {
			break
		}
		var ev struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal([]byte(m.Body), &ev) == nil {
			token, id, err = planToken([]byte(`{"results":[` + string(ev.Data) + `]}`))
		}
	}
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]string{"approve": token})
	ev, _ := json.Marshal(map[string]any{
		"headers": map[string]string{"content-type": "application/json",
			"x-restore-signature": handler.Sign(env["RESTORE_APPROVER_SECRET"], time.Now(), body)},
		"body": string(body), "isBase64Encoded": false, "path": "/restore", "httpMethod": "POST",
	})
	fmt.Printf("\napproving plan %s with a webhook call {\"approve\": \"<its token>\"} signed with the approvers' secret\n", id)
	return invoke(ctx, fn, ev, env, "answer")
}

// planToken finds the first plan's token in an answer, plain or wrapped as
// an API gateway response.
func planToken(answer []byte) (token, id string, err error) {
	var gw struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if json.Unmarshal(answer, &gw) == nil && gw.StatusCode != 0 {
		answer = []byte(gw.Body)
	}
	var resp struct {
		Results []struct {
			Plan *struct {
				ID    string `json:"id"`
				Token string `json:"token"`
			} `json:"plan"`
		} `json:"results"`
	}
	if err := json.Unmarshal(answer, &resp); err != nil {
		return "", "", fmt.Errorf("answer: %v", err)
	}
	for _, r := range resp.Results {
		if r.Plan != nil && r.Plan.Token != "" {
			return r.Plan.Token, r.Plan.ID, nil
		}
	}
	return "", "", fmt.Errorf("the answer holds no plan to approve (is the event one that restores?)")
}
