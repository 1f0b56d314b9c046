package notify

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/kv"
)

// limiter holds each channel to its configured rate and pauses a channel the
// platform throttled, across every instance (the state is in kv).
//
// The rate is a fixed-window counter, an approximation of a token bucket
// that costs one kv round trip a send: each window (a second, or 1/rate
// seconds for rates under one a second) admits floor(rate·window) sends,
// so two windows' worth may pass around a window's turn. That burst is
// harmless against the platform's limits, which are per day and per minute.
type limiter struct {
	store  kv.Store
	prefix string
	rates  map[Channel]float64
}

// pausable are the channels one throttling answer stops as a whole: the
// Official Account's quota is per account and API. A WeCom robot's limit is
// per robot and already kept by the robot sender.
var pausable = []Channel{ChannelTemplate, ChannelSubscribe, ChannelCustom}

// take reserves one send on ch at now. It returns 0 when the send may go,
// else how long until the channel's next window.
func (l *limiter) take(ctx context.Context, ch Channel, now time.Time) (time.Duration, error) {
	rate := l.rates[ch]
	if rate <= 0 {
		return 0, nil
	}
	window, limit := time.Second, int64(rate)
	if rate < 1 {
		window, limit = time.Duration(math.Ceil(1/rate))*time.Second, 1
	}
	slot := now.UnixNano() / int64(window)
	key := l.prefix + "rate:" + string(ch) + ":" + strconv.FormatInt(slot, 10)
	n, err := l.store.Incr(ctx, key, 2*window)
	if err != nil {
		return 0, err
	}
	if n <= limit {
		return 0, nil
	}
	return time.Unix(0, (slot+1)*int64(window)).Sub(now), nil
}

func (l *limiter) pauseKey(ch Channel) string { return l.prefix + "pause:" + string(ch) }

// pauses reads, in one round trip, until when each pausable channel is paused.
func (l *limiter) pauses(ctx context.Context) (map[Channel]time.Time, error) {
	ops := make([]*kv.Op, len(pausable))
	for i, ch := range pausable {
		ops[i] = kv.GetOp(l.pauseKey(ch))
	}
	if err := l.store.Batch(ctx, ops...); err != nil {
		return nil, err
	}
	out := map[Channel]time.Time{}
	for i, op := range ops {
		if op.Err != nil && !errors.Is(op.Err, kv.ErrMiss) {
			return nil, op.Err
		}
		if op.Miss || op.Err != nil {
			continue
		}
		if ns, err := strconv.ParseInt(op.Value, 10, 64); err == nil {
			out[pausable[i]] = time.Unix(0, ns)
		}
	}
	return out, nil
}

// pause stops ch for every dispatcher until until. The key's own expiry
// only cleans up; the stored time is what counts, so an injected clock
// governs pauses as it governs everything else.
func (l *limiter) pause(ctx context.Context, ch Channel, now, until time.Time) error {
	ttl := max(until.Sub(now), time.Second) + time.Minute
	return l.store.Set(ctx, l.pauseKey(ch), strconv.FormatInt(until.UnixNano(), 10), ttl)
}
