// Package web is the HTTP face of the service: the Echo server, its
// middleware (request id, panic recovery, body limit, access log, metrics),
// the one error handler that turns error kinds into status codes and JSON
// or HTML bodies, health endpoints, and the routes of the features.
package web

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

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
}

// Server routes HTTP requests.
type Server struct {
	echo    *echo.Echo
	log     *slog.Logger
	pages   *template.Template
	metrics *httpMetrics
	opts    Options
	console *Console
}

// New builds the server and its base routes. Features add theirs with Group.
func New(opts Options) (*Server, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = prometheus.NewRegistry()
	}
	// Templates are parsed once at start-up: a broken template stops the
	// service from starting instead of failing a user's request later.
	pages, err := template.ParseFS(templates.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{echo: echo.New(), log: opts.Log, pages: pages, opts: opts}
	s.metrics, err = newHTTPMetrics(opts.Metrics)
	if err != nil {
		return nil, err
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestID, s.accessLog, s.recoverPanic, s.bodyLimit(opts.BodyLimit))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(metricsHandler(opts.Metrics)))
	return s, nil
}

// Echo exposes the router so feature packages' handlers can be mounted by
// the app. Only this package and the app touch Echo.
func (s *Server) Echo() *echo.Echo { return s.echo }

// Handler returns the server as an http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

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
