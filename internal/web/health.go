package web

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"
)

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz checks every dependency with a short deadline; a load balancer
// takes the instance out while the database or kv store is unreachable.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	names := make([]string, 0, len(s.opts.Ready))
	for n := range s.opts.Ready {
		names = append(names, n)
	}
	sort.Strings(names)
	checks := map[string]string{}
	status := http.StatusOK
	for _, n := range names {
		if err := s.opts.Ready[n].Ping(ctx); err != nil {
			checks[n] = "unreachable"
			status = http.StatusServiceUnavailable
			s.log.Warn("readiness check failed", "check", n, "err", err.Error())
			continue
		}
		checks[n] = "ok"
	}
	word := "ready"
	if status != http.StatusOK {
		word = "not ready"
	}
	return c.JSON(status, map[string]any{"status": word, "checks": checks})
}
