package wechat

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/kv"
)

func TestKVCache(t *testing.T) {
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	c := newKVCache(store, "test:sdk:")

	if v := c.Get("absent"); v != nil {
		t.Errorf("Get absent = %v, want nil", v)
	}
	if err := c.Set("ticket", "T-1", time.Minute); err != nil {
		t.Fatalf("Set: %v", err)
	}
	// The SDK type-asserts the value to string.
	if v, ok := c.Get("ticket").(string); !ok || v != "T-1" {
		t.Errorf("Get = %#v, want string T-1", c.Get("ticket"))
	}
	if got, _ := store.Get(t.Context(), "test:sdk:ticket"); got != "T-1" {
		t.Errorf("stored under %q = %q", "test:sdk:ticket", got)
	}
	if !c.IsExist("ticket") || c.IsExist("absent") {
		t.Error("IsExist wrong")
	}
	if err := c.Set("bytes", []byte("B"), time.Minute); err != nil || c.Get("bytes") != "B" {
		t.Errorf("Set []byte: %v, Get = %#v", err, c.Get("bytes"))
	}
	if err := c.Set("struct", struct{}{}, time.Minute); err == nil {
		t.Error("Set of a struct: want error")
	}
	// A lifetime already over is not stored (kv would keep a zero ttl forever).
	if err := c.Set("spent", "x", 0); err != nil || c.IsExist("spent") {
		t.Errorf("Set with ttl 0: err %v, exists %v", err, c.IsExist("spent"))
	}
	if err := c.Delete("ticket"); err != nil || c.IsExist("ticket") {
		t.Errorf("Delete: err %v, exists %v", err, c.IsExist("ticket"))
	}
	if err := c.Delete("absent"); err != nil {
		t.Errorf("Delete absent: %v", err)
	}
}

func TestTokenTTL(t *testing.T) {
	tests := []struct{ in, want time.Duration }{
		{7200 * time.Second, 6900 * time.Second},
		{400 * time.Second, 200 * time.Second},
		{0, time.Second},
	}
	for _, tt := range tests {
		if got := tokenTTL(tt.in); got != tt.want {
			t.Errorf("tokenTTL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
