package kv

import "fmt"

// Redis Cluster runs a script only when all its keys live in one hash slot
// (CROSSSLOT otherwise). The stores check it themselves, so a key layout
// that would fail on a Cluster fails on a single Redis and in process too,
// in every test run and not only on the Cluster CI job.

// slotCount is the number of Redis Cluster hash slots.
const slotCount = 16384

// slot is the Redis Cluster hash slot of key: CRC16 (XMODEM) of its hash
// tag, the part between the first "{" and the next "}" when that part is
// not empty, or of the whole key.
func slot(key string) uint16 {
	for i := 0; i < len(key); i++ {
		if key[i] != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j > i+1 {
					key = key[i+1 : j]
				}
				return crc16(key) % slotCount
			}
		}
		break
	}
	return crc16(key) % slotCount
}

func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^s[i]]
	}
	return crc
}

// crc16Table is CRC16-XMODEM (polynomial 0x1021) by byte: every chat turn
// checks its keys' slots, so the bitwise loop is done once here.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// sameSlot returns an error unless every key hashes to the first one's slot.
func sameSlot(op string, keys ...string) error {
	first := slot(keys[0])
	for _, k := range keys[1:] {
		if slot(k) != first {
			return fmt.Errorf("kv %s: keys %q and %q are in different Redis Cluster slots (use one {hash tag})", op, keys[0], k)
		}
	}
	return nil
}
