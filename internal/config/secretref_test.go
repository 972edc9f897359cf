package config

import (
	"strings"
	"testing"

	"redis-restore/internal/failure"
)

func TestParseSecretRef(t *testing.T) {
	good := map[string]SecretRef{
		"redis-restore-passwords":   {Name: "redis-restore-passwords"},
		"redis_restore@v3":          {Name: "redis_restore", Version: "v3"},
		"0pw@2026.11.29-rotation_1": {Name: "0pw", Version: "2026.11.29-rotation_1"},
		" pw ":                      {Name: "pw"},
		strings.Repeat("a", 128) + "@" + strings.Repeat("b", 64): {Name: strings.Repeat("a", 128), Version: strings.Repeat("b", 64)},
	}
	for in, want := range good {
		got, err := ParseSecretRef(in)
		if err != nil || got != want {
			t.Errorf("ParseSecretRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"redis-restore/passwords":       `has '/'`,
		"-passwords":                    "must begin with a letter or a digit",
		"_pw":                           "must begin with a letter or a digit",
		"pw.v1":                         `has '.'`,
		"pw@":                           "secret version is empty",
		"@v1":                           "secret name is empty",
		"pw@.v1":                        "must begin with a letter or a digit",
		"pw@v1/2":                       `has '/'`,
		"pw@v1@v2":                      `has '@'`,
		strings.Repeat("a", 129):        "129 bytes",
		"pw@" + strings.Repeat("b", 65): "65 bytes",
		"密码":                            "must begin with a letter or a digit",
	}
	for in, reason := range bad {
		_, err := ParseSecretRef(in)
		if err == nil {
			t.Errorf("ParseSecretRef(%q) passed", in)
			continue
		}
		e := failure.As(err)
		if e.Kind != failure.Config || e.Field != "RESTORE_PASSWORD_SECRET" || !strings.Contains(e.Message, reason) {
			t.Errorf("ParseSecretRef(%q): %v (field %q), want the reason %q", in, err, e.Field, reason)
		}
	}
}

func TestLoadRefusesABadSecretName(t *testing.T) {
	_, err := Load(func(k string) string {
		if k == "RESTORE_PASSWORD_SECRET" {
			return "redis-restore/passwords"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "RESTORE_PASSWORD_SECRET") {
		t.Fatalf("Load: %v, want a refusal naming RESTORE_PASSWORD_SECRET", err)
	}
}
