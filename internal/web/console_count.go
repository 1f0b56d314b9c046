package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/query"
)

// Counting a whole city's filtered list (every business not yet covered
// this cycle, say) takes as long as fetching its page; paging needs only
// a recent figure. A count that was slow is kept in kv for a minute per
// scope and filter, and the next pages reuse it: the page itself is
// always read fresh. A fast count is never kept.
const countFresh = time.Minute

// slowCount is how long a count must take to be kept (a variable for
// tests).
var slowCount = 150 * time.Millisecond

// findBusinesses is Supervision.FindBusinesses with slow counts kept.
func (c *Console) findBusinesses(ctx context.Context, q query.BusinessFilter) ([]query.BusinessLine, int64, error) {
	page := q
	page.Limit, page.Offset, page.KnownTotal = 0, 0, 0
	sum := sha256.Sum256(fmt.Appendf(nil, "%#v", page))
	key := "console:count:businesses:" + hex.EncodeToString(sum[:16])
	if v, err := c.KV.Get(ctx, key); err == nil {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			q.KnownTotal = n
		}
	}
	start := time.Now()
	rows, total, err := c.Query.Businesses(ctx, q)
	if err == nil && q.KnownTotal == 0 && total > 0 && time.Since(start) >= slowCount {
		if err := c.KV.Set(ctx, key, strconv.FormatInt(total, 10), countFresh); err != nil {
			c.logger().Warn("keep list count", "err", err.Error())
		}
	}
	return rows, total, err
}
