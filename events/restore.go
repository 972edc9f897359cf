package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"redis-restore/internal/failure"
)

// RestoreRequest is one restore, as the contract describes it. It arrives
// with the contract's spellings (instanceId) or the API's (InstanceId).
type RestoreRequest struct {
	InstanceID string     `json:"instanceId"`
	BackupID   string     `json:"backupId"`
	Password   string     `json:"-"` // never marshalled: it must not reach a log or a result
	Region     string     `json:"region,omitempty"`
	Before     *time.Time `json:"before,omitempty"` // with backupId "latest": newest backup started before this
	DryRun     bool       `json:"dryRun,omitempty"`
	// Force overrides the restore budget; only an authenticated webhook
	// may send it.
	Force bool `json:"force,omitempty"`
	Life       // mode, cloneTime, safetyBackup: see lifecycle.go
}

// String leaves the password out, so that printing a request with %v or
// %+v cannot leak it.
func (r RestoreRequest) String() string {
	before := ""
	if r.Before != nil {
		before = r.Before.Format(time.RFC3339)
	}
	pw := ""
	if r.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("{instanceId:%s backupId:%s region:%s before:%s dryRun:%v password:%s}", r.InstanceID, r.BackupID, r.Region, before, r.DryRun, pw)
}

// LatestBackup is the backupId that asks for the newest restorable backup.
const LatestBackup = "latest"

// MaxRestores bounds one batch: each restore is one or more API calls
// against a limit of 20 a second.
const MaxRestores = 100

// The ID checks are plain loops rather than regular expressions: compiling
// `{0,127}` at start-up cost every cold start about two milliseconds.

// validInstanceID: crs- and 4 to 32 lowercase letters or digits.
func validInstanceID(s string) bool {
	rest, ok := strings.CutPrefix(s, "crs-")
	return ok && len(rest) >= 4 && len(rest) <= 32 && all(rest, isLowerOrDigit)
}

// validBackupID: 1 to 128 letters, digits, '_', '.' or '-', starting with a
// letter or digit.
func validBackupID(s string) bool {
	return len(s) >= 1 && len(s) <= 128 && isAlnum(rune(s[0])) &&
		all(s, func(r rune) bool { return isAlnum(r) || r == '_' || r == '.' || r == '-' })
}

// ValidRegion reports whether s is an API region: lowercase words and digits joined by '-', such as
// ap-guangzhou or ap-shanghai-fsi; the first word of 2 or 3 letters.
func ValidRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 2 || len(parts[0]) < 2 || len(parts[0]) > 3 || !all(parts[0], isLower) || !all(parts[1], isLower) || parts[1] == "" {
		return false
	}
	for _, p := range parts[2:] {
		if p == "" || !all(p, isLowerOrDigit) {
			return false
		}
	}
	return true
}

func all(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

func isLower(r rune) bool        { return r >= 'a' && r <= 'z' }
func isLowerOrDigit(r rune) bool { return isLower(r) || (r >= '0' && r <= '9') }
func isAlnum(r rune) bool        { return isLowerOrDigit(r) || (r >= 'A' && r <= 'Z') }

const maxPasswordLen = 256

// requestFields are the keys a restore object may have, by lower-cased
// name. Unknown keys are refused: a misspelt field is more likely a mistake
// than something to ignore, and a restore must not run on a guess.
var requestFields = map[string]string{
	"instanceid": "instanceId",
	"backupid":   "backupId",
	"password":   "password",
	"region":     "region",
	"before":     "before",
	"dryrun":     "dryRun",
	"force":      "force",
	// The restore's life: see lifecycle.go.
	"mode":         "mode",
	"clonetime":    "cloneTime",
	"safetybackup": "safetyBackup",
}

// IsRestoreRequest reports whether a JSON object looks like a restore
// request or a batch of them, as opposed to some other event.
func IsRestoreRequest(obj map[string]json.RawMessage) bool {
	for k := range obj {
		switch strings.ToLower(k) {
		case "restores", "instanceid", "backupid":
			return true
		}
	}
	return false
}

// ParseRestoreRequests decodes one restore request, or a batch
// {"restores": [...]}, and validates every field. Its errors are
// failure.Invalid and name the field at fault.
func ParseRestoreRequests(data []byte) ([]RestoreRequest, error) {
	obj, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	if raw, ok := lookup(obj, "restores"); ok {
		if len(obj) != 1 {
			return nil, invalid("restores", "a batch must hold nothing but \"restores\"")
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, invalid("restores", "must be an array of restore requests")
		}
		if len(items) == 0 {
			return nil, invalid("restores", "is empty")
		}
		if len(items) > MaxRestores {
			return nil, invalid("restores", fmt.Sprintf("holds %d restores, at most %d are accepted at once", len(items), MaxRestores))
		}
		out := make([]RestoreRequest, 0, len(items))
		seen := map[string]int{}
		for i, item := range items {
			r, err := parseOne(item, fmt.Sprintf("restores[%d].", i))
			if err != nil {
				return nil, err
			}
			// Two restores of one instance in one batch: which should win
			// is a guess, and the second would overwrite the first.
			if j, dup := seen[r.InstanceID]; dup {
				return nil, invalid(fmt.Sprintf("restores[%d].instanceId", i),
					fmt.Sprintf("%s is already restored by restores[%d]: one restore per instance in a batch", r.InstanceID, j))
			}
			seen[r.InstanceID] = i
			out = append(out, r)
		}
		return out, nil
	}
	r, err := parseOne(data, "")
	if err != nil {
		return nil, err
	}
	return []RestoreRequest{r}, nil
}

func parseOne(data []byte, prefix string) (RestoreRequest, error) {
	var r RestoreRequest
	obj, err := decodeObject(data)
	if err != nil {
		return r, invalid(strings.TrimSuffix(prefix, "."), failure.As(err).Message)
	}
	seen := map[string]string{}
	for key, raw := range obj {
		name, ok := requestFields[strings.ToLower(key)]
		if !ok {
			return r, invalid(prefix+key, "unknown field (want instanceId, backupId, password, region, before, dryRun, force, mode, cloneTime, safetyBackup)")
		}
		if other, dup := seen[name]; dup {
			return r, invalid(prefix+name, fmt.Sprintf("given twice, as %q and %q", other, key))
		}
		seen[name] = key
		if err := setField(&r, name, raw); err != nil {
			return r, invalid(prefix+name, err.Error())
		}
	}
	return r, r.validate(prefix)
}

func setField(r *RestoreRequest, name string, raw json.RawMessage) error {
	if ok, err := r.Life.set(name, raw); ok {
		return err
	}
	if name == "dryRun" || name == "force" {
		var b Bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return fmt.Errorf("must be true or false")
		}
		if name == "force" {
			r.Force = bool(b)
		} else {
			r.DryRun = bool(b)
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("must be a string")
	}
	switch name {
	case "instanceId":
		r.InstanceID = strings.TrimSpace(s)
	case "backupId":
		r.BackupID = strings.TrimSpace(s)
	case "password":
		r.Password = s
	case "region":
		r.Region = strings.TrimSpace(s)
	case "before":
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("must be an RFC 3339 time such as 2026-11-29T03:00:00+08:00")
		}
		r.Before = &t
	}
	return nil
}

func (r *RestoreRequest) validate(prefix string) error {
	switch {
	case r.InstanceID == "":
		return invalid(prefix+"instanceId", "is required")
	case !validInstanceID(r.InstanceID):
		return invalid(prefix+"instanceId", fmt.Sprintf("%q is not a Redis instance ID (crs-xxxxxxxx)", truncate([]byte(r.InstanceID))))
	case r.BackupID == "":
		return invalid(prefix+"backupId", "is required (a backup ID, or \"latest\")")
	case !strings.EqualFold(r.BackupID, LatestBackup) && !validBackupID(r.BackupID):
		return invalid(prefix+"backupId", fmt.Sprintf("%q is not a backup ID", truncate([]byte(r.BackupID))))
	case r.Region != "" && !ValidRegion(r.Region):
		return invalid(prefix+"region", fmt.Sprintf("%q is not a region such as ap-guangzhou", truncate([]byte(r.Region))))
	case len(r.Password) > maxPasswordLen:
		return invalid(prefix+"password", fmt.Sprintf("is longer than %d characters", maxPasswordLen))
	case r.Before != nil && !strings.EqualFold(r.BackupID, LatestBackup):
		return invalid(prefix+"before", "only goes with backupId \"latest\"")
	}
	if strings.EqualFold(r.BackupID, LatestBackup) {
		r.BackupID = LatestBackup
	}
	return r.Life.validate(prefix)
}

// decodeObject decodes a JSON object into its raw fields, refusing anything
// else (arrays, strings, trailing data) and keys given twice: with a
// repeated key, which value counts is a guess, and a restore must not run
// on a guess.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, invalid("", "empty: want a JSON object")
	}
	if data[0] != '{' {
		return nil, invalid("", "not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, invalid("", "not valid JSON: "+err.Error())
	}
	obj := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("", "not valid JSON: "+err.Error())
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, invalid("", "not valid JSON: "+err.Error())
		}
		if _, dup := obj[key]; dup {
			return nil, invalid(key, "given twice")
		}
		obj[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, invalid("", "not valid JSON: "+err.Error())
	}
	// dec.More would miss a stray '}' or ']' after the object.
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("", "trailing data after the JSON object")
	}
	return obj, nil
}

// lookup finds a key whatever its case.
func lookup(obj map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func invalid(field, msg string) error {
	return failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), failure.Field(field), msg)
}

// Validate checks a request built in code (from an alarm, say) as
// thoroughly as a parsed one.
func (r *RestoreRequest) Validate() error { return r.validate("") }
