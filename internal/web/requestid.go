package web

import (
	"context"
	"log/slog"
)

// requestIDCtxKey carries the request id in the request's context, so code
// below the web layer (the WeChat callbacks, the bot, the services) logs it
// by logging with the context, without knowing about HTTP.
type requestIDCtxKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDCtxKey{}, id)
}

// RequestIDFrom returns the request id ctx carries, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDCtxKey{}).(string)
	return id
}

// LogHandler adds "rid", the request id, to every record logged with a
// context that carries one (log.InfoContext(ctx, ...)) and does not name
// it already: one id ties a page's or a callback's log lines together.
func LogHandler(h slog.Handler) slog.Handler { return ridHandler{h} }

type ridHandler struct{ slog.Handler }

func (h ridHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestIDFrom(ctx); id != "" && !hasAttr(r, "rid") {
		r = r.Clone()
		r.AddAttrs(slog.String("rid", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h ridHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ridHandler{h.Handler.WithAttrs(as)}
}
func (h ridHandler) WithGroup(name string) slog.Handler { return ridHandler{h.Handler.WithGroup(name)} }

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}
