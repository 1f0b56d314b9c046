package dialog

import (
	"context"
	"time"
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
