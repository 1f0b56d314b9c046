package kv

import (
	"context"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrLocked is returned by TryLock when another owner holds the lock.
var ErrLocked = errors.New("kv: locked")

// ErrLockLost is returned by Release and Extend when the caller no longer owns the lock: it expired
// (and perhaps another owner took it) or it was already released.
var ErrLockLost = errors.New("kv: lock lost")

// Polling bounds for AcquireLock. Locks guard short critical sections (one chat message, one
// scheduler tick), so the first retry comes quickly and the cap keeps a crowd of waiters from
// hammering Redis.
const (
	lockPollMin = 2 * time.Millisecond
	lockPollMax = 50 * time.Millisecond
)

// Lock is a lease on a key, held by the owner of a random token.
//
// The lease ends when its ttl runs out even if the owner is still working, so work that may outlast
// the ttl must call Extend. A lock is a way to avoid duplicate work across instances, not a
// guarantee of exclusion strong enough on its own for money or counts: with Redis replication a
// failover can lose it. Writes that must never happen twice also need a database constraint.
type Lock struct {
	store Store
	key   string
	token string
}

// TryLock takes the lock on key for ttl, or returns ErrLocked at once when another owner holds it.
// The ttl must be positive, so that a crashed owner cannot hold the lock forever.
func TryLock(ctx context.Context, s Store, key string, ttl time.Duration) (*Lock, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("kv trylock: ttl must be positive, got %s", ttl)
	}
	// The token tells this owner's release from a later owner's after the lease has expired.
	token := cryptorand.Text()
	ok, err := s.SetNX(ctx, key, token, ttl)
	if err != nil {
		return nil, fmt.Errorf("kv trylock: %w", err)
	}
	if !ok {
		return nil, ErrLocked
	}
	return &Lock{store: s, key: key, token: token}, nil
}

// AcquireLock waits until it takes the lock on key for ttl, or until ctx is done, in which case the
// returned error wraps ctx.Err().
func AcquireLock(ctx context.Context, s Store, key string, ttl time.Duration) (*Lock, error) {
	delay := lockPollMin
	for {
		l, err := TryLock(ctx, s, key, ttl)
		if err != nil && !errors.Is(err, ErrLocked) && ctx.Err() != nil {
			// The deadline ran out during the round trip: the client
			// reports a network timeout, but the caller's context is why.
			return nil, fmt.Errorf("kv acquire lock: %w (%v)", ctx.Err(), err)
		}
		if !errors.Is(err, ErrLocked) {
			return l, err
		}
		// Jitter keeps waiters that started together from retrying in lockstep.
		t := time.NewTimer(delay/2 + rand.N(delay/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("kv acquire lock: %w", ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, lockPollMax)
	}
}

// Key returns the locked key.
func (l *Lock) Key() string { return l.key }

// Release gives the lock up. It returns ErrLockLost, and leaves the key alone, when the lease has
// expired or the lock was already released.
func (l *Lock) Release(ctx context.Context) error {
	ok, err := l.store.CompareAndDelete(ctx, l.key, l.token)
	if err != nil {
		return fmt.Errorf("kv release lock: %w", err)
	}
	if !ok {
		return ErrLockLost
	}
	return nil
}

// Extend renews the lease to ttl from now. It returns ErrLockLost when the lease has already
// expired or the lock was released; the caller must then stop the guarded work.
func (l *Lock) Extend(ctx context.Context, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("kv extend lock: ttl must be positive, got %s", ttl)
	}
	ok, err := l.store.CompareAndExpire(ctx, l.key, l.token, ttl)
	if err != nil {
		return fmt.Errorf("kv extend lock: %w", err)
	}
	if !ok {
		return ErrLockLost
	}
	return nil
}
