package dialog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shianbao/shianbao/internal/kv"
)

// NewKVDrafts returns a DraftStore in kv for the engine's tests, which run
// without a database (the service keeps drafts in draft.Store); entries
// expire with the draft. Prefix namespaces the keys (e.g. "dlg:draft:").
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
