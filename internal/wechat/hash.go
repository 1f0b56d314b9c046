package wechat

import (
	"crypto/sha256"
	"encoding/hex"
)

// hashID shortens an openid or userid to a stable pseudonym for logs and
// kv keys: logs must never carry the id itself.
func hashID(id string) string {
	sum := sha256.Sum256([]byte("shianbao-user:" + id))
	return hex.EncodeToString(sum[:8])
}
