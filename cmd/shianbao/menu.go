package main

import (
	"context"
	"fmt"
	"os"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/wechat"
)

// runMenu pushes the Official Account menu (configs/menu.json by default).
func runMenu(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("menu", e)
	file := fs.String("f", "", "menu JSON (default: configs/menu.json, embedded if absent)")
	check := fs.Bool("check", false, "only validate the menu, do not push it")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"menu takes no arguments"}
	}
	var data []byte
	if *file != "" {
		data, err = os.ReadFile(*file)
	} else if data, err = os.ReadFile("configs/menu.json"); err != nil {
		data, err = configs.FS.ReadFile("menu.json")
	}
	if err != nil {
		return err
	}
	if err := wechat.ValidateMenu(data); err != nil {
		return err
	}
	if *check {
		fmt.Fprintln(e.stdout, "menu is valid")
		return nil
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	store, err := app.OpenKV(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	client, err := wechat.NewClient(wechat.ClientOptions{AppID: cfg.WeChat.AppID, AppSecret: cfg.WeChat.AppSecret, APIBase: cfg.WeChat.APIBase, KV: store})
	if err != nil {
		return err
	}
	if err := client.SetMenu(ctx, data); err != nil {
		return fmt.Errorf("push menu: %w", err)
	}
	fmt.Fprintln(e.stdout, "menu pushed")
	return nil
}
