package handler

import (
	"io"
	"log/slog"
	"strings"
)

// NewLogger writes JSON lines, one per event, which SCF's log service
// indexes by field. Each line's msg is a stable dotted key (restore.accepted,
// webhook.refused, ...) for queries and alarms; the sentence a person reads
// is in detail (docs/operations.md lists the keys). level may be a
// *slog.LevelVar, which Handler.Level sets from LOG_LEVEL per invocation.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: RedactAttr}))
}

// RedactAttr blanks any attribute whose name says it holds a secret: a
// safety net under the rule that secrets are never logged at all.
func RedactAttr(_ []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	for _, s := range []string{"password", "secret", "token", "authorization", "signature"} {
		if strings.Contains(k, s) {
			return slog.String(a.Key, "[redacted]")
		}
	}
	return a
}
