package dialog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/kv"
)

// Draft is the durable copy of a session. It outlives the session (days, not
// minutes), so a report half-filled yesterday can be resumed today, and it
// survives a restart that loses the kv store.
type Draft struct {
	User  string
	Flow  string
	Label string
	// State is the session, encoded by the engine; stores keep it opaque.
	State     []byte
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// DraftStore keeps one draft per user. The engine saves the draft on every
// turn that moves a conversation on and deletes it when the conversation
// ends.
type DraftStore interface {
	// Load returns the user's draft, or nil and no error when there is none
	// or it has expired.
	Load(ctx context.Context, user string) (*Draft, error)
	// Save creates or replaces the user's draft.
	Save(ctx context.Context, d Draft) error
	// Delete removes the user's draft; a missing draft is not an error.
	Delete(ctx context.Context, user string) error
}

// NewKVDrafts returns a DraftStore in kv, for tests and deployments without
// a database; entries expire with the draft. Prefix namespaces the keys
// (e.g. "dlg:draft:").
func NewKVDrafts(store kv.Store, prefix string) DraftStore {
	return &kvDrafts{store: store, prefix: prefix}
}

type kvDrafts struct {
	store  kv.Store
	prefix string
}

var _ DraftStore = (*kvDrafts)(nil)

func (k *kvDrafts) Load(ctx context.Context, user string) (*Draft, error) {
	raw, err := k.store.Get(ctx, k.prefix+user)
	if errors.Is(err, kv.ErrMiss) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load draft: %w", err)
	}
	var d Draft
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, fmt.Errorf("load draft: %w", err)
	}
	return &d, nil
}

func (k *kvDrafts) Save(ctx context.Context, d Draft) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	// The kv expiry runs on real time while the times come from the
	// engine's clock (which tests and the simulator shift), so only their
	// difference is meaningful here; the engine checks ExpiresAt itself.
	ttl := d.ExpiresAt.Sub(d.UpdatedAt)
	if d.ExpiresAt.IsZero() || d.UpdatedAt.IsZero() || ttl <= 0 {
		ttl = defaultDraftTTL
	}
	if err := k.store.Set(ctx, k.prefix+d.User, string(b), ttl); err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	return nil
}

func (k *kvDrafts) Delete(ctx context.Context, user string) error {
	if err := k.store.Delete(ctx, k.prefix+user); err != nil {
		return fmt.Errorf("delete draft: %w", err)
	}
	return nil
}
