// Package web is the HTTP face of the service: the Echo server, its
// middleware (request id, panic recovery, body limit, access log, metrics),
// the one error handler that turns error kinds into status codes and JSON
// or HTML bodies, health endpoints, console sessions and the signed-in
// user of a request. The audiences' handlers live beside it: the console
// (web/console), the JSON API (web/api) and the pages opened from WeChat
// (web/h5); internal/app wires them onto the Server.
package web

import (
	"context"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shianbao/shianbao/internal/errs"

	"github.com/shianbao/shianbao/templates"
)

// Checker is something /readyz must reach (the database, the kv store).
type Checker interface {
	Ping(ctx context.Context) error
}

// Options configures the server.
type Options struct {
	BodyLimit int64
	Log       *slog.Logger
	// Metrics is where HTTP metrics are registered and what /metrics serves.
	Metrics *prometheus.Registry
	// Ready lists the dependencies /readyz checks, by name.
	Ready map[string]Checker
	// TrustedProxies are the reverse proxies whose X-Real-IP and
	// X-Forwarded-For name the client; with none, the connection's
	// address is the client's and those headers are ignored.
	TrustedProxies []*net.IPNet
	// MetricsAllow limits /metrics to clients in these networks; empty
	// leaves it open.
	MetricsAllow []*net.IPNet
}

// Server routes HTTP requests.
type Server struct {
	echo    *echo.Echo
	log     *slog.Logger
	pages   *template.Template
	metrics *httpMetrics
	opts    Options
}

// New builds the server and its base routes. The audiences add theirs on
// Router.
func New(opts Options) (*Server, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = prometheus.NewRegistry()
	}
	sets, err := templates.Load()
	if err != nil {
		return nil, err
	}
	s := &Server{echo: echo.New(), log: opts.Log, pages: sets.Pages, opts: opts}
	s.metrics, err = newHTTPMetrics(opts.Metrics)
	if err != nil {
		return nil, err
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = clientIP(opts.TrustedProxies)
	e.Use(s.requestID, s.accessLog, s.recoverPanic, s.bodyLimit(opts.BodyLimit), h5Headers)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(metricsHandler(opts.Metrics)), allowFrom(opts.MetricsAllow))
	return s, nil
}

// Handler returns the server as an http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Router is where the audiences (web/console, web/api, web/h5) add their
// routes.
func (s *Server) Router() *echo.Echo { return s.echo }

// Mount serves h at path for the given methods (all when none are given).
// Platform callbacks and the simulator are plain http.Handlers; mounting
// them here keeps Echo inside this package and gives them the request id,
// access log, metrics and panic recovery of every other route.
func (s *Server) Mount(path string, h http.Handler, methods ...string) {
	wrapped := echo.WrapHandler(h)
	if len(methods) == 0 {
		s.echo.Any(path, wrapped)
		return
	}
	for _, m := range methods {
		s.echo.Add(m, path, wrapped)
	}
}

// MountPrefix serves h for every path under prefix (prefix itself included).
func (s *Server) MountPrefix(prefix string, h http.Handler) {
	wrapped := echo.WrapHandler(h)
	s.echo.Any(prefix, wrapped)
	s.echo.Any(prefix+"/*", wrapped)
}

// clientIP is who a request comes from, as Context.RealIP reports it: the
// connection's address, or — when that address is one of the trusted
// proxies — the client the proxy names: its X-Real-IP, or else the last
// address in X-Forwarded-For that is not itself a trusted proxy. A header
// from anyone else is ignored, so a client cannot choose the address that
// sign-in limits count against.
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	// Echo trusts loopback and private networks unless told otherwise;
	// only the configured proxies are trusted here.
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	realIP, forwarded := echo.ExtractIPFromRealIPHeader(opts...), echo.ExtractIPFromXFFHeader(opts...)
	return func(r *http.Request) string {
		if r.Header.Get(echo.HeaderXRealIP) != "" {
			return realIP(r)
		}
		return forwarded(r)
	}
}

// allowFrom admits only clients in nets (all when nets is empty); others
// get 403.
func allowFrom(nets []*net.IPNet) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if len(nets) == 0 {
				return next(c)
			}
			if ip := net.ParseIP(c.RealIP()); ip != nil {
				for _, n := range nets {
					if n.Contains(ip) {
						return next(c)
					}
				}
			}
			return errs.E(errs.Forbidden, "此地址无权访问该页面。")
		}
	}
}

// h5Headers sets what every H5 page needs whatever answers it, error
// pages included: no referrer, so the signed link in the address bar never
// leaks to another site a page links to or loads from.
func h5Headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p := c.Request().URL.Path; strings.HasPrefix(p, "/h5/") || strings.HasPrefix(p, "/c/") {
			c.Response().Header().Set("Referrer-Policy", "no-referrer")
		}
		return next(c)
	}
}
