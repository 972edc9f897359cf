package intent

import (
	"strings"
	"testing"
)

// The request's ID rules at their edges: each bound and each character
// class on both sides of its limit, so that a rule loosened or tightened
// by one is seen.
func TestRequestIDsAtTheirBounds(t *testing.T) {
	const backup = "678362566696298532848117"
	cases := []struct {
		field string
		req   Request
		ok    bool
	}{
		{"instanceId", Request{InstanceID: "crs-abcd", BackupID: backup}, true},                         // 4: the shortest
		{"instanceId", Request{InstanceID: "crs-abc", BackupID: backup}, false},                         // 3
		{"instanceId", Request{InstanceID: "crs-" + strings.Repeat("a", 32), BackupID: backup}, true},   // 32: the longest
		{"instanceId", Request{InstanceID: "crs-" + strings.Repeat("a", 33), BackupID: backup}, false},  // 33
		{"instanceId", Request{InstanceID: "crs-az09", BackupID: backup}, true},                         // the classes' ends
		{"instanceId", Request{InstanceID: "crs-`abc", BackupID: backup}, false},                        // before 'a'
		{"instanceId", Request{InstanceID: "crs-{abc", BackupID: backup}, false},                        // after 'z'
		{"instanceId", Request{InstanceID: "crs-/abc", BackupID: backup}, false},                        // before '0'
		{"instanceId", Request{InstanceID: "crs-:abc", BackupID: backup}, false},                        // after '9'
		{"instanceId", Request{InstanceID: "crs-Abcd", BackupID: backup}, false},                        // no capitals
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: "a"}, true},                              // 1: the shortest
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: strings.Repeat("9", 128)}, true},         // 128: the longest
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: strings.Repeat("9", 129)}, false},        // 129
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: "AZaz09_.-"}, true},                      // every class
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: "Z"}, true},                              // a capital first
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: "@a"}, false},                            // before 'A'
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: "[a"}, false},                            // after 'Z'
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: "_a"}, false},                            // '_' not first
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: ".a"}, false},                            // '.' not first
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: "-a"}, false},                            // '-' not first
		{"backupId", Request{InstanceID: "crs-abcd", BackupID: "a/b"}, false},                           // no other sign
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "ap-guangzhou"}, true},     //
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "na-siliconvalley"}, true}, //
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "eur-frankfurt"}, true},    // a first word of 3
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "ap-shanghai-fsi"}, true},  // a third word
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "ap-shanghai-2"}, true},    // digits after the second
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "a-guangzhou"}, false},     // a first word of 1
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "asia-guangzhou"}, false},  // of 4
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "guangzhou"}, false},       // one word
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "ap-"}, false},             // an empty second
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "ap-guangzhou-"}, false},   // an empty third
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "ap-guang2hou"}, false},    // a digit in the second
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "Ap-guangzhou"}, false},    // a capital
		{"region", Request{InstanceID: "crs-abcd", BackupID: backup, Region: "ap-shanghai-Fsi"}, false}, // a capital later
	}
	for _, c := range cases {
		req := c.req
		err := req.Validate()
		if c.ok != (err == nil) {
			t.Errorf("%+v: %v, want valid %v", c.req, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: %v does not name %s", c.req, err, c.field)
		}
	}
}

// Validation normalises the mode: "restore" becomes the default "", and a
// clone stays a clone.
func TestValidateNormalisesTheMode(t *testing.T) {
	for mode, want := range map[string]string{"": "", "restore": "", "clone": "clone"} {
		req := Request{InstanceID: "crs-abcd", BackupID: "latest"}
		req.Mode = mode
		if err := req.Validate(); err != nil || req.Mode != want || req.Clone() != (want == "clone") {
			t.Errorf("mode %q: %v, became %q", mode, err, req.Mode)
		}
	}
}
