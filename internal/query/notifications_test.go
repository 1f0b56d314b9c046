package query_test

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
)

// outbox adds an outbox row for a recipient, as notify would have queued it.
func (e *env) outbox(t *testing.T, key, kind, status, recipientKind string, id int64, group string) {
	t.Helper()
	now := at.UTC()
	e.exec(t, `INSERT INTO outbox (idem_key, kind, recipient_kind, recipient_id, recipient_group, channel, title, fields, text,
 status, last_error, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'template', ?, '{"thing1":"标题"}', '', ?, '', ?, ?, ?)`,
		key, kind, recipientKind, id, group, "测试"+key, status, now, now, now)
}

// A console user's notifications are those for the people and groups of
// their town, each with its recipient's name; another town's are neither
// listed, exported nor found by id.
func TestNotificationsInScope(t *testing.T) {
	e := newEnv(t)
	e.outbox(t, "k1", "test.q", "unreachable", "cadre", e.town.Cadre, "")
	e.outbox(t, "k2", "test.q", "sent", "group", 0, e.town.Office)
	e.outbox(t, "k3", "test.q", "unreachable", "cadre", e.other.Cadre, "")

	rows, total, err := e.q.Notifications(e.ctx, query.NotificationFilter{Kind: "test.q"}, e.town.Path)
	if err != nil || total != 2 || len(rows) != 2 {
		t.Fatalf("town's notifications = %d rows, total %d, %v", len(rows), total, err)
	}
	if rows[0].Key != "k2" || rows[0].RecipientName != e.town.Office || rows[0].To.String() != "group:"+e.town.Office {
		t.Errorf("newest = %+v, want the group's", rows[0])
	}
	if rows[1].RecipientName != e.town.CadreName || rows[1].Fields["thing1"] != "标题" || rows[1].To.ID != e.town.Cadre {
		t.Errorf("cadre's = %+v", rows[1])
	}

	rows, total, err = e.q.Notifications(e.ctx, query.NotificationFilter{Kind: "test.q", Statuses: []string{"unreachable"}}, e.town.Path)
	if err != nil || total != 1 || rows[0].Key != "k1" {
		t.Errorf("unreachable of the town = %+v (%d), %v", rows, total, err)
	}
	if _, _, err := e.q.Notifications(e.ctx, query.NotificationFilter{Statuses: []string{"lost"}}, e.town.Path); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown status: %v, want Invalid", err)
	}
	if _, total, _ := e.q.Notifications(e.ctx, query.NotificationFilter{Kind: "test.q", Since: at.Add(time.Hour)}, ""); total != 0 {
		t.Errorf("since an hour later: %d", total)
	}
	if _, total, _ := e.q.Notifications(e.ctx, query.NotificationFilter{Kind: "test.q"}, ""); total != 3 {
		t.Errorf("everything: %d, want 3", total)
	}

	var walked []string
	err = e.q.EachNotification(e.ctx, query.NotificationFilter{Kind: "test.q"}, e.other.Path, func(ns []query.Notification) error {
		for _, n := range ns {
			walked = append(walked, n.Key)
		}
		return nil
	})
	if err != nil || len(walked) != 1 || walked[0] != "k3" {
		t.Errorf("other town's export = %v, %v", walked, err)
	}

	other, _, _ := e.q.Notifications(e.ctx, query.NotificationFilter{Kind: "test.q"}, e.other.Path)
	if _, err := e.q.NotificationInScope(e.ctx, other[0].ID, e.town.Path); !errs.Is(err, errs.NotFound) {
		t.Errorf("another town's notification by id: %v, want NotFound", err)
	}
	if n, err := e.q.NotificationInScope(e.ctx, other[0].ID, e.other.Path); err != nil || n.RecipientName != e.other.CadreName {
		t.Errorf("own notification by id = %+v, %v", n, err)
	}
}
