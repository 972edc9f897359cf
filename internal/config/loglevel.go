package config

import (
	"log/slog"
	"strings"
)

// LogLevel reads LOG_LEVEL: debug, info, warn (or warning) or error, in
// any letter case; unset or empty is info. Any other value is an error
// naming the setting, which the caller reports. The function does not
// refuse restores over it (handler: it logs at info and warns on every
// invocation): a log level changes what is said, not what is done, and a
// typo in it must not stop the restores an alarm relies on. A deploy checks
// it before it ships (see cmd/deploy).
func LogLevel(getenv func(string) string) (slog.Level, error) {
	v := strings.TrimSpace(getenv("LOG_LEVEL"))
	switch strings.ToLower(v) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, configError("LOG_LEVEL", "LOG_LEVEL="+quote(v)+" is not a log level: want debug, info, warn or error (logging at info)")
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return `"` + s + `"`
}
