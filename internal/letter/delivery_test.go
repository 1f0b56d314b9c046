package letter_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/registry"
)

// statementsOn counts the SQL statements GORM runs on d from now on that
// name table. Subqueries are built by a dry run, not run on their own.
func statementsOn(d *db.DB, table string) *atomic.Int64 {
	var n atomic.Int64
	inc := func(g *gorm.DB) {
		if !g.DryRun && strings.Contains(g.Statement.SQL.String(), table) {
			n.Add(1)
		}
	}
	cb := d.Gorm(context.Background()).Callback()
	cb.Query().After("gorm:query").Register("test:count_query", inc)
	cb.Row().After("gorm:row").Register("test:count_row", inc)
	cb.Raw().After("gorm:raw").Register("test:count_raw", inc)
	return &n
}

// TestDeliveryQueries: finding whom a letter reaches is one query on the
// identities, however many contacts the business has; the letter reaches
// the bound ones only.
func TestDeliveryQueries(t *testing.T) {
	each(t, func(t *testing.T, w *district) {
		ctx := context.Background()
		m, office := w.manager(t, "胡埭镇")
		by := registry.ActorOf("manager", m.ID)
		bs := w.businessesIn(t, office, 2)
		one, many := bs[0], bs[1]
		w.bindContact(t, one.ID, "o-one")

		bound := []*account.Contact{w.bindContact(t, many.ID, "o-many-0")}
		for i := 1; i <= 4; i++ {
			c, err := w.accounts.CreateContact(ctx, many.ID, fmt.Sprintf("联系人%d", i), fmt.Sprintf("1380000000%d", i), account.ContactOther)
			if err != nil {
				t.Fatal(err)
			}
			code, _, err := w.accounts.IssueCode(ctx, account.RoleContact, c.ID, "test")
			if err != nil {
				t.Fatal(err)
			}
			openid := fmt.Sprintf("o-many-%d", i)
			if _, err := w.accounts.Bind(ctx, chat.ChannelOA, openid, code); err != nil {
				t.Fatal(err)
			}
			if i == 4 { // bound once, no longer
				if _, err := w.accounts.Unbind(ctx, chat.ChannelOA, openid); err != nil {
					t.Fatal(err)
				}
				continue
			}
			bound = append(bound, c)
		}

		n := statementsOn(w.d, "identities")
		issue := func(b registry.Business) (*letter.Letter, int64) {
			t.Helper()
			before := n.Load()
			l, err := w.letters.Issue(ctx, b.ID, letter.IssueInput{Findings: []letter.FindingInput{{Description: "索证索票不全"}}}, by)
			if err != nil {
				t.Fatal(err)
			}
			return l, n.Load() - before
		}
		if _, q := issue(one); q != 1 {
			t.Fatalf("issuing to a business with one contact reads the identities %d times", q)
		}
		l, q := issue(many)
		if q != 1 {
			t.Fatalf("issuing to a business with %d contacts reads the identities %d times, want once", len(bound)+1, q)
		}
		var got []int64
		if err := w.d.Gorm(ctx).Raw(`SELECT contact_id FROM letter_deliveries WHERE letter_id = ? ORDER BY contact_id`, l.ID).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if len(got) != len(bound) {
			t.Fatalf("delivered to %v, want the %d bound contacts", got, len(bound))
		}
		for i, c := range bound {
			if got[i] != c.ID {
				t.Fatalf("delivered to %v, want %+v", got, bound)
			}
		}
	})
}
