package handler

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"redis-restore/events"
	"redis-restore/internal/intent"
)

// alarmCallback is a Cloud Monitor alarm that came over HTTP (function URL
// or API gateway).
type alarmCallback struct {
	sessionID string
}

// noteAlarmCallback remembers, for the answer, that an authenticated HTTP
// body is a Cloud Monitor alarm.
func (inv *invocation) noteAlarmCallback(b body) {
	if k, err := bodyKind(b.obj); b.err != nil || err != nil || k != Alarm {
		return
	}
	// A sessionId that does not decode is answered as a failed request by
	// the alarm's own decoding; only the sessionId matters here.
	var id events.String
	if raw, ok := lookup(b.obj, "sessionId"); ok {
		_ = json.Unmarshal(raw, &id)
	}
	inv.callback = &alarmCallback{sessionID: string(id)}
}

// callbackBody is the answer to a Cloud Monitor alarm callback: the
// contract's results, with the sessionId echoed and retCode 0. The older
// callback document sends a notification again (up to 3 times) unless it
// gets exactly that; the current one wants HTTP 200.
type callbackBody struct {
	SessionID string          `json:"sessionId"`
	RetCode   int             `json:"retCode"`
	Results   []intent.Result `json:"results"`
}

// callbackResponse answers an alarm callback with 200 whatever its results
// say. Sending the alarm again could not help: a restore that failed for a
// lasting reason fails again, and a transient one is retried within the
// invocation already; what happened is in the results, the logs and the
// queue's failed message.
func (inv *invocation) callbackResponse(results []intent.Result) events.APIGatewayResponse {
	if failed := httpStatus(results); failed >= 400 {
		inv.log.Warn("callback.failed", "detail", "alarm callback answered 200 although its restore failed", "status", failed)
	}
	return jsonResponse(http.StatusOK, callbackBody{SessionID: inv.callback.sessionID, RetCode: 0, Results: results})
}

// isCallbackCheck reports whether an authenticated HTTP body is Cloud
// Monitor checking a callback address: saving one sends a call that must
// be answered 200 (platform-2026.md §4), and it carries no alarm and no
// request: an empty body, {}, or only the notification's sessionId (and
// its newer twin alertId). Anything else goes on to be read as a request,
// so that a request with a misspelt field is still refused (400).
func isCallbackCheck(b body) bool {
	if len(bytes.TrimSpace(b.data)) == 0 {
		return true
	}
	if b.err != nil {
		return false
	}
	for k, v := range b.obj {
		switch strings.ToLower(k) {
		case "sessionid", "alertid":
			var s events.String
			if json.Unmarshal(v, &s) != nil {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// callbackCheck answers Cloud Monitor's check of a callback address: 200,
// the sessionId echoed with retCode 0, no results; nothing is restored.
func (inv *invocation) callbackCheck(b body) events.APIGatewayResponse {
	var id events.String
	if raw, ok := lookup(b.obj, "sessionId"); ok {
		_ = json.Unmarshal(raw, &id) // isCallbackCheck decoded it already
	}
	inv.log.Info("callback.check", "detail", "an authenticated call with no alarm and no request: answered 200, nothing done",
		"sessionId", string(id), "bodyBytes", len(b.data))
	return jsonResponse(http.StatusOK, callbackBody{SessionID: string(id), RetCode: 0, Results: []intent.Result{}})
}
