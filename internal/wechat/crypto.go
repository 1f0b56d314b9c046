package wechat

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"sort"
	"strings"
)

// signature is the platform's SHA-1 over the sorted parameters: with
// (token, timestamp, nonce) it signs the URL; adding the Encrypt field it
// signs a safe-mode message.
func signature(params ...string) string {
	sorted := append([]string(nil), params...)
	sort.Strings(sorted)
	h := sha1.New()
	for _, p := range sorted {
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// signatureOK compares in constant time, so response timing tells an
// attacker nothing about how much of a forged signature was right.
func signatureOK(got string, params ...string) bool {
	want := signature(params...)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}
