package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/app"
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
	target := app.BindTarget{Kind: rest[0], ID: id, ContactRole: *role}
	if err := target.Check(); err != nil {
		return usageError{err.Error()}
	}
	s, err := fs.open(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	code, err := s.IssueBindCode(ctx, target, *by)
	if err != nil {
		return err
	}
	// The QR code first: when it fails nothing is printed and the code is
	// revoked, so no half-issued code is left behind.
	var url string
	if *qr {
		if url, err = s.BindQRCode(ctx, code); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "绑定码 %s（有效至 %s）\n请在公众号发送：绑定 %s\n", code.Code, code.ExpiresAt.In(time.Local).Format("2006-01-02 15:04"), code.Code)
	if *qr {
		fmt.Fprintf(e.stdout, "绑定二维码（7天内有效，扫码即绑定）：%s\n", url)
	}
	return nil
}
