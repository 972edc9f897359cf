package handler

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"redis-restore/events"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

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
	// The restore's life.
	"mode":         "mode",
	"clonetime":    "cloneTime",
	"safetybackup": "safetyBackup",
}

// ParseRequests reads one restore request, or a batch {"restores": [...]},
// as strictly as every trigger reads them. Its errors are failure.Invalid
// and name the field at fault.
func ParseRequests(body []byte) ([]intent.Request, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	return parseRequests(obj)
}

// parseRequests reads the requests of a body already decoded.
func parseRequests(obj fields) ([]intent.Request, error) {
	raw, ok := lookup(obj, "restores")
	if !ok {
		r, err := parseRequest(obj, "")
		if err != nil {
			return nil, err
		}
		return []intent.Request{r}, nil
	}
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
	if len(items) > intent.MaxRestores {
		return nil, invalid("restores", fmt.Sprintf("holds %d restores, at most %d are accepted at once", len(items), intent.MaxRestores))
	}
	out := make([]intent.Request, 0, len(items))
	seen := map[string]int{}
	for i, item := range items {
		prefix := fmt.Sprintf("restores[%d]", i)
		obj, err := decodeObject(item)
		if err != nil {
			return nil, invalid(prefix, failure.As(err).Message)
		}
		r, err := parseRequest(obj, prefix+".")
		if err != nil {
			return nil, err
		}
		// Two restores of one instance in one batch: which should win
		// is a guess, and the second would overwrite the first.
		if j, dup := seen[r.InstanceID]; dup {
			return nil, invalid(prefix+".instanceId",
				fmt.Sprintf("%s is already restored by restores[%d]: one restore per instance in a batch", r.InstanceID, j))
		}
		seen[r.InstanceID] = i
		out = append(out, r)
	}
	return out, nil
}

func parseRequest(obj fields, prefix string) (intent.Request, error) {
	var r intent.Request
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
	if err := r.Validate(); err != nil {
		e := failure.As(err)
		return r, invalid(prefix+e.Field, e.Message)
	}
	return r, nil
}

func setField(r *intent.Request, name string, raw json.RawMessage) error {
	switch name {
	case "dryRun", "force", "safetyBackup":
		v, err := decodeBool(raw)
		if err != nil {
			return err
		}
		switch name {
		case "force":
			r.Force = v
		case "dryRun":
			r.DryRun = v
		default:
			r.SafetyBackup = &v
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
	case "mode":
		r.Mode = strings.ToLower(strings.TrimSpace(s))
	case "before", "cloneTime":
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("must be an RFC 3339 time such as 2026-11-29T03:00:00+08:00")
		}
		if name == "before" {
			r.Before = &t
		} else {
			r.CloneTime = &t
		}
	}
	return nil
}

// decodeBool reads a request's yes/no field, in any of the spellings
// events.Bool takes.
func decodeBool(raw json.RawMessage) (bool, error) {
	var b events.Bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("must be true or false")
	}
	return bool(b), nil
}
