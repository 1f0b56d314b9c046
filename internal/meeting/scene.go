package meeting

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
)

// A meeting's QR scene is "m1.<id>.<sig>": the meeting id (8 bytes,
// base32) and the first 10 bytes of an HMAC over "m1.<id>" with the
// service's secret (domain-separated from the binding scenes), 33
// characters in all. Only the service can make one, so a scene cannot be
// guessed for a meeting whose poster one has not seen; the id is signed as
// text, so no second spelling of it verifies.
const (
	sceneVersion  = "m1"
	sceneSigBytes = 10
	sceneMaxLen   = 64
	// platformPrefix is what WeChat puts before a scene when the scan
	// also subscribes the user.
	platformPrefix = "qrscene_"
	// qrMaxTTL is WeChat's limit on a temporary QR code.
	qrMaxTTL = 30 * 24 * time.Hour
)

var sceneEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Service) mac(head string) []byte {
	h := hmac.New(sha256.New, s.d.Secret)
	h.Write([]byte("meeting-qr\x00" + head))
	return h.Sum(nil)
}

// Scene is the signed QR scene of meeting id.
func (s *Service) Scene(id int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	head := sceneVersion + "." + sceneEncoding.EncodeToString(b[:])
	return head + "." + sceneEncoding.EncodeToString(s.mac(head)[:sceneSigBytes])
}

// parseScene returns the meeting id a scene carries when its signature is
// right.
func (s *Service) parseScene(scene string) (int64, bool) {
	scene = strings.TrimPrefix(strings.TrimSpace(scene), platformPrefix)
	if len(scene) > sceneMaxLen {
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
	if err != nil || len(got) != sceneSigBytes || !hmac.Equal(got, s.mac(head)[:sceneSigBytes]) {
		return 0, false
	}
	raw, err := sceneEncoding.DecodeString(idPart)
	if err != nil || len(raw) != 8 {
		return 0, false
	}
	id := int64(binary.BigEndian.Uint64(raw))
	return id, id > 0
}

// IsScene reports whether a QR scene (an event key) is a meeting's, so
// the bot can route a scan before verifying it.
func IsScene(scene string) bool {
	return strings.HasPrefix(strings.TrimPrefix(strings.TrimSpace(scene), platformPrefix), sceneVersion+".")
}

// QR has the platform make the meeting's check-in QR code and returns the
// address it encodes, valid until a day after the meeting (WeChat keeps a
// temporary code 30 days at most, so a poster printed earlier than that
// before the meeting must be printed again). Unavailable without a QR
// maker; NotFound for a meeting outside scopePath.
func (s *Service) QR(ctx context.Context, scopePath string, id int64) (string, error) {
	m, err := s.Get(ctx, scopePath, id)
	if err != nil {
		return "", err
	}
	if s.d.QR == nil {
		return "", errs.E(errs.Unavailable, msgNoQR)
	}
	ttl := min(max(m.EndsAt.Add(24*time.Hour).Sub(s.now()), time.Hour), qrMaxTTL)
	_, url, err := s.d.QR.CreateQRScene(ctx, s.Scene(id), ttl)
	return url, err
}
