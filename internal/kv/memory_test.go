package kv

import (
	"testing"
	"time"
)

// The sweep is invisible through Store (reads already skip expired entries), so it is checked
// from inside the package.
func TestMemorySweep(t *testing.T) {
	m := NewMemory()
	defer m.Close()
	ctx := t.Context()
	if err := m.Set(ctx, "expiring", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(ctx, "forever", "v", 0); err != nil {
		t.Fatal(err)
	}
	m.sweep(time.Now().Add(time.Hour))
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.items["expiring"]; ok {
		t.Error("expired entry survived the sweep")
	}
	if _, ok := m.items["forever"]; !ok {
		t.Error("entry without expiry was swept")
	}
}

func TestMemoryCloseTwice(t *testing.T) {
	m := NewMemory()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
