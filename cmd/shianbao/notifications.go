package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/clock"
)

// runNotifications lists pushes by status — by default who cannot be
// reached and why — and can put one back in the queue.
func runNotifications(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("notifications", e)
	status := fs.String("status", "failed,dead,unreachable", "comma-separated: pending, sending, sent, delivered, failed, dead, unreachable")
	kind := fs.String("kind", "", "only this kind (e.g. reminder.due)")
	limit := fs.Int("limit", 50, "at most this many (≤ 500)")
	retry := fs.Int64("retry", 0, "put notification ID back in the queue instead of listing")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"notifications takes no arguments"}
	}
	filter, err := app.ParseNotificationFilter(*status, *kind, *limit)
	if err != nil {
		return usageError{err.Error()}
	}
	s, err := fs.open(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	if *retry != 0 {
		if err := s.Notify.Retry(ctx, *retry); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "notification %d is queued again\n", *retry)
		return nil
	}
	rows, total, err := s.NotificationLines(ctx, filter)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "编号\t状态\t类型\t接收人\t次数\t时间\t原因")
	for _, n := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", strconv.FormatInt(n.ID, 10), n.Status, n.Kind, n.To, n.Attempts, n.UpdatedAt.In(clock.China).Format("01-02 15:04"), n.LastError)
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "%d of %d shown\n", len(rows), total)
	return nil
}
