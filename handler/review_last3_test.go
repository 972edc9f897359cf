package handler_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Review of 440362f: WatchFleet reads a member out of sight by its ID,
// and any error other than Forbidden or NotFound fails the whole step.
// Under the least-privilege role (region-wide lists refused), one member
// that left the allow-list and whose by-ID reads answer another error
// (here FailedOperation, an Upstream error; an isolated instance's
// ResourceUnavailable.* is Unavailable alike), every step fails, for
// every step of the watch's life: the fleet's progress and its one
// completed message are never sent, although every member ended (the
// same fleet completed before 440362f, the member counted by what was
// seen). One member's unreadable lists hold up the whole fleet's end.
func TestReviewLast3OneOutOfSightMembersReadErrorNeverFailsEveryFleetStep(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 2)
	left := e.ids[1]
	next := e.emu
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-TC-Action") {
		case "DescribeTaskList", "DescribeInstanceBackups":
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var p struct{ InstanceId string }
			_ = json.Unmarshal(body, &p)
			switch {
			case p.InstanceId == left:
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"Response":{"Error":{"Code":"FailedOperation","Message":"the instance's lists cannot be read now"},"RequestId":"r-1"}}`)
				return
			case p.InstanceId == "" || !strings.HasPrefix(p.InstanceId, "crs-fleet"):
				// the role make policy writes: no region-wide list
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"Response":{"Error":{"Code":"UnauthorizedOperation","Message":"not authorized (redis:%s)"},"RequestId":"cam-1"}}`, r.Header.Get("X-TC-Action"))
				return
			}
		}
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	first := restoreHoldingWatch(t, e)
	// Now under the least-privilege role, and the second member leaves
	// the allow-list; its by-ID reads fail.
	e.vars["TENCENTCLOUD_ENDPOINT_URL"] = srv.URL
	e.vars["RESTORE_ALLOWED_INSTANCES"] = e.ids[0]
	_, _ = watchAhead(e, first, 46*time.Minute) // past any member's time to start
	if c := e.fleetMessages()["fleet.completed"]; len(c) == 0 {
		t.Errorf("every member ended, one of them out of sight with unreadable lists: no completed message (messages %s); the step failed, and so will every later one", types(e.messages()))
	}
}
