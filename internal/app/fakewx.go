package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/shianbao/shianbao/internal/sim"
)

// FakeWeChat is the simulator's fake WeChat API run as a process of its
// own (`shianbao fakewx`): several instances share it by pointing
// wechat.api_base at it, and its fault knobs (sim.FaultsPath) and record of
// calls (sim.CallsPath) serve fault runs over HTTP.
type FakeWeChat struct {
	API *sim.FakeAPI
	ln  net.Listener
	srv *http.Server
}

// NewFakeWeChat listens on addr. With appID and secret set, token and
// OAuth requests must carry them, as on the platform.
func NewFakeWeChat(addr, appID, secret string) (*FakeWeChat, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	api := sim.NewFakeAPI()
	api.SetApp(appID, secret)
	return &FakeWeChat{API: api, ln: ln, srv: &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.DiscardHandler, slog.LevelWarn),
	}}, nil
}

// URL is the API base instances use (SHIANBAO_WECHAT_API_BASE).
func (f *FakeWeChat) URL() string { return "http://" + loopback(f.ln.Addr().String()) }

// FaultsURL is where the fault knobs are read (GET), changed (POST JSON)
// and cleared (DELETE).
func (f *FakeWeChat) FaultsURL() string { return f.URL() + sim.FaultsPath }

// CallsURL lists the calls received (?path= narrows to one endpoint).
func (f *FakeWeChat) CallsURL() string { return f.URL() + sim.CallsPath }

// Run serves until ctx ends, then lets calls in flight finish.
func (f *FakeWeChat) Run(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(f.ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		f.srv.Close()
	}
	return nil
}
