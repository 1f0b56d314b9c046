package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRequestIDReachesHandlerLogs checks that a plain handler mounted on the
// server (as the WeChat callbacks are) logs the request's id by logging
// with its context, and that a line naming the id itself is not doubled.
func TestRequestIDReachesHandlerLogs(t *testing.T) {
	out := &lockedBuffer{}
	log := slog.New(LogHandler(slog.NewTextHandler(out, nil)))
	s, err := New(Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	s.Mount("/cb", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "inside the callback", "n", 1)
		log.With("part", "turn").WarnContext(r.Context(), "inside a turn")
		log.InfoContext(r.Context(), "named", "rid", RequestIDFrom(r.Context()))
		log.Info("no context")
	}))
	for _, sent := range []string{"", "proxy-given-id-123"} {
		req := httptest.NewRequest(http.MethodGet, "/cb", nil)
		if sent != "" {
			req.Header.Set("X-Request-ID", sent)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		id := rec.Header().Get("X-Request-ID")
		if id == "" || (sent != "" && id != sent) {
			t.Fatalf("response id %q (sent %q)", id, sent)
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			n := strings.Count(line, "rid=")
			switch {
			case strings.Contains(line, "no context"):
				if n != 0 {
					t.Errorf("a line without context has an id: %s", line)
				}
			case n != 1 || !strings.Contains(line, "rid="+id):
				t.Errorf("line without exactly rid=%s: %s", id, line)
			}
		}
		out.mu.Lock()
		out.b.Reset()
		out.mu.Unlock()
	}
}
