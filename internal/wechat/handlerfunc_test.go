package wechat

import (
	"context"

	"github.com/shianbao/shianbao/internal/chat"
)

// HandlerFunc adapts a function to Handler, for tests that answer
// without the bot.
type HandlerFunc func(ctx context.Context, in chat.Inbound) (chat.Outbound, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	return f(ctx, in)
}
