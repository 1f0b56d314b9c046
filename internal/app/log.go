package app

import (
	"io"
	"log/slog"
	"strings"

	"github.com/shianbao/shianbao/internal/config"
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
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
