package kv

// Token returns the random value that identifies the lock's owner: the
// tests check it is what the store holds.
func (l *Lock) Token() string { return l.token }
