package app

import (
	"context"
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
	bc.Code, bc.ExpiresAt = code, issued.ExpiresAt
	return bc, nil
}

// BindQRCode creates a temporary parameterised QR code that binds whoever
// scans it to the code's subject (valid account.CodeTTL); it calls the
// WeChat API.
func (s *Services) BindQRCode(ctx context.Context, bc BindCode) (url string, err error) {
	scene, err := s.Accounts.IssueQRToken(ctx, bc.role, bc.subject, bc.by)
	if err != nil {
		return "", err
	}
	_, url, err = s.WeChat.CreateQRScene(ctx, scene, account.CodeTTL)
	if err != nil {
		return "", fmt.Errorf("create QR code: %w", err)
	}
	return url, nil
}
