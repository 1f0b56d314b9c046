package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/shianbao/shianbao/internal/app"
)

func runServe(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("serve", e)
	profile := fs.String("pprof", "", "serve Go's profiles (/debug/pprof/) on this address, e.g. 127.0.0.1:6061, to profile the service under load; never on a public address")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"serve takes no arguments"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, app.Options{LogOutput: e.stderr})
	if err != nil {
		return err
	}
	if *profile != "" {
		stop, err := serveProfiles(*profile, e.stderr)
		if err != nil {
			return err
		}
		defer stop()
	}
	return a.Run(ctx)
}

// serveProfiles listens on addr with the profile handlers only, apart from
// the service's own server, so profiling cannot reach its routes (nor
// they the profiles).
func serveProfiles(addr string, errOut io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(errOut, "pprof: %v\n", err)
		}
	}()
	return func() { _ = srv.Close() }, nil
}
