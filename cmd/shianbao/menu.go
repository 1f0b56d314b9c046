package main

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/app"
)

// runMenu pushes the Official Account menus (configs/menu.json by
// default): the default menu and one per role, which users see by the tag
// their binding gives them.
func runMenu(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("menu", e)
	file := fs.String("f", "", "menu JSON (default: configs/menu.json, embedded if absent)")
	check := fs.Bool("check", false, "only validate the menus, do not push them")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"menu takes no arguments"}
	}
	menus, err := app.LoadMenus(*file)
	if err != nil {
		return err
	}
	if *check {
		fmt.Fprintf(e.stdout, "菜单检查通过（valid）：%s\n", menus.Describe())
		return nil
	}
	s, err := fs.open(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.PushMenus(ctx, menus)
	if err != nil {
		return fmt.Errorf("推送菜单失败：%s", s.WeChatFailure(err))
	}
	fmt.Fprintf(e.stdout, "菜单已推送：%s\n%d 位已绑定用户的菜单标签将由运行中的服务在后台更新\n", menus.Describe(), n)
	return nil
}
