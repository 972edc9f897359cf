package config

import (
	"fmt"
	"strings"
)

// SecretRef is RESTORE_PASSWORD_SECRET read: an SSM secret's name and,
// after an "@", one of its versions. Without a version the newest one is
// meant: user-defined secrets have no alias for it (SSM_Current is for the
// secrets that cloud products rotate), so it is found by its CreateTime.
type SecretRef struct {
	Name    string
	Version string // "": the newest version
}

func (r SecretRef) String() string {
	if r.Version == "" {
		return r.Name
	}
	return r.Name + "@" + r.Version
}

// SSM's limits (GetSecretValue, CreateSecret): a SecretName has at most 128
// bytes of [A-Za-z0-9_-], a VersionId at most 64 of [A-Za-z0-9._-], each
// beginning with a letter or a digit.
const (
	maxSecretName    = 128
	maxSecretVersion = 64
)

// ParseSecretRef reads "name" or "name@version", refusing what SSM would
// refuse, so that a bad setting is reported before any call.
func ParseSecretRef(s string) (SecretRef, error) {
	name, version, hasVersion := strings.Cut(strings.TrimSpace(s), "@")
	if err := checkSecretPart("secret name", name, maxSecretName, "_-"); err != nil {
		return SecretRef{}, configError("RESTORE_PASSWORD_SECRET", err.Error())
	}
	if hasVersion {
		if err := checkSecretPart("secret version", version, maxSecretVersion, "._-"); err != nil {
			return SecretRef{}, configError("RESTORE_PASSWORD_SECRET", err.Error())
		}
	}
	return SecretRef{Name: name, Version: version}, nil
}

func checkSecretPart(what, s string, maxLen int, punct string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s is empty: want name or name@version", what)
	case len(s) > maxLen:
		return fmt.Errorf("%s has %d bytes, more than SSM's %d", what, len(s), maxLen)
	case !isAlnum(s[0]):
		return fmt.Errorf("%s %q must begin with a letter or a digit", what, s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && !strings.ContainsRune(punct, rune(c)) {
			return fmt.Errorf("%s %q has %q: SSM allows only letters, digits and %s", what, s, c, strings.Join(strings.Split(punct, ""), " "))
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
