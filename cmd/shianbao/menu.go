package main

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/app"
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
	data, err := app.LoadMenu(*file)
	if err != nil {
		return err
	}
	if *check {
		fmt.Fprintln(e.stdout, "menu is valid")
		return nil
	}
	s, err := fs.open(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.WeChat.SetMenu(ctx, data); err != nil {
		return fmt.Errorf("push menu: %w", err)
	}
	fmt.Fprintln(e.stdout, "menu pushed")
	return nil
}
