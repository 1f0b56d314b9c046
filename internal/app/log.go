package app

import (
	"io"
	"log/slog"
	"strings"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/web"
)

// NewLogger builds the structured logger. Features log ids and hashes,
// never message bodies, names or phone numbers.
func NewLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(c.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	// Lines logged with a request's context carry its id.
	if c.Format == "json" {
		return slog.New(web.LogHandler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(web.LogHandler(slog.NewTextHandler(w, opts)))
}
