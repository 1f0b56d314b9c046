package kv

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

// sweepInterval is how often Memory drops expired entries. Reads already ignore them, so the sweep
// only bounds memory held by keys nobody reads again (dedupe ids, old counters).
const sweepInterval = 5 * time.Second

var _ Store = (*Memory)(nil)

// Memory is a Store inside the process, for the embedded default and tests. Its locks and counters
// are only shared by the goroutines of one process, so it must not back several instances.
type Memory struct {
	mu    sync.RWMutex
	items map[string]memoryItem

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type memoryItem struct {
	value   string
	expires time.Time // zero: never
}

func (it memoryItem) live(now time.Time) bool {
	return it.expires.IsZero() || now.Before(it.expires)
}

// NewMemory returns an empty Memory store and starts its sweeper; Close stops it.
func NewMemory() *Memory {
	m := &Memory{
		items: make(map[string]memoryItem),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go m.sweepLoop()
	return m
}

func (m *Memory) sweepLoop() {
	defer close(m.done)
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			m.sweep(now)
		}
	}
}

func (m *Memory) sweep(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, it := range m.items {
		if !it.live(now) {
			delete(m.items, k)
		}
	}
}

// lookup returns the live entry for key; the caller holds m.mu.
func (m *Memory) lookup(key string, now time.Time) (memoryItem, bool) {
	it, ok := m.items[key]
	if !ok || !it.live(now) {
		return memoryItem{}, false
	}
	return it, true
}

func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl == 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

// Get returns the value of key, or ErrMiss when it is absent or expired.
func (m *Memory) Get(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("kv get: %w", err)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	it, ok := m.lookup(key, time.Now())
	if !ok {
		return "", ErrMiss
	}
	return it.value, nil
}

// Set stores value under key, replacing any earlier value and its expiry.
func (m *Memory) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := checkTTL("set", ttl); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kv set: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[key] = memoryItem{value: value, expires: expiry(time.Now(), ttl)}
	return nil
}

// SetNX stores value only when key is absent and reports whether it did.
func (m *Memory) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	if err := checkTTL("setnx", ttl); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("kv setnx: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if _, ok := m.lookup(key, now); ok {
		return false, nil
	}
	m.items[key] = memoryItem{value: value, expires: expiry(now, ttl)}
	return true, nil
}

// Delete removes keys; absent keys are not an error.
func (m *Memory) Delete(ctx context.Context, keys ...string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kv delete: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.items, k)
	}
	return nil
}

// Incr adds one to the integer at key; ttl applies only when the call creates the key.
func (m *Memory) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if err := checkTTL("incr", ttl); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("kv incr: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	it, ok := m.lookup(key, now)
	if !ok {
		m.items[key] = memoryItem{value: "1", expires: expiry(now, ttl)}
		return 1, nil
	}
	n, err := strconv.ParseInt(it.value, 10, 64)
	if err != nil {
		// strconv's message quotes the value, which may be personal data.
		return 0, errors.New("kv incr: value is not an integer")
	}
	if n == math.MaxInt64 {
		return 0, errors.New("kv incr: increment would overflow")
	}
	n++
	it.value = strconv.FormatInt(n, 10)
	m.items[key] = it
	return n, nil
}

// TTL returns the time key has left, 0 when it never expires, or ErrMiss when it is absent.
func (m *Memory) TTL(ctx context.Context, key string) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("kv ttl: %w", err)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := time.Now()
	it, ok := m.lookup(key, now)
	if !ok {
		return 0, ErrMiss
	}
	if it.expires.IsZero() {
		return 0, nil
	}
	return it.expires.Sub(now), nil
}

// CompareAndDelete deletes key only when its value equals expected, and reports whether it did.
func (m *Memory) CompareAndDelete(ctx context.Context, key, expected string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("kv compare and delete: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.lookup(key, time.Now())
	if !ok || it.value != expected {
		return false, nil
	}
	delete(m.items, key)
	return true, nil
}

// CompareAndExpire sets key's ttl only when its value equals expected, and reports whether it did.
func (m *Memory) CompareAndExpire(ctx context.Context, key, expected string, ttl time.Duration) (bool, error) {
	if err := checkTTL("compare and expire", ttl); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("kv compare and expire: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	it, ok := m.lookup(key, now)
	if !ok || it.value != expected {
		return false, nil
	}
	it.expires = expiry(now, ttl)
	m.items[key] = it
	return true, nil
}

// Ping returns ctx's error, if any; an in-process store is always reachable.
func (m *Memory) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kv ping: %w", err)
	}
	return nil
}

// Close stops the sweeper. It is safe to call more than once.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() {
		close(m.stop)
		<-m.done
	})
	return nil
}

// Batch runs ops one after another; in process there is no round trip to save.
func (m *Memory) Batch(ctx context.Context, ops ...*Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, o := range ops {
		if o.Err = o.check(); o.Err != nil {
			continue
		}
		switch o.kind {
		case opGet:
			o.Value, o.Err = m.Get(ctx, o.key)
			if errors.Is(o.Err, ErrMiss) {
				o.Miss, o.Err = true, nil
			}
		case opSet:
			o.Err = m.Set(ctx, o.key, o.value, o.ttl)
		case opSetNX:
			o.OK, o.Err = m.SetNX(ctx, o.key, o.value, o.ttl)
		case opCompareAndDelete:
			o.OK, o.Err = m.CompareAndDelete(ctx, o.key, o.value)
		case opSetNXOrGet, opClaim, opSetAndRelease:
			m.script(o)
		}
	}
	return nil
}

// script runs the ops that are one Lua script on Redis, atomically under
// the store's lock as the script is atomic there.
func (m *Memory) script(o *Op) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	setNX := func(key, value string) (string, bool) {
		if it, ok := m.lookup(key, now); ok {
			return it.value, false
		}
		m.items[key] = memoryItem{value: value, expires: expiry(now, o.ttl)}
		return "", true
	}
	switch o.kind {
	case opSetNXOrGet:
		o.Value, o.OK = setNX(o.key, o.value)
	case opClaim:
		o.Value, o.OK = setNX(o.key, o.value)
		o.Locked = false
		if o.OK {
			_, o.Locked = setNX(o.lockKey, o.token)
		}
		o.Reads = make([]Read, len(o.reads))
		for i, k := range o.reads {
			it, ok := m.lookup(k, now)
			o.Reads[i] = Read{Key: k, Value: it.value, Miss: !ok}
		}
	case opSetAndRelease:
		m.items[o.key] = memoryItem{value: o.value, expires: expiry(now, o.ttl)}
		it, ok := m.lookup(o.lockKey, now)
		o.OK = ok && it.value == o.token
		if o.OK {
			delete(m.items, o.lockKey)
		}
	}
}
