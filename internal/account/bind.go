package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
)

// texts are the answers to a failed redemption, worded for a typed code or
// for a QR code.
type texts struct {
	wrong                  func(failures int64) string
	expired, revoked, used string
}

var (
	codeTexts = texts{
		wrong: func(n int64) string {
			if left := MaxFailures - n; left > 0 {
				return fmt.Sprintf(msgCodeWrong, left)
			}
			return fmt.Sprintf(msgCodeWrongLast, n)
		},
		expired: msgCodeExpired, revoked: msgCodeRevoked, used: msgCodeUsed,
	}
	qrTexts = texts{
		wrong:   func(int64) string { return msgQRWrong },
		expired: msgQRExpired, revoked: msgQRRevoked, used: msgQRUsed,
	}
)

// errTaken says another redemption claimed the code first.
var errTaken = errors.New("binding code already claimed")

// Bind redeems a typed binding code ("绑定 7KQ4M2XP" → "7KQ4M2XP") for the
// user and returns the identity it bound. Binding a subject the user is
// already bound to returns that identity. Sending a code one has already
// used returns the identity it made.
//
// Errors: TooMany after MaxFailures failed attempts within FailureWindow by
// this user, or at this code value by anyone (the message says when to try
// again); Invalid for a wrong, expired or revoked code, or a contact code
// sent from WeCom; Conflict when the code was used by someone else. Each
// failure counts towards both limits, except the refused WeCom contact code
// (a real code sent from the wrong place, not a guess).
func (s *Service) Bind(ctx context.Context, ch chat.Channel, externalID, code string) (*Identity, error) {
	if err := checkUser(ch, externalID); err != nil {
		return nil, err
	}
	norm, ok := normalizeCode(code)
	lim := s.limiter(ch, externalID, "code|"+norm)
	if err := lim.check(ctx); err != nil {
		return nil, err
	}
	if !ok {
		return nil, lim.wrong(ctx, codeTexts)
	}
	bc, err := s.findCode(ctx, "code_hash = ? AND kind = ?", s.codeHash(norm), KindCode)
	if err != nil {
		return nil, fmt.Errorf("bind: %w", err)
	}
	if bc == nil {
		return nil, lim.wrong(ctx, codeTexts)
	}
	return s.redeem(ctx, ch, externalID, bc, lim, codeTexts)
}

// BindByScene redeems the scene of a parameterised QR code the user
// scanned or followed through (with or without the platform's "qrscene_"
// prefix). The signature is checked in constant time; a bad one is Invalid
// and counts as a wrong code. Otherwise as Bind.
func (s *Service) BindByScene(ctx context.Context, ch chat.Channel, externalID, scene string) (*Identity, error) {
	if err := checkUser(ch, externalID); err != nil {
		return nil, err
	}
	scene = strings.TrimSpace(scene)
	if len(scene) > maxCodeInput+len(scenePlatformPrefix) {
		scene = scene[:maxCodeInput+len(scenePlatformPrefix)]
	}
	lim := s.limiter(ch, externalID, "scene|"+scene)
	if err := lim.check(ctx); err != nil {
		return nil, err
	}
	id, ok := s.parseScene(scene)
	if !ok {
		return nil, lim.wrong(ctx, qrTexts)
	}
	bc, err := s.findCode(ctx, "id = ? AND kind = ?", id, KindQR)
	if err != nil {
		return nil, fmt.Errorf("bind by scene: %w", err)
	}
	if bc == nil {
		return nil, lim.wrong(ctx, qrTexts)
	}
	return s.redeem(ctx, ch, externalID, bc, lim, qrTexts)
}

// findCode returns the matching code, or nil when there is none.
func (s *Service) findCode(ctx context.Context, where string, args ...any) (*BindingCode, error) {
	var bc BindingCode
	err := db.Translate(s.db.Gorm(ctx).Where(where, args...).First(&bc).Error)
	switch {
	case errs.Is(err, errs.NotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &bc, nil
}

// redeem applies the rules every binding code obeys and binds. Claiming the
// code is a conditional update (only while unused and unrevoked), so of
// two redemptions racing for one code exactly one changes the row; the
// claim, the identity and its audit entry commit together.
func (s *Service) redeem(ctx context.Context, ch chat.Channel, externalID string, bc *BindingCode, lim limiter, t texts) (*Identity, error) {
	now := s.now()
	switch {
	case bc.UsedAt != nil:
		if id, err := s.usedBy(ctx, bc, ch, externalID); err != nil || id != nil {
			return id, err
		}
		return nil, lim.fail(ctx, &errs.Error{Kind: errs.Conflict, Message: t.used})
	case bc.RevokedAt != nil:
		return nil, lim.fail(ctx, &errs.Error{Kind: errs.Invalid, Message: t.revoked})
	case !now.Before(bc.ExpiresAt):
		return nil, lim.fail(ctx, &errs.Error{Kind: errs.Invalid, Message: t.expired})
	}
	if err := allowed(ch, bc.Role); err != nil {
		return nil, err
	}
	if err := s.checkSubject(ctx, bc.Role, bc.SubjectID); err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.Wrap(errs.Invalid, err, msgSubjectGone)
		}
		return nil, err
	}
	var row identityRow
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&BindingCode{}).Where("id = ? AND used_at IS NULL AND revoked_at IS NULL", bc.ID).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errTaken
		}
		r, existed, err := bindTx(tx, ch, externalID, bc.Role, bc.SubjectID, now)
		if err != nil {
			return err
		}
		row = r
		if err := tx.Model(&BindingCode{}).Where("id = ?", bc.ID).Update("used_by_identity_id", row.ID).Error; err != nil {
			return err
		}
		if !existed {
			if err := markTagTx(tx, ch, externalID, now); err != nil {
				return err
			}
		}
		extra := fmt.Sprintf("via=%s code=%d", bc.Kind, bc.ID)
		if existed {
			extra += " already_bound=true"
		}
		return s.auditIdentity(tx, now, ch, externalID, "bind", row, extra)
	})
	if errors.Is(err, errTaken) {
		return nil, lim.fail(ctx, &errs.Error{Kind: errs.Conflict, Message: t.used})
	}
	if err != nil {
		return nil, fmt.Errorf("bind: %w", err)
	}
	s.forget(ctx, ch, externalID)
	id := row.identity()
	return &id, nil
}

// bindTx returns the user's live identity for the subject, creating it
// when there is none, and whether it existed.
func bindTx(tx *gorm.DB, ch chat.Channel, externalID string, role Role, subjectID int64, now time.Time) (identityRow, bool, error) {
	key := activeKey(ch, externalID, role, subjectID)
	var cur identityRow
	err := db.Translate(tx.Where("active_key = ?", key).First(&cur).Error)
	switch {
	case err == nil:
		return cur, true, nil
	case !errs.Is(err, errs.NotFound):
		return cur, false, err
	}
	row := identityRow{Channel: ch, ExternalID: externalID, Role: role, SubjectID: subjectID, BoundAt: now, ActiveKey: &key, Reachable: true}
	if err := tx.Create(&row).Error; err != nil {
		if err = db.Translate(err); errs.Is(err, errs.Conflict) {
			return row, false, errs.Wrap(errs.Conflict, err, msgAlreadyBound)
		}
		return row, false, err
	}
	return row, false, nil
}

// usedBy returns the identity a used code made when it is this user's and
// still bound: the user sent the code again, which is no error.
func (s *Service) usedBy(ctx context.Context, bc *BindingCode, ch chat.Channel, externalID string) (*Identity, error) {
	if bc.UsedByIdentityID == nil {
		return nil, nil
	}
	var r identityRow
	err := db.Translate(s.db.Gorm(ctx).First(&r, *bc.UsedByIdentityID).Error)
	switch {
	case errs.Is(err, errs.NotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("bind: %w", err)
	}
	if r.Channel != ch || r.ExternalID != externalID || r.UnboundAt != nil {
		return nil, nil
	}
	id := r.identity()
	return &id, nil
}

// limiter counts failed binding attempts in fixed one-hour windows, per
// user and per value tried, so neither one user trying many codes nor many
// users trying one code get far.
type limiter struct {
	s           *Service
	user, value string
}

func (s *Service) limiter(ch chat.Channel, externalID, value string) limiter {
	return limiter{s: s, user: s.userKey("fail", ch, externalID), value: s.key("failv", value)}
}

// check refuses an attempt once either counter has reached MaxFailures. It
// fails closed: without the counters, binding codes could be guessed.
func (l limiter) check(ctx context.Context) error {
	for _, k := range []string{l.user, l.value} {
		v, err := l.s.kv.Get(ctx, k)
		switch {
		case errors.Is(err, kv.ErrMiss):
			continue
		case err != nil:
			return errs.Wrap(errs.Unavailable, err, "")
		}
		if n, _ := strconv.ParseInt(v, 10, 64); n >= MaxFailures {
			return errs.E(errs.TooMany, msgTooMany, l.retryIn(ctx, k))
		}
	}
	return nil
}

// retryIn says when the window of key ends, in words.
func (l limiter) retryIn(ctx context.Context, key string) string {
	d, err := l.s.kv.TTL(ctx, key)
	if err != nil || d <= 0 || d > FailureWindow-time.Minute {
		return msgRetryHour
	}
	return fmt.Sprintf(msgRetryMinutes, int((d+time.Minute-1)/time.Minute))
}

// count records one failure and returns the user's failures in the window.
func (l limiter) count(ctx context.Context) int64 {
	var n int64
	for _, k := range []string{l.user, l.value} {
		c, err := l.s.kv.Incr(context.WithoutCancel(ctx), k, FailureWindow)
		if err != nil {
			l.s.log.WarnContext(ctx, "account: could not count a failed binding attempt", "err", err.Error())
			continue
		}
		if k == l.user {
			n = c
		}
	}
	return n
}

// fail records one failure and returns err.
func (l limiter) fail(ctx context.Context, err error) error {
	l.count(ctx)
	return err
}

// wrong records a wrong code and says so, with how many tries are left.
func (l limiter) wrong(ctx context.Context, t texts) error {
	return &errs.Error{Kind: errs.Invalid, Message: t.wrong(l.count(ctx))}
}
