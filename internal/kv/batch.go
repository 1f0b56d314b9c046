package kv

import (
	cryptorand "crypto/rand"
	"fmt"
	"time"
)

// opKind names what a batched operation does.
type opKind int

const (
	opGet opKind = iota
	opSet
	opSetNX
	opCompareAndDelete
)

// Op is one operation of a Batch, with its result once the batch has run.
// Batching exists for hot paths (every WeChat callback) where each Redis
// round trip is a measurable share of the cost.
type Op struct {
	kind  opKind
	key   string
	value string
	ttl   time.Duration

	// OK is true when a SetNX stored its value or a CompareAndDelete deleted.
	OK bool
	// Value is what a Get read; Miss is true when the key was absent.
	Value string
	Miss  bool
	// Err is this operation's own failure.
	Err error
}

// GetOp reads key.
func GetOp(key string) *Op { return &Op{kind: opGet, key: key} }

// SetOp stores value under key.
func SetOp(key, value string, ttl time.Duration) *Op {
	return &Op{kind: opSet, key: key, value: value, ttl: ttl}
}

// SetNXOp stores value only when key is absent.
func SetNXOp(key, value string, ttl time.Duration) *Op {
	return &Op{kind: opSetNX, key: key, value: value, ttl: ttl}
}

// CompareAndDeleteOp deletes key only when it holds expected.
func CompareAndDeleteOp(key, expected string) *Op {
	return &Op{kind: opCompareAndDelete, key: key, value: expected}
}

func (o *Op) check() error {
	if o.ttl < 0 {
		return fmt.Errorf("kv batch: negative ttl %s", o.ttl)
	}
	return nil
}

// LockOp prepares taking a lock inside a batch: run the returned op, and
// when op.OK the returned Lock is held (release it as usual, or batch
// lock.ReleaseOp()).
func LockOp(s Store, key string, ttl time.Duration) (*Op, *Lock) {
	token := cryptorand.Text()
	return SetNXOp(key, token, ttl), &Lock{store: s, key: key, token: token}
}

// ReleaseOp is Release as a batched operation; op.OK is false when the
// lock had been lost.
func (l *Lock) ReleaseOp() *Op { return CompareAndDeleteOp(l.key, l.token) }
