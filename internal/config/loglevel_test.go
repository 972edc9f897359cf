package config_test

import (
	"log/slog"
	"strings"
	"testing"

	"redis-restore/internal/config"
)

func TestLogLevel(t *testing.T) {
	for v, want := range map[string]slog.Level{
		"": slog.LevelInfo, "info": slog.LevelInfo, "INFO": slog.LevelInfo, " Debug ": slog.LevelDebug,
		"warn": slog.LevelWarn, "Warning": slog.LevelWarn, "error": slog.LevelError,
	} {
		got, err := config.LogLevel(func(string) string { return v })
		if err != nil || got != want {
			t.Errorf("LOG_LEVEL=%q: %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"verbose", "0", "trace", "warn,error"} {
		got, err := config.LogLevel(func(string) string { return v })
		if err == nil || got != slog.LevelInfo || !strings.Contains(err.Error(), "LOG_LEVEL") || !strings.Contains(err.Error(), v) {
			t.Errorf("LOG_LEVEL=%q: %v, %v; want info and an error naming it", v, got, err)
		}
	}
}
