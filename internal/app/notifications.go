package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
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

// NotificationLine is a push in words, as `shianbao notifications` prints it.
type NotificationLine struct {
	ID                          int64
	Status, Kind, To, LastError string
	Attempts                    int
	UpdatedAt                   time.Time
}

// NotificationLines lists what f selects as the console does — whom for by
// name and role, the kind and the status in Chinese — newest first, with
// the total.
func (s *Services) NotificationLines(ctx context.Context, f notify.Filter) ([]NotificationLine, int64, error) {
	qf := query.NotificationFilter{Kind: f.Kind, Limit: f.Limit}
	for _, st := range f.Status {
		qf.Statuses = append(qf.Statuses, string(st))
	}
	ns, total, err := query.New(s.DB).Notifications(ctx, qf, "")
	if err != nil {
		return nil, 0, err
	}
	out := make([]NotificationLine, len(ns))
	for i, n := range ns {
		out[i] = NotificationLine{ID: n.ID, Status: query.NotificationStatusLabel(n.Status), Kind: query.NotificationKindLabel(n.Kind),
			To: n.RecipientLabel(), LastError: n.LastError, Attempts: n.Attempts, UpdatedAt: n.UpdatedAt}
	}
	return out, total, nil
}
