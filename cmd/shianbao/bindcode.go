package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/wechat"
)

// runBindCode issues a one-time binding code for a cadre, a manager or a
// business contact. `business ID --role officer` creates the contact from
// the register first, which is how an office usually starts.
func runBindCode(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("bind-code", e)
	role := fs.String("role", "principal", "for `business ID`: principal, director, officer or other")
	qr := fs.Bool("qr", false, "also create a temporary parameterised QR code (calls the WeChat API)")
	by := fs.String("by", "cli", "who issues the code (recorded in the audit log)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return usageError{"usage: shianbao bind-code cadre|manager|contact|business ID [--role R] [--qr]"}
	}
	id, err := strconv.ParseInt(rest[1], 10, 64)
	if err != nil || id <= 0 {
		return usageError{fmt.Sprintf("ID must be a positive number, got %q", rest[1])}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	d, err := app.OpenDatabase(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	store, err := app.OpenKV(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	reg := registry.NewService(d, app.RegistryRules(cfg), nil)
	accounts := account.NewService(d, store, reg, nil, []byte(cfg.Security.SecretKey))

	var r account.Role
	subject := id
	if rest[0] == "business" {
		cr := account.ContactRole(*role)
		if !cr.Valid() {
			return usageError{fmt.Sprintf("--role must be principal, director, officer or other, got %q", *role)}
		}
		c, err := accounts.EnsureContact(ctx, id, cr)
		if err != nil {
			return err
		}
		r, subject = account.RoleContact, c.ID
	} else {
		if r, err = account.ParseRole(rest[0]); err != nil {
			return usageError{fmt.Sprintf("unknown role %q: cadre, manager, contact or business", rest[0])}
		}
	}
	code, bc, err := accounts.IssueCode(ctx, r, subject, registry.Actor("cli:"+*by))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "绑定码 %s（有效至 %s）\n请在公众号发送：绑定 %s\n", code, bc.ExpiresAt.In(time.Local).Format("2006-01-02 15:04"), code)
	if !*qr {
		return nil
	}
	scene, err := accounts.IssueQRToken(ctx, r, subject, registry.Actor("cli:"+*by))
	if err != nil {
		return err
	}
	client, err := wechat.NewClient(wechat.ClientOptions{AppID: cfg.WeChat.AppID, AppSecret: cfg.WeChat.AppSecret, APIBase: cfg.WeChat.APIBase, KV: store})
	if err != nil {
		return err
	}
	_, url, err := client.CreateQRScene(ctx, scene, account.CodeTTL)
	if err != nil {
		return fmt.Errorf("create QR code: %w", err)
	}
	fmt.Fprintf(e.stdout, "绑定二维码（7天内有效，扫码即绑定）：%s\n", url)
	return nil
}
