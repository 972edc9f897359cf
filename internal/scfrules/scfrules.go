// Package scfrules holds the SCF rules that both the deploy (checking
// serverless.yml before it calls the API) and the emulator (playing the
// API) apply: one copy, so that the two cannot drift apart.
package scfrules

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

var (
	functionNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$`)
	triggerNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)
	// ReservedEnvPrefixes are the environment prefixes SCF keeps for itself.
	ReservedEnvPrefixes = []string{"SCF_", "QCLOUD_", "TENCENTCLOUD_"}
)

// MaxTimerArgument is a timer's largest CustomArgument, in bytes.
const MaxTimerArgument = 4096

// MaxEnvironment is the most a function's environment variables may hold,
// names and values together, in bytes (SCF's quota page: 4 KB a function).
const MaxEnvironment = 4096

// UpdatableTriggers are the trigger types UpdateTrigger changes: its page
// says "only timer and CKafka triggers" (API 583/96828). Any other, the
// function URL among them, is deleted and created anew.
var UpdatableTriggers = map[string]bool{"timer": true, "ckafka": true}

func check(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

// FunctionName checks a function's name.
func FunctionName(name string) error {
	return check(functionNameRE.MatchString(name), "%q must be 2 to 60 letters, digits, - and _, start with a letter and end with a letter or digit", name)
}

// TriggerName checks a timer's name.
func TriggerName(name string) error {
	return check(triggerNameRE.MatchString(name), "%q must be 1 to 100 letters, digits, - and _, starting with a letter or digit", name)
}

// MemorySize checks a function's memory, in MB.
func MemorySize(mb int64) error {
	return check(mb == 64 || mb >= 128 && mb <= 3072 && mb%128 == 0, "%d MB is not a size SCF offers: 64, or 128 to 3072 in steps of 128", mb)
}

// Timeout checks a function's timeout, in seconds.
func Timeout(s int64) error {
	return check(s >= 1 && s <= 900, "%d s is outside SCF's 1 to 900", s)
}

// EnvKey checks an environment variable's name.
func EnvKey(k string) error {
	for _, p := range ReservedEnvPrefixes {
		if strings.HasPrefix(k, p) {
			return fmt.Errorf("%s: the prefix %s is reserved for the platform", k, p)
		}
	}
	return check(k != "", "an environment variable's name is empty")
}

// Environment checks a function's variables as SCF does: each name (see
// EnvKey), no empty value, at most MaxEnvironment bytes in all.
func Environment(env map[string]string) error {
	size := 0
	for _, k := range sortedKeys(env) {
		if err := EnvKey(k); err != nil {
			return err
		}
		if env[k] == "" {
			return fmt.Errorf("%s: the value is empty; SCF takes no empty value (remove the variable instead)", k)
		}
		size += len(k) + len(env[k])
	}
	return check(size <= MaxEnvironment, "the variables hold %d bytes, names and values together: more than SCF's %d", size, MaxEnvironment)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Description checks a function's description: at most 1000 characters,
// letters, digits, spaces, commas, full stops and Chinese. CreateFunction
// takes line breaks too; UpdateFunctionConfiguration does not (each
// action's parameter page says so), so withLineBreaks is false for the
// description a deploy keeps updating.
func Description(s string, withLineBreaks bool) error {
	if n := len([]rune(s)); n > 1000 {
		return fmt.Errorf("%d characters, more than 1000", n)
	}
	allowed := " ,."
	if withLineBreaks {
		allowed += "\n"
	}
	for _, r := range s {
		ok := r < unicode.MaxASCII && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(allowed, r)) ||
			unicode.Is(unicode.Han, r)
		if !ok {
			return fmt.Errorf("may hold only letters, digits, spaces, commas and full stops (and Chinese), not %q", r)
		}
	}
	return nil
}

// AliasName checks an alias's name, by the function name's rule; $DEFAULT
// and $LATEST are SCF's own.
func AliasName(name string) error {
	return check(functionNameRE.MatchString(name), "%q must be 2 to 60 letters, digits, - and _, start with a letter and end with a letter or digit", name)
}

// Cron reads a timer's TriggerDesc, the expression itself (as requests
// send it) or {"cron":"..."} (as ListTriggers answers it), and returns
// the expression with single spaces; it must have seven fields.
func Cron(desc string) (string, error) {
	cron := strings.TrimSpace(desc)
	if strings.HasPrefix(cron, "{") {
		var d struct {
			Cron string `json:"cron"`
		}
		if err := json.Unmarshal([]byte(cron), &d); err != nil {
			return "", fmt.Errorf("%q is neither a cron expression nor {\"cron\":...}", desc)
		}
		cron = d.Cron
	}
	f := strings.Fields(cron)
	return strings.Join(f, " "), check(len(f) == 7, "%q has %d fields: SCF wants seven (second minute hour day month weekday year)", cron, len(f))
}

// URLDesc is a function URL's TriggerDesc as ListTriggers answers it, in
// the example's field order.
type URLDesc struct {
	AuthType  string `json:"AuthType"`
	NetConfig struct {
		EnableIntranet  bool   `json:"EnableIntranet"`
		IntranetURL     string `json:"IntranetUrl"`
		IntranetHTTPURL string `json:"IntranetHTTPUrl"`
		ExtranetURL     string `json:"ExtranetUrl"`
		ExtranetHTTPURL string `json:"ExtranetHTTPUrl"`
		WssIntranetURL  string `json:"WssIntranetUrl"`
		WsIntranetURL   string `json:"WsIntranetUrl"`
		WssExtranetURL  string `json:"WssExtranetUrl"`
		WsExtranetURL   string `json:"WsExtranetUrl"`
		EnableExtranet  bool   `json:"EnableExtranet"`
	} `json:"NetConfig"`
}

// ZipError is what Handler finds wrong with a deployment zip.
type ZipError struct {
	NoHandler bool // else: the handler is not executable
	msg       string
}

func (e *ZipError) Error() string { return e.msg }

// Handler checks that a zip holds what runtime can start: for Go1, an
// executable named as the handler at its root.
func Handler(zr *zip.Reader, runtime, handler string) error {
	if runtime != "Go1" {
		return nil
	}
	for _, f := range zr.File {
		if f.Name == handler {
			if f.Mode()&0o111 == 0 {
				return &ZipError{msg: fmt.Sprintf("%s in the zip is not executable: Go1 runs it as is (make package sets the bit)", handler)}
			}
			return nil
		}
	}
	return &ZipError{NoHandler: true, msg: fmt.Sprintf("the zip has no %s at its root: Go1 runs the executable named by the handler (make package puts main there)", handler)}
}
