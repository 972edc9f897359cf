package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
)

// result is what restorectl shows of one of the function's results (the
// contract's Result; the rest is in -json).
type result struct {
	InstanceID string `json:"instanceId"`
	BackupID   string `json:"backupId"`
	TaskID     int64  `json:"taskId"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	Error      *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Phase              string   `json:"phase"`
	UndoBackupID       string   `json:"undoBackupId"`
	SafetyBackupTaskID int64    `json:"safetyBackupTaskId"`
	NewInstanceIDs     []string `json:"newInstanceIds"`
	Plan               *struct {
		ID      string `json:"id"`
		Expires string `json:"expires"`
		Token   string `json:"token"`
	} `json:"plan"`
}

// printResults shows the function's answer to a POST (or a refused GET):
// its results as a table, or the answer as it is with -json. A refused
// call or a failed result is an error: the exit code says so.
func (a *app) printResults(r reply, asJSON bool) error {
	var body struct {
		Results []result `json:"results"`
	}
	jerr := json.Unmarshal(r.body, &body)
	if asJSON {
		if err := a.printJSON(r.body); err != nil {
			return err
		}
	} else if jerr != nil || body.Results == nil {
		fmt.Fprintf(a.stdout, "HTTP %d\n%s\n", r.status, bytes.TrimSpace(r.body))
	} else {
		printResultTable(a.stdout, body.Results)
	}
	failed := 0
	for _, res := range body.Results {
		if res.Status == "failed" {
			failed++
		}
	}
	switch {
	case r.status >= 400:
		return fmt.Errorf("the function answered %d %s", r.status, http.StatusText(r.status))
	case jerr != nil:
		return fmt.Errorf("the function's answer (%d) is not JSON: %v", r.status, jerr)
	case failed > 0:
		return fmt.Errorf("%d of %d restores failed", failed, len(body.Results))
	}
	return nil
}

func printResultTable(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tSTATUS\tTASK\tBACKUP\tDETAIL")
	var plans []string
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", dash(r.InstanceID), dash(r.Status), taskID(r.TaskID), dash(r.BackupID), detail(r))
		if r.Plan != nil && r.Plan.Token != "" {
			plans = append(plans, fmt.Sprintf("to apply %s (until %s): restorectl approve %s", r.Plan.ID, r.Plan.Expires, r.Plan.Token))
		}
	}
	tw.Flush()
	for _, p := range plans {
		fmt.Fprintln(w, p)
	}
}

// detail is the one thing a person needs next about a result.
func detail(r result) string {
	var parts []string
	if r.Error != nil {
		parts = append(parts, r.Error.Code+": "+r.Error.Message)
	}
	if r.Phase != "" {
		parts = append(parts, "phase "+r.Phase)
	}
	if r.UndoBackupID != "" {
		parts = append(parts, "undo backup "+r.UndoBackupID)
	}
	if r.SafetyBackupTaskID != 0 {
		parts = append(parts, "safety backup task "+strconv.FormatInt(r.SafetyBackupTaskID, 10))
	}
	if len(r.NewInstanceIDs) > 0 {
		parts = append(parts, "new "+strings.Join(r.NewInstanceIDs, ","))
	}
	if r.Reason != "" {
		parts = append(parts, r.Reason)
	}
	if r.Status == "queued" && len(parts) == 0 {
		parts = append(parts, "handed off: its outcome reaches the queue (-wait waits for the TaskId)")
	}
	return dash(strings.Join(parts, "; "))
}

// printState shows a status answer, field by field in the function's
// order.
func printState(w io.Writer, body []byte) error {
	fields, err := orderedFields(body)
	if err != nil {
		return fmt.Errorf("the function's status answer is not understood: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s\t%s\n", f.key, f.value)
	}
	return tw.Flush()
}

// listRow is one instance's status answer.
type listRow struct {
	instanceID string
	httpStatus int
	body       []byte
}

func printList(w io.Writer, rows []listRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tPHASE\tTASK\tBACKUP\tSTARTED\tENDED\tUNDO")
	for _, row := range rows {
		var st struct {
			Phase        string `json:"phase"`
			TaskID       int64  `json:"taskId"`
			BackupID     string `json:"backupId"`
			UndoBackupID string `json:"undoBackupId"`
			StartedAt    string `json:"startedAt"`
			EndedAt      string `json:"endedAt"`
		}
		switch row.httpStatus {
		case http.StatusOK:
			if err := json.Unmarshal(row.body, &st); err != nil {
				return fmt.Errorf("%s: the function's status answer is not understood: %w", row.instanceID, err)
			}
		case http.StatusNotFound:
			st.Phase = "none (no restore in the last day)"
		default:
			st.Phase = fmt.Sprintf("unknown: HTTP %d %s", row.httpStatus, errorText(row.body))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.instanceID, st.Phase, taskID(st.TaskID), dash(st.BackupID),
			dash(st.StartedAt), dash(st.EndedAt), dash(st.UndoBackupID))
	}
	return tw.Flush()
}

// printListJSON prints one JSON array: each instance's status answer as the
// function gave it, or {"instanceId", "httpStatus", "results"} when it
// answered none.
func printListJSON(w io.Writer, rows []listRow) error {
	out := make([]json.RawMessage, 0, len(rows))
	for _, row := range rows {
		if row.httpStatus == http.StatusOK && json.Valid(row.body) {
			out = append(out, row.body)
			continue
		}
		var answer struct {
			Results json.RawMessage `json:"results"`
		}
		_ = json.Unmarshal(row.body, &answer)
		b, _ := json.Marshal(map[string]any{"instanceId": row.instanceID, "httpStatus": row.httpStatus, "results": answer.Results})
		out = append(out, b)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// errorText is the first result's error of a refused call.
func errorText(body []byte) string {
	var answer struct{ Results []result }
	if json.Unmarshal(body, &answer) != nil || len(answer.Results) == 0 || answer.Results[0].Error == nil {
		return ""
	}
	e := answer.Results[0].Error
	return e.Code + ": " + e.Message
}

// printJSON prints the function's answer, indented.
func (a *app) printJSON(body []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		fmt.Fprintf(a.stdout, "%s\n", body)
		return fmt.Errorf("the function's answer is not JSON: %w", err)
	}
	_, err := fmt.Fprintf(a.stdout, "%s\n", buf.Bytes())
	return err
}

type field struct{ key, value string }

// orderedFields reads a JSON object's fields in the order sent; a value
// that is not a string is shown as compact JSON.
func orderedFields(body []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var out []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var buf bytes.Buffer
			_ = json.Compact(&buf, raw)
			s = buf.String()
		}
		out = append(out, field{key, s})
	}
	return out, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func taskID(id int64) string {
	if id == 0 {
		return "-"
	}
	return strconv.FormatInt(id, 10)
}
