package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/registry"
)

// BindTarget is who a binding code is for, as an operator names them on
// the command line: a cadre, manager or contact by id, or a business by
// id with the post of the contact to create (principal, director, officer
// or other).
type BindTarget struct {
	Kind        string
	ID          int64
	ContactRole string
}

// Check reports a target no code can be issued for, before anything is
// opened; the message is for the command line.
func (t BindTarget) Check() error {
	if t.Kind == "business" {
		if !account.ContactRole(t.ContactRole).Valid() {
			return fmt.Errorf("--role must be principal, director, officer or other, got %q", t.ContactRole)
		}
		return nil
	}
	if _, err := account.ParseRole(t.Kind); err != nil {
		return fmt.Errorf("unknown role %q: cadre, manager, contact or business", t.Kind)
	}
	return nil
}

// BindCode is an issued one-time binding code.
type BindCode struct {
	Code      string
	ExpiresAt time.Time

	role    account.Role
	subject int64
	by      registry.Actor
	id      int64
}

// IssueBindCode issues a binding code for t, recorded in the audit log as
// issued by "cli:"+by. For a business it first creates the contact in the
// post t names from the register, which is how an office usually starts.
func (s *Services) IssueBindCode(ctx context.Context, t BindTarget, by string) (BindCode, error) {
	if err := t.Check(); err != nil {
		return BindCode{}, err
	}
	bc := BindCode{subject: t.ID, by: registry.Actor("cli:" + by)}
	if t.Kind == "business" {
		c, err := s.Accounts.EnsureContact(ctx, t.ID, account.ContactRole(t.ContactRole))
		if err != nil {
			return BindCode{}, err
		}
		bc.role, bc.subject = account.RoleContact, c.ID
	} else {
		bc.role, _ = account.ParseRole(t.Kind)
	}
	code, issued, err := s.Accounts.IssueCode(ctx, bc.role, bc.subject, bc.by)
	if err != nil {
		return BindCode{}, err
	}
	bc.Code, bc.ExpiresAt, bc.id = code, issued.ExpiresAt, issued.ID
	return bc, nil
}

// BindQRCode creates a temporary parameterised QR code that binds whoever
// scans it to the code's subject (valid account.CodeTTL) and returns the
// address it encodes; it calls the WeChat API (on the embedded default, the
// running service's fake, so the simulator can scan it). When that fails
// the code bc is revoked too, so nothing half-issued is left, and the
// error says why in one Chinese line.
func (s *Services) BindQRCode(ctx context.Context, bc BindCode) (string, error) {
	url, err := s.Accounts.BindQR(ctx, bc.role, bc.subject, bc.by)
	if err == nil {
		return url, nil
	}
	if rerr := s.Accounts.RevokeCode(context.WithoutCancel(ctx), bc.id, bc.by); rerr != nil {
		s.Log.Warn("binding code not revoked after the QR code failed", "err", rerr.Error())
	}
	return "", errors.New("生成绑定二维码失败：" + s.WeChatFailure(err) + "；绑定码未发出")
}
