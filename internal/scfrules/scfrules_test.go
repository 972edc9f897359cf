package scfrules

import (
	"strings"
	"testing"
)

func TestEnvironment(t *testing.T) {
	full := map[string]string{"RESTORE_QUEUE": strings.Repeat("q", MaxEnvironment-len("RESTORE_QUEUE"))}
	if err := Environment(full); err != nil {
		t.Errorf("exactly 4 KB: %v", err)
	}
	full["RESTORE_QUEUE"] += "q"
	if err := Environment(full); err == nil || !strings.Contains(err.Error(), "4097 bytes") {
		t.Errorf("one byte over: %v", err)
	}
	if err := Environment(map[string]string{"RESTORE_DRY_RUN": ""}); err == nil || !strings.Contains(err.Error(), "RESTORE_DRY_RUN: the value is empty") {
		t.Errorf("an empty value: %v", err)
	}
	if err := Environment(map[string]string{"SCF_X": "1"}); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("a reserved name: %v", err)
	}
}

func TestDescription(t *testing.T) {
	for s, lineBreaks := range map[string]bool{"Restores Redis. Code sha256 0a": false, "Restores Redis\nCode sha256 0a": true, "还原 Redis": false} {
		if err := Description(s, lineBreaks); err != nil {
			t.Errorf("%q (line breaks %v): %v", s, lineBreaks, err)
		}
	}
	for s, lineBreaks := range map[string]bool{"Restores Redis\nCode sha256 0a": false, "restores: redis": true, strings.Repeat("a", 1001): true} {
		if err := Description(s, lineBreaks); err == nil {
			t.Errorf("%q (line breaks %v) passed", s[:min(len(s), 30)], lineBreaks)
		}
	}
}
