package kv

import "context"

// A hot path that already makes one call to the store can read, in the
// same call, keys that code further down would otherwise each fetch with
// a round trip of its own (the chat callback reads the user's identity
// version in its ClaimOp). It hands what it read down through the context.

type readAheadKey struct{}

// WithReads returns ctx carrying reads (a ClaimOp's Reads), for ReadAhead.
func WithReads(ctx context.Context, reads []Read) context.Context {
	if len(reads) == 0 {
		return ctx
	}
	m := make(map[string]Read, len(reads))
	if prev, ok := ctx.Value(readAheadKey{}).(map[string]Read); ok {
		for k, r := range prev {
			m[k] = r
		}
	}
	for _, r := range reads {
		m[r.Key] = r
	}
	return context.WithValue(ctx, readAheadKey{}, m)
}

// ReadAhead returns what key held when it was read ahead for ctx's unit of
// work; ok is false when it was not, and the caller reads the store. It was
// read under the unit of work's lock (a turn reads under the user's lock),
// so changes made under that lock before are in; changes made elsewhere
// since are not, and a caller must be correct with a value that old (the
// identity cache treats it as a version to compare, not as the data).
func ReadAhead(ctx context.Context, key string) (r Read, ok bool) {
	m, _ := ctx.Value(readAheadKey{}).(map[string]Read)
	r, ok = m[key]
	return r, ok
}
