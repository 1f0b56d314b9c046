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
	opSetNXOrGet
	opClaim
	opSetAndRelease
)

// Op is one operation of a Batch, with its result once the batch has run.
// Batching exists for hot paths (every WeChat callback) where each Redis
// round trip is a measurable share of the cost.
type Op struct {
	kind  opKind
	key   string
	value string
	ttl   time.Duration
	// lockKey and token are the lock a ClaimOp takes or a SetAndReleaseOp
	// gives up; reads are the keys a ClaimOp reads.
	lockKey string
	token   string
	reads   []string

	// OK is true when a SetNX, SetNXOrGet or ClaimOp stored its value, a
	// CompareAndDelete deleted, or a SetAndRelease released its lock.
	OK bool
	// Value is what a Get read, or the value a SetNXOrGet or ClaimOp found
	// in place of its own; Miss is true when a Get found the key absent.
	Value string
	Miss  bool
	// Locked is true when a ClaimOp also took its lock.
	Locked bool
	// Reads are what a ClaimOp read, in the order of its keys.
	Reads []Read
	// Err is this operation's own failure.
	Err error
}

// Read is one key a ClaimOp read along the way.
type Read struct {
	Key   string
	Value string
	Miss  bool
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

// SetNXOrGetOp stores value only when key is absent, like SetNXOp, and
// otherwise reads what key holds into Value, in the same step: a check
// such as "this nonce was seen, but with which body?" costs no second call.
func SetNXOrGetOp(key, value string, ttl time.Duration) *Op {
	return &Op{kind: opSetNXOrGet, key: key, value: value, ttl: ttl}
}

// ClaimOp is the start of a unit of work that must run once, one at a time
// per owner (a chat turn): in one atomic step it stores value under key
// when key is absent (the claim), takes lockKey for lockToken only when
// the claim succeeded, and reads each of reads whatever happened. OK says
// whether key was claimed, Locked whether the lock was taken; when the
// claim failed, Value is what key holds instead. Both key and lockKey
// expire after ttl, which must be positive, so a claimant that dies
// leaves neither behind for longer than that.
//
// It runs as one script, so all its keys must share one Redis Cluster
// hash slot (one {hash tag}); every store refuses it otherwise.
func ClaimOp(key, value string, ttl time.Duration, lockKey, lockToken string, reads ...string) *Op {
	return &Op{kind: opClaim, key: key, value: value, ttl: ttl, lockKey: lockKey, token: lockToken,
		reads: append([]string(nil), reads...)}
}

// ClaimLockOp is ClaimOp with a fresh Lock on lockKey: when op.Locked after
// the batch, the returned Lock is held (release it as usual, or batch its
// SetAndReleaseOp).
func ClaimLockOp(s Store, key, value string, ttl time.Duration, lockKey string, reads ...string) (*Op, *Lock) {
	token := cryptorand.Text()
	return ClaimOp(key, value, ttl, lockKey, token, reads...), &Lock{store: s, key: lockKey, token: token}
}

// SetAndReleaseOp stores value under key (like SetOp) and releases the
// lock in the same atomic step: the end of the unit of work a ClaimOp
// started. OK is false when the lock had been lost; the value is stored
// either way. key and the lock must share one Redis Cluster hash slot.
func (l *Lock) SetAndReleaseOp(key, value string, ttl time.Duration) *Op {
	return &Op{kind: opSetAndRelease, key: key, value: value, ttl: ttl, lockKey: l.key, token: l.token}
}

func (o *Op) check() error {
	if o.ttl < 0 {
		return fmt.Errorf("kv batch: negative ttl %s", o.ttl)
	}
	switch o.kind {
	case opClaim:
		if o.ttl == 0 {
			return fmt.Errorf("kv batch: a claim needs a positive ttl")
		}
		return sameSlot("claim", append([]string{o.key, o.lockKey}, o.reads...)...)
	case opSetAndRelease:
		return sameSlot("set and release", o.key, o.lockKey)
	}
	return nil
}

// rekey rewrites every key the op touches (the prefixed store's keys).
func (o *Op) rekey(f func(string) string) {
	o.key = f(o.key)
	if o.lockKey != "" {
		o.lockKey = f(o.lockKey)
	}
	for i := range o.reads {
		o.reads[i] = f(o.reads[i])
	}
	for i := range o.Reads {
		o.Reads[i].Key = f(o.Reads[i].Key)
	}
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
