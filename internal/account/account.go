// Package account keeps who is behind a chat user: a WeChat openid (or a
// WeCom user id) bound to a cadre, a manager or a business contact — one
// person may hold several roles at once. It issues one-time binding codes
// and signed QR scenes, binds and unbinds, tracks whether a user can still
// be reached, and writes every such change to the audit log in the same
// transaction as the change.
//
// Identity lookups run on every inbound message, so the active identities of
// a user are cached in the kv store and invalidated on every change.
package account

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/registry"
)

// Role is what a bound identity acts as.
type Role string

// Roles, in the order a user's identities are listed.
const (
	RoleCadre   Role = "cadre"
	RoleManager Role = "manager"
	RoleContact Role = "contact"
)

func (r Role) rank() int {
	switch r {
	case RoleCadre:
		return 1
	case RoleManager:
		return 2
	case RoleContact:
		return 3
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// Label is the Chinese name of the role ("包保干部").
func (r Role) Label() string { return roleLabels[r] }

// ParseRole reads a role from its identifier or Chinese name. Invalid otherwise.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cadre", "干部", "包保干部":
		return RoleCadre, nil
	case "manager", "食安办", "管理人员":
		return RoleManager, nil
	case "contact", "联系人", "主体联系人":
		return RoleContact, nil
	}
	return "", errs.E(errs.Invalid, msgBadRole, s)
}

// Settings that are part of the product's promise to users, not configuration.
const (
	// CodeTTL is how long a binding code or QR scene stays valid.
	CodeTTL = 7 * 24 * time.Hour
	// MaxFailures is how many failed binding attempts a user, or a code
	// value, may make per FailureWindow.
	MaxFailures   = 5
	FailureWindow = time.Hour

	identityCacheTTL = 5 * time.Minute
	touchInterval    = time.Minute
	minSecret        = 16
)

// Service binds chat users to people of the register.
type Service struct {
	db     *db.DB
	kv     kv.Store
	reg    *registry.Service
	clock  clock.Clock
	secret []byte
	prefix string
	log    *slog.Logger
	// qr makes QR codes on the platform (BindQR); nil until wired.
	qr QRMaker
	// local is this instance's copy of identities (identity_cache.go).
	local localIdentities
}

// Option adjusts a Service.
type Option func(*Service)

// WithLogger reports kv failures that the service works around (a cache it
// could not clear, a counter it could not raise).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// NewService returns the binding service. secret is the application secret:
// it peppers the stored hashes of binding codes and signs QR scenes, so it
// must stay the same across restarts and instances. NewService panics when
// it is shorter than 16 bytes, because a weak pepper would let anyone with a
// database dump recover valid codes.
func NewService(d *db.DB, store kv.Store, reg *registry.Service, c clock.Clock, secret []byte, opts ...Option) *Service {
	if len(secret) < minSecret {
		panic("account: the application secret must be at least 16 bytes")
	}
	if c == nil {
		c = clock.Real{}
	}
	s := &Service{db: d, kv: store, reg: reg, clock: c, secret: append([]byte(nil), secret...), prefix: "account:"}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// mac is HMAC-SHA256 under the application secret; purpose separates the
// uses (code hashes, QR signatures, kv keys) so one can never stand in for
// another.
func (s *Service) mac(purpose, v string) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(v))
	return h.Sum(nil)
}

// key names a kv entry. The variable part is hashed under the secret, so
// Redis holds neither openids nor code values.
func (s *Service) key(kind, v string) string {
	return s.prefix + kind + ":" + hex.EncodeToString(s.mac("kv", v)[:16])
}

func (s *Service) userKey(kind string, ch chat.Channel, externalID string) string {
	return s.key(kind, string(ch)+"|"+externalID)
}

// userActor names a chat user in the audit log without revealing the id.
func userActor(ch chat.Channel, externalID string) string {
	if ch == chat.ChannelWeCom {
		return "wecom:" + audit.HashID(externalID)
	}
	return "openid:" + audit.HashID(externalID)
}

// checkUser rejects a channel or user id the service cannot store: ids go
// into the identity's active key, which uses "|" as a separator.
func checkUser(ch chat.Channel, externalID string) error {
	if ch != chat.ChannelOA && ch != chat.ChannelWeCom {
		return errs.E(errs.Invalid, msgBadChannel)
	}
	if externalID == "" || len(externalID) > 64 || strings.ContainsAny(externalID, "| \t\r\n") {
		return errs.E(errs.Invalid, msgBadUser)
	}
	return nil
}

// allowed says whether role may be bound on channel: business contacts are
// reached through the Official Account only.
func allowed(ch chat.Channel, role Role) error {
	if role == RoleContact && ch != chat.ChannelOA {
		return errs.E(errs.Invalid, msgContactOnlyOA)
	}
	return nil
}
