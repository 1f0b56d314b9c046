package main

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/app"
)

// runFakeWX runs the simulator's fake WeChat API alone, for several
// instances to share in fault runs (docs/BENCHMARKS.md).
func runFakeWX(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("fakewx", e)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"fakewx takes no arguments"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	fake, err := app.NewFakeWeChat(*addr, cfg.WeChat.AppID, cfg.WeChat.AppSecret)
	if err != nil {
		return err
	}
	u := fake.URL()
	fmt.Fprintf(e.stdout, "fake WeChat API on %s\n", u)
	fmt.Fprintf(e.stdout, "  instances: SHIANBAO_WECHAT_API_BASE=%s\n", u)
	fmt.Fprintf(e.stdout, "  faults:    %s (GET; POST JSON to change; DELETE to clear)\n", fake.FaultsURL())
	fmt.Fprintf(e.stdout, "  calls:     %s[?path=/message/custom/send]\n", fake.CallsURL())
	return fake.Run(ctx)
}
