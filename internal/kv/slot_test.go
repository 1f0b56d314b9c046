package kv

import "testing"

// TestSlot checks the hash slot against values Redis Cluster gives
// (CLUSTER KEYSLOT), hash tags included.
func TestSlot(t *testing.T) {
	for key, want := range map[string]uint16{
		"123456789":            0x31C3 % slotCount, // the CRC16-XMODEM check value
		"foo":                  12182,
		"bar":                  5061,
		"{user1000}.following": 3443,
		"{user1000}.followers": 3443,
		"user1000":             3443,
		"foo{}{bar}":           8363,
		"foo{{bar}}zap":        4015,
		"foo{bar}{zap}":        5061,
	} {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
}
