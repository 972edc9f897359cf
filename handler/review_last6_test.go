package handler_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// Review of cc4438c: observe.Reader.Add now reads the out-of-sight
// member's instance (DescribeInstances by its ID) before its tasks and
// safety backups, and puts it in the world.

// Before cc4438c Add read the out-of-sight member's tasks and safety
// backups, and the judge counted a member whose restore task succeeded,
// its instance no longer read, done ("judged by its own task",
// judgeMember's in.ID == "" case: "out of the allow-list since, or
// gone"). Now Add reads its instance first and puts it in the world, with
// whatever status it has out there. An instance gone since its restore
// (isolated into the recycle bin: DescribeInstances still lists it, with
// Status -2, for days) is no longer "not read": in.ID is set, it is not
// running, no task followed the restore, and 30 minutes after the
// restore's end the judge says "succeeded, and not running long after":
// FAILED, where the same watch said done before, for a restore the fleet
// really did and that succeeded. (Before 30 minutes it says running, and
// the fleet does not complete until it flips to failed.) The instance's
// status out of the allow-list is not the restore's outcome; where it
// does not serve for a reason of its own (isolated, being deleted) it
// must not turn the member's succeeded restore into a failure.
func TestReviewLast6OutOfSightMemberIsolatedSinceItsRestoreIsCountedFailed(t *testing.T) {
	t.Parallel()
	counts, members := outOfSightFleet(t, func(ids []string, w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if len(ids) != 1 || ids[0] == "crs-fleet0001" {
			return false
		}
		// The emulator's answer, with the instance isolated (Status -2,
		// as DescribeInstances lists an instance in the recycle bin).
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var resp map[string]map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Errorf("DescribeInstances' answer: %v", err)
			return false
		}
		set, _ := resp["Response"]["InstanceSet"].([]any)
		for _, in := range set {
			in.(map[string]any)["Status"] = -2
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
		return true
	})
	if counts["done"] != float64(2) {
		t.Errorf("a member restored by the fleet (its task succeeded), then isolated and out of the allow-list: the fleet completed %v, members %v; want done 2 (before cc4438c: done 2)", counts, members)
	}
}

// Add now makes three reads where it made two, and the first (the
// instance, which only adds its status and mark) gates the other two:
// where it fails, Add returns before reading the member's tasks, and the
// member is judged without them: "never started", FAILED with no TaskId,
// although its task list (the one read that says what the fleet did)
// could be read, as it was before cc4438c. Here CAM refuses
// DescribeInstances by the member's ID (a role whose DescribeInstances
// grant names fewer instances than its DescribeTaskList grant, or none
// for an instance that left the allow-list), while the task and backup
// lists of the member are still granted. The instance read is optional
// for the judge (a member not read is judged by its own task): its
// failure must not throw away the reads that tell the member's restore.
func TestReviewLast6OutOfSightMemberWhoseInstanceReadIsRefusedLosesItsTask(t *testing.T) {
	t.Parallel()
	counts, members := outOfSightFleet(t, func(ids []string, w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if slices.Contains(ids, "crs-fleet0001") {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"Response":{"Error":{"Code":"UnauthorizedOperation","Message":"you are not authorized to perform operation (redis:DescribeInstances) on resource (instance/%s)"},"RequestId":"cam-2"}}`, strings.Join(ids, ","))
		return true
	})
	if counts["done"] != float64(2) {
		t.Errorf("a member restored by the fleet, then out of the allow-list, its task list granted but DescribeInstances by its ID refused: the fleet completed %v, members %v; want done 2 (before cc4438c, which read only its tasks and backups: done 2)", counts, members)
	}
}
