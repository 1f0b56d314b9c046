package dialog

import (
	"context"
	"sync"
)

// One message can reach the engine more than once — Handle finds nothing
// to continue, then the command it was starts a flow with Begin — and each
// call would read the user's draft again. Within a turn (Turn), the engine
// reads each draft once and remembers what it wrote or deleted, and skips
// deleting a draft it knows is not there. A turn is one user's, under their
// lock (the chat's turns and the form's posts take the same one), so
// nobody else changes those drafts meanwhile.

type turnMemoKey struct{}

// draftMemo is what one turn knows of the drafts: a key maps to the draft
// or to nil when there is none.
type draftMemo struct {
	mu     sync.Mutex
	drafts map[string]*Draft
}

// Turn marks ctx as one turn of one user: the engine reads each of the
// user's drafts at most once in it.
func Turn(ctx context.Context) context.Context {
	if _, ok := ctx.Value(turnMemoKey{}).(*draftMemo); ok {
		return ctx
	}
	return context.WithValue(ctx, turnMemoKey{}, &draftMemo{drafts: map[string]*Draft{}})
}

// draftStore is the engine's draft store, remembered within ctx's turn.
func (e *Engine) draftStore(ctx context.Context) DraftStore {
	m, ok := ctx.Value(turnMemoKey{}).(*draftMemo)
	if !ok {
		return e.drafts
	}
	return memoDrafts{store: e.drafts, memo: m}
}

type memoDrafts struct {
	store DraftStore
	memo  *draftMemo
}

func (m memoDrafts) Load(ctx context.Context, user string) (*Draft, error) {
	m.memo.mu.Lock()
	d, known := m.memo.drafts[user]
	m.memo.mu.Unlock()
	if known {
		if d == nil {
			return nil, nil
		}
		c := *d
		return &c, nil
	}
	d, err := m.store.Load(ctx, user)
	if err != nil {
		return nil, err
	}
	m.remember(user, d)
	if d == nil {
		return nil, nil
	}
	c := *d
	return &c, nil
}

func (m memoDrafts) Save(ctx context.Context, d Draft) error {
	if err := m.store.Save(ctx, d); err != nil {
		m.forget(d.User)
		return err
	}
	m.remember(d.User, &d)
	return nil
}

func (m memoDrafts) Delete(ctx context.Context, user string) error {
	m.memo.mu.Lock()
	d, known := m.memo.drafts[user]
	m.memo.mu.Unlock()
	if known && d == nil {
		return nil
	}
	if err := m.store.Delete(ctx, user); err != nil {
		m.forget(user)
		return err
	}
	m.remember(user, nil)
	return nil
}

func (m memoDrafts) remember(user string, d *Draft) {
	m.memo.mu.Lock()
	defer m.memo.mu.Unlock()
	if d != nil {
		c := *d
		d = &c
	}
	m.memo.drafts[user] = d
}

func (m memoDrafts) forget(user string) {
	m.memo.mu.Lock()
	defer m.memo.mu.Unlock()
	delete(m.memo.drafts, user)
}
