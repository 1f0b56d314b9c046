package wechat

import (
	"context"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// LockUser takes, across instances, the lock the callback holds while it
// runs one of the user's turns, so work on the user's conversation from
// elsewhere (the visit report's H5 form) never interleaves with a chat
// turn. It waits until ctx is done.
func LockUser(ctx context.Context, store kv.Store, channel chat.Channel, userID string, ttl time.Duration) (*kv.Lock, error) {
	return kv.AcquireLock(ctx, store, userLockKey(chat.Inbound{Channel: channel, UserID: userID}), ttl)
}
