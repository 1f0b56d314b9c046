package app

import (
	"fmt"
	"strings"

	"github.com/shianbao/shianbao/internal/notify"
)

// ParseNotificationFilter reads `shianbao notifications` flags: statuses
// separated by commas (or |), a kind and a limit, before anything is
// opened. List them with Services.Notify.List.
func ParseNotificationFilter(statuses, kind string, limit int) (notify.Filter, error) {
	f := notify.Filter{Kind: kind, Limit: limit}
	for _, s := range strings.FieldsFunc(statuses, func(r rune) bool { return r == ',' || r == '|' }) {
		switch st := notify.Status(strings.TrimSpace(s)); st {
		case notify.StatusPending, notify.StatusSending, notify.StatusSent, notify.StatusDelivered,
			notify.StatusFailed, notify.StatusDead, notify.StatusUnreachable:
			f.Status = append(f.Status, st)
		default:
			return notify.Filter{}, fmt.Errorf("unknown status %q", s)
		}
	}
	return f, nil
}
