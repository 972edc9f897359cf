package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Where restorectl finds the function and its secret. A flag wins over the
// environment, which wins over the profile file.
const (
	envURL       = "RESTORECTL_URL"        // the function URL (or API gateway path)
	envSecret    = "RESTORECTL_SECRET"     // the function's RESTORE_WEBHOOK_SECRET
	envBasicAuth = "RESTORECTL_BASIC_AUTH" // user:password, the function's RESTORE_WEBHOOK_BASIC_AUTH
	envProfile   = "RESTORECTL_PROFILE"    // the profile's name; default "default"
	envConfig    = "RESTORECTL_CONFIG"     // the profile file; default <user config dir>/restorectl/config
)

// settings is one function to talk to, and how to prove who we are.
type settings struct {
	URL       string
	Secret    string   // signs requests (X-Restore-Signature), as the contract says
	BasicAuth string   // user:password, for a function that takes only basic auth
	Instances []string // what `list` shows when given none
	source    map[string]string
}

// profileKeys are what a profile may set.
var profileKeys = map[string]bool{"url": true, "secret": true, "basic_auth": true, "instances": true}

// loadSettings reads the profile file (if any), then the environment, then
// the -url flag.
func loadSettings(getenv func(string) string, configFile, profile, urlFlag string) (settings, error) {
	var s settings
	s.source = map[string]string{}
	explicit := profile != "" || getenv(envProfile) != ""
	profile = first(profile, getenv(envProfile), "default")
	file, err := profileFile(getenv, configFile)
	if err != nil {
		return s, err
	}
	values, err := readProfile(file, profile)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	case errors.Is(err, fs.ErrNotExist):
		return s, fmt.Errorf("profile %q: %s does not exist", profile, file)
	case err != nil:
		return s, err
	case values == nil && explicit:
		return s, fmt.Errorf("profile %q: %s has no [%s] section", profile, file, profile)
	}
	set := func(dst *string, key, env, flag string) {
		if v, ok := values[key]; ok {
			*dst, s.source[key] = v, file+" ["+profile+"]"
		}
		if v := getenv(env); v != "" {
			*dst, s.source[key] = v, env
		}
		if flag != "" {
			*dst, s.source[key] = flag, "-url"
		}
	}
	set(&s.URL, "url", envURL, urlFlag)
	set(&s.Secret, "secret", envSecret, "")
	set(&s.BasicAuth, "basic_auth", envBasicAuth, "")
	for _, id := range strings.Split(values["instances"], ",") {
		if id = strings.TrimSpace(id); id != "" {
			s.Instances = append(s.Instances, id)
		}
	}
	return s, s.check()
}

func (s settings) check() error {
	if s.URL == "" {
		return fmt.Errorf("no function URL: set %s, -url, or url in a profile (see restorectl -h)", envURL)
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("function URL %q (from %s): want https://<host>[/path]", s.URL, s.source["url"])
	}
	if s.Secret == "" && s.BasicAuth == "" {
		return fmt.Errorf("no credentials: set %s (the function's RESTORE_WEBHOOK_SECRET) or %s (user:password), or secret/basic_auth in a profile", envSecret, envBasicAuth)
	}
	if s.BasicAuth != "" && !strings.Contains(s.BasicAuth, ":") {
		return fmt.Errorf("basic auth (from %s): want user:password", s.source["basic_auth"])
	}
	return nil
}

func profileFile(getenv func(string) string, flag string) (string, error) {
	if f := first(flag, getenv(envConfig)); f != "" {
		return f, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no profile file: %w (set %s)", err, envConfig)
	}
	return filepath.Join(dir, "restorectl", "config"), nil
}

// readProfile reads one [section] of an INI-like file:
//
//	[default]
//	url = https://1252068037-a1b2c3d4e5.gz.tencentscf.com/
//	secret = ...
//	instances = crs-5a4py64p, crs-1amp2588
//
// A file that holds a secret must be private to its owner (as ssh asks of
// a key): a secret others can read is refused, naming the file.
func readProfile(file, profile string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var values map[string]string
	section, secrets := "", false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
			if section == profile {
				values = map[string]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch {
		case !ok || section == "":
			return nil, fmt.Errorf("%s:%d: want key = value inside a [profile] section", file, n)
		case !profileKeys[k]:
			return nil, fmt.Errorf("%s:%d: unknown key %q (want url, secret, basic_auth, instances)", file, n, k)
		}
		secrets = secrets || k == "secret" || k == "basic_auth"
		if section == profile {
			values[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if secrets && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s holds a secret and others may read it (mode %v): chmod 600 %s", file, info.Mode().Perm(), file)
	}
	return values, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
