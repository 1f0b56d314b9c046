package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/errs"

	"github.com/shianbao/shianbao/internal/registry"
)

// A scene is "b1.<id>.<sig>": the binding code row's id (8 bytes, base32)
// and the first 10 bytes of an HMAC over "b1.<id>" (base32), 33 characters
// in all — inside WeChat's 64-character limit for scene_str. The id part is
// signed as text, so no second spelling of the same id verifies.
const (
	sceneVersion  = "b1"
	sceneSigBytes = 10
	// SceneMaxLen is WeChat's limit on a QR code's scene_str.
	SceneMaxLen = 64
	// scenePlatformPrefix is what WeChat puts before the scene in the
	// EventKey of a subscribe-by-QR event.
	scenePlatformPrefix = "qrscene_"
)

var sceneEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// IssueQRToken makes a one-time binding for a cadre, manager or contact
// carried by a parameterised QR code, valid for seven days, and returns its
// scene string (for the platform's create-QR call). It is a binding code
// row like IssueCode's, so it expires, is used once and can be revoked the
// same way. Errors as IssueCode.
func (s *Service) IssueQRToken(ctx context.Context, role Role, subjectID int64, issuedBy registry.Actor) (string, error) {
	// Nobody learns this code: the row can only be redeemed through its signed id.
	bc, err := s.issue(ctx, KindQR, "qr:"+rand.Text(), role, subjectID, issuedBy)
	if err != nil {
		return "", fmt.Errorf("issue QR token: %w", err)
	}
	return s.formatScene(bc.ID), nil
}

func (s *Service) formatScene(id int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	head := sceneVersion + "." + sceneEncoding.EncodeToString(b[:])
	return head + "." + sceneEncoding.EncodeToString(s.mac("qr", head)[:sceneSigBytes])
}

// parseScene returns the binding code id a scene carries when its
// signature is right. It accepts the platform's "qrscene_" prefix.
func (s *Service) parseScene(scene string) (int64, bool) {
	scene = strings.TrimPrefix(strings.TrimSpace(scene), scenePlatformPrefix)
	if len(scene) > SceneMaxLen {
		return 0, false
	}
	i := strings.LastIndexByte(scene, '.')
	if i < 0 {
		return 0, false
	}
	head, sig := scene[:i], scene[i+1:]
	version, idPart, ok := strings.Cut(head, ".")
	if !ok || version != sceneVersion {
		return 0, false
	}
	got, err := sceneEncoding.DecodeString(sig)
	if err != nil || len(got) != sceneSigBytes {
		return 0, false
	}
	if !hmac.Equal(got, s.mac("qr", head)[:sceneSigBytes]) {
		return 0, false
	}
	raw, err := sceneEncoding.DecodeString(idPart)
	if err != nil || len(raw) != 8 {
		return 0, false
	}
	id := int64(binary.BigEndian.Uint64(raw))
	return id, id > 0
}

// IsScene reports whether a QR scene (an event key) is a binding scene, so
// the bot can tell binding QR codes from other scenes before verifying it.
func IsScene(scene string) bool {
	return strings.HasPrefix(strings.TrimPrefix(strings.TrimSpace(scene), scenePlatformPrefix), sceneVersion+".")
}

// QRMaker makes a temporary parameterised QR code on the platform for a
// scene and returns the address the code encodes (the WeChat client).
type QRMaker interface {
	CreateQRScene(ctx context.Context, scene string, expire time.Duration) (ticket, qrURL string, err error)
}

// UseQRMaker sets what BindQR makes its codes with; call it once, while
// wiring the service.
func (s *Service) UseQRMaker(m QRMaker) { s.qr = m }

// BindQR issues a one-time QR binding for a cadre, manager or contact (as
// IssueQRToken) and has the platform make its QR code, valid CodeTTL; it
// returns the address the code encodes. When the platform fails, the
// binding is revoked again, so no code is left that nobody saw, and the
// platform's error is returned. Unavailable when no QRMaker is set.
func (s *Service) BindQR(ctx context.Context, role Role, subjectID int64, issuedBy registry.Actor) (string, error) {
	if s.qr == nil {
		return "", errs.E(errs.Unavailable, msgNoQR)
	}
	scene, err := s.IssueQRToken(ctx, role, subjectID, issuedBy)
	if err != nil {
		return "", err
	}
	_, qrURL, err := s.qr.CreateQRScene(ctx, scene, CodeTTL)
	if err != nil {
		if id, ok := s.parseScene(scene); ok {
			if rerr := s.RevokeCode(context.WithoutCancel(ctx), id, issuedBy); rerr != nil {
				s.log.WarnContext(ctx, "account: QR binding not revoked after the platform failed", "err", rerr.Error())
			}
		}
		return "", err
	}
	return qrURL, nil
}
