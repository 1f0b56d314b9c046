package account

import (
	"context"
	cryptorand "crypto/rand"
	"slices"
	"sync"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// Each instance keeps a user's identities in its own memory too, so a chat
// turn needs no kv call of its own to know who is talking. Instances must
// not answer from a stale copy after a bind or unbind on another one, so
// every change of a user's identities writes a fresh random version under
// a kv key in the user's hash slot, which the callback reads in the turn's
// first call (wechat.CallbackOptions.TurnReads, kv.ReadAhead). A copy is
// used only while its version is the one just read.
//
// The version is written after the change is committed and after the kv
// copy is cleared, so a reader that sees the new version reads the new
// identities; a reader that saw the old one may cache what it reads under
// the old version, which the next turn no longer matches. A version that
// could not be written (kv down) leaves other instances' copies stale for
// at most localIdentityTTL.
const (
	localIdentityTTL = time.Minute
	// localIdentityMax bounds the memory: past it the cache starts over.
	localIdentityMax = 100_000
	// identityVersionTTL outlives every local copy by far, so a version
	// that expires cannot come back as a copy's.
	identityVersionTTL = time.Hour
)

type localIdentities struct {
	mu sync.Mutex
	m  map[string]localIdentity
}

type localIdentity struct {
	version string
	ids     []Identity
	expires time.Time
}

func (c *localIdentities) get(user, version string) ([]Identity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[user]
	if !ok || e.version != version || time.Now().After(e.expires) {
		return nil, false
	}
	return slices.Clone(e.ids), true
}

func (c *localIdentities) put(user, version string, ids []Identity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= localIdentityMax {
		c.m = make(map[string]localIdentity)
	}
	c.m[user] = localIdentity{version: version, ids: slices.Clone(ids), expires: time.Now().Add(localIdentityTTL)}
}

func (c *localIdentities) drop(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, user)
}

// versionKey names the user's identity version. It carries the user's
// chat.UserTag so the callback can read it in its one script.
func (s *Service) versionKey(ch chat.Channel, externalID string) string {
	return s.prefix + "idv:" + string(ch) + ":" + chat.UserTag(externalID)
}

// TurnReads names the kv keys a chat turn reads ahead for this service
// (wechat.CallbackOptions.TurnReads): the user's identity version.
func (s *Service) TurnReads(in chat.Inbound) []string {
	return []string{s.versionKey(in.Channel, in.UserID)}
}

// readAheadVersion returns the user's identity version when this turn read
// it ahead; ok is false outside a chat turn.
func (s *Service) readAheadVersion(ctx context.Context, ch chat.Channel, externalID string) (version string, ok bool) {
	r, ok := kv.ReadAhead(ctx, s.versionKey(ch, externalID))
	return r.Value, ok
}

func localUser(ch chat.Channel, externalID string) string { return string(ch) + "|" + externalID }

// forget clears every copy of the user's identities after a change: this
// instance's, the kv one, and (by a new version) every other instance's.
func (s *Service) forget(ctx context.Context, ch chat.Channel, externalID string) {
	ctx = context.WithoutCancel(ctx)
	s.local.drop(localUser(ch, externalID))
	if err := s.kv.Delete(ctx, s.userKey("ids", ch, externalID)); err != nil {
		s.log.WarnContext(ctx, "account: could not clear cached identities; they expire by themselves",
			"ttl", identityCacheTTL.String(), "err", err.Error())
	}
	if err := s.kv.Set(ctx, s.versionKey(ch, externalID), cryptorand.Text(), identityVersionTTL); err != nil {
		s.log.WarnContext(ctx, "account: could not bump the identity version; other instances' copies expire by themselves",
			"ttl", localIdentityTTL.String(), "err", err.Error())
	}
}
