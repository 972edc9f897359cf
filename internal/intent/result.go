package intent

// Status is the outcome of one restore, as the contract names it.
type Status string

const (
	Accepted  Status = "accepted"  // RestoreInstance accepted it; TaskID is set
	Duplicate Status = "duplicate" // already started earlier; TaskID is the earlier one
	DryRun    Status = "dry-run"   // everything but RestoreInstance was done
	Skipped   Status = "skipped"   // nothing to do; Reason says why
	Failed    Status = "failed"    // not done; Error says why
	// Unknown: RestoreInstance may have started a restore, and its task
	// could not be found in the time left. Not retried here: a retry of the
	// event looks for the task first. Error says what went wrong.
	Unknown Status = "unknown"
	// Queued: an HTTP call's restore was checked and handed to the
	// function's own asynchronous invocation, whose outcome goes to the
	// queue. The caller is answered at once (Cloud Monitor waits 5 s).
	Queued Status = "queued"
)

// ErrorBody is the contract's error object.
type ErrorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId,omitempty"`
}
