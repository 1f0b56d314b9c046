package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
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

// decodeAESKey turns the 43-character EncodingAESKey into the AES-256 key.
func decodeAESKey(k string) ([]byte, error) {
	if len(k) != 43 {
		return nil, errors.New("EncodingAESKey must be 43 characters")
	}
	key, err := base64.StdEncoding.DecodeString(k + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("EncodingAESKey is not valid base64 for 32 bytes")
	}
	return key, nil
}

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// openCiphertext decrypts a platform ciphertext (AES-256-CBC, IV = key[:16],
// PKCS#7 to 32 bytes) laid out as random(16) | len(4, big-endian) | msg |
// receiveid. Unlike the SDK's version it accepts an empty receive id,
// which is what the WeCom smart robot uses.
func openCiphertext(raw, key []byte) (msg []byte, receiveID string, err error) {
	const block = 32
	if len(raw) < block || len(raw)%aes.BlockSize != 0 {
		return nil, "", errors.New("ciphertext length is not a whole number of blocks")
	}
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, "", err
	}
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(c, key[:16]).CryptBlocks(plain, raw)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > block || pad > len(plain) {
		return nil, "", errors.New("bad padding")
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, "", errors.New("plaintext too short")
	}
	n := int(binary.BigEndian.Uint32(plain[16:20]))
	if n < 0 || 20+n > len(plain) {
		return nil, "", errors.New("bad message length")
	}
	return plain[20 : 20+n], string(plain[20+n:]), nil
}
