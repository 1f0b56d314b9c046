package account

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// CodeKind says how a binding code is handed to its person.
type CodeKind string

// Code kinds.
const (
	// KindCode is typed by the user: "绑定 7KQ4M2XP".
	KindCode CodeKind = "code"
	// KindQR is carried by a signed QR scene; it has no code anyone can type.
	KindQR CodeKind = "qr"
)

// BindingCode is a one-time permission to bind one role of one person.
// Only a peppered hash of the code is stored.
type BindingCode struct {
	ID               int64          `json:"id"`
	Kind             CodeKind       `json:"kind"`
	CodeHash         string         `json:"-"`
	Role             Role           `json:"role"`
	SubjectID        int64          `json:"subject_id"`
	IssuedBy         registry.Actor `json:"issued_by"`
	CreatedAt        time.Time      `json:"created_at"`
	ExpiresAt        time.Time      `json:"expires_at"`
	UsedAt           *time.Time     `json:"used_at,omitempty"`
	UsedByIdentityID *int64         `json:"used_by_identity_id,omitempty"`
	RevokedAt        *time.Time     `json:"revoked_at,omitempty"`
}

// The code alphabet leaves out 0/O, 1/I/L: people read codes aloud and
// copy them from screenshots.
const (
	codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	codeLen      = 8
	// maxCodeInput bounds the work done on whatever a user sends as a code.
	maxCodeInput = 64
)

// newCode draws codeLen characters uniformly from the alphabet: bytes at or
// above the largest multiple of the alphabet's size are rejected so that no
// character is more likely than another.
func newCode() string {
	const n = len(codeAlphabet)
	const limit = 256 - 256%n
	out := make([]byte, 0, codeLen)
	var buf [2 * codeLen]byte
	for len(out) < codeLen {
		_, _ = rand.Read(buf[:]) // never fails (crypto/rand, Go 1.24+)
		for _, b := range buf {
			if int(b) < limit && len(out) < codeLen {
				out = append(out, codeAlphabet[int(b)%n])
			}
		}
	}
	return string(out)
}

// normalizeCode reads a code the way people send it: full-width letters
// from a Chinese keyboard, lower case, spaces and dashes anywhere. It
// returns the cleaned text and whether it has the shape of a code.
func normalizeCode(s string) (string, bool) {
	if len(s) > maxCodeInput {
		s = s[:maxCodeInput]
	}
	var b strings.Builder
	for _, r := range width.Fold.String(s) {
		if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || r == utf8.RuneError {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	c := b.String()
	if len(c) != codeLen {
		return c, false
	}
	for i := 0; i < len(c); i++ {
		if strings.IndexByte(codeAlphabet, c[i]) < 0 {
			return c, false
		}
	}
	return c, true
}

func (s *Service) codeHash(code string) string { return hex.EncodeToString(s.mac("code", code)) }

// IssueCode makes a binding code for a cadre, manager or contact, valid for
// seven days and one use, and audits it. The code itself is returned once
// and never stored. NotFound when the subject does not exist; Invalid for a
// bad role, an inactive cadre or manager, or a missing issuer.
func (s *Service) IssueCode(ctx context.Context, role Role, subjectID int64, issuedBy registry.Actor) (string, *BindingCode, error) {
	code := newCode()
	bc, err := s.issue(ctx, KindCode, code, role, subjectID, issuedBy)
	if err != nil {
		return "", nil, fmt.Errorf("issue binding code: %w", err)
	}
	return code, bc, nil
}

func (s *Service) issue(ctx context.Context, kind CodeKind, code string, role Role, subjectID int64, issuedBy registry.Actor) (*BindingCode, error) {
	if !role.Valid() {
		return nil, errs.E(errs.Invalid, msgBadRole, role)
	}
	if issuedBy == "" || len(issuedBy) > 64 {
		return nil, errs.E(errs.Invalid, msgBadIssuer)
	}
	if err := s.checkSubject(ctx, role, subjectID); err != nil {
		return nil, err
	}
	now := s.now()
	bc := &BindingCode{Kind: kind, CodeHash: s.codeHash(code), Role: role, SubjectID: subjectID, IssuedBy: issuedBy,
		CreatedAt: now, ExpiresAt: now.Add(CodeTTL)}
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(bc).Error; err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{At: now, Actor: string(issuedBy), Action: "code.issue",
			SubjectType: "binding_code", SubjectID: bc.ID,
			Detail: fmt.Sprintf("kind=%s role=%s subject=%d expires=%s", kind, role, subjectID, bc.ExpiresAt.Format(time.RFC3339))})
	})
	if err != nil {
		return nil, err
	}
	return bc, nil
}

// checkSubject says whether role's subject exists and may be bound:
// NotFound when absent, Invalid when the cadre or manager is inactive.
func (s *Service) checkSubject(ctx context.Context, role Role, id int64) error {
	switch role {
	case RoleCadre:
		c, err := s.reg.Cadre(ctx, id)
		if err != nil {
			return err
		}
		if !c.Active {
			return errs.E(errs.Invalid, msgCadreInactive, c.Name)
		}
	case RoleManager:
		m, err := s.reg.Manager(ctx, id)
		if err != nil {
			return err
		}
		if !m.Active {
			return errs.E(errs.Invalid, msgManagerOff, m.Name)
		}
	case RoleContact:
		_, err := s.Contact(ctx, id)
		return err
	default:
		return errs.E(errs.Invalid, msgBadRole, role)
	}
	return nil
}

// Code returns one binding code (without the code). NotFound if absent.
func (s *Service) Code(ctx context.Context, id int64) (*BindingCode, error) {
	var bc BindingCode
	if err := s.db.Gorm(ctx).First(&bc, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgCodeNotFound)
	}
	return &bc, nil
}

// RevokeCode withdraws an unused code (or QR scene) and audits it.
// Revoking twice is no error. NotFound when absent; Conflict when already
// used (unbinding is the way to undo a binding).
func (s *Service) RevokeCode(ctx context.Context, id int64, by registry.Actor) error {
	if by == "" || len(by) > 64 {
		return errs.E(errs.Invalid, msgBadIssuer)
	}
	now := s.now()
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		var bc BindingCode
		if err := lockRows(tx).First(&bc, id).Error; err != nil {
			return db.NotFoundAs(err, msgCodeNotFound)
		}
		switch {
		case bc.RevokedAt != nil:
			return nil
		case bc.UsedAt != nil:
			return errs.E(errs.Conflict, msgCodeUsedNoRev)
		}
		res := tx.Model(&BindingCode{}).Where("id = ? AND used_at IS NULL AND revoked_at IS NULL", id).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.E(errs.Conflict, msgCodeUsedNoRev)
		}
		return audit.Record(tx, audit.Entry{At: now, Actor: string(by), Action: "code.revoke",
			SubjectType: "binding_code", SubjectID: id, Detail: fmt.Sprintf("kind=%s role=%s subject=%d", bc.Kind, bc.Role, bc.SubjectID)})
	})
	if err != nil {
		return fmt.Errorf("revoke binding code: %w", err)
	}
	return nil
}
