package listing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/shianbao/shianbao/internal/query"
)

// Counting a whole city's filtered list (every business not yet covered
// this cycle, say) takes as long as fetching its page; paging needs only
// a recent figure. A count that was slow is kept in kv for a minute per
// scope and filter, and the next pages reuse it: the page itself is
// always read fresh. A fast count is never kept.
const countFresh = time.Minute

// slowCount is how long a count must take to be kept, in nanoseconds.
var slowCount atomic.Int64

func init() { slowCount.Store(int64(150 * time.Millisecond)) }

// SetSlowCount changes how slow a list count must be to be kept, and
// returns the restore. The tests of the pages set it out of reach
// (webtest): on a busy machine any count may take 150 ms, and a kept
// count would hide the rows a test has just added; the test of the
// keeping sets it to 0.
func SetSlowCount(d time.Duration) (restore func()) {
	old := slowCount.Swap(int64(d))
	return func() { slowCount.Store(old) }
}

// Businesses is Supervision.FindBusinesses with slow counts kept.
func (l *Lists) Businesses(ctx context.Context, q query.BusinessFilter) ([]query.BusinessLine, int64, error) {
	page := q
	page.Limit, page.Offset, page.KnownTotal = 0, 0, 0
	sum := sha256.Sum256(fmt.Appendf(nil, "%#v", page))
	key := "console:count:businesses:" + hex.EncodeToString(sum[:16])
	if v, err := l.KV.Get(ctx, key); err == nil {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			q.KnownTotal = n
		}
	}
	start := time.Now()
	rows, total, err := l.Query.Businesses(ctx, q)
	if err == nil && q.KnownTotal == 0 && total > 0 && time.Since(start) >= time.Duration(slowCount.Load()) {
		if err := l.KV.Set(ctx, key, strconv.FormatInt(total, 10), countFresh); err != nil {
			l.logger().Warn("keep list count", "err", err.Error())
		}
	}
	return rows, total, err
}
