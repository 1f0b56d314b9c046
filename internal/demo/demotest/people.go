package demotest

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// BindContact makes the business's principal a bound contact as openid, the
// way a contact binds with the code the office hands out.
func BindContact(t testing.TB, accounts *account.Service, businessID int64, openid string) *account.Contact {
	t.Helper()
	ctx := context.Background()
	c, err := accounts.EnsureContact(ctx, businessID, account.ContactPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	code, _, err := accounts.IssueCode(ctx, account.RoleContact, c.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Bind(ctx, chat.ChannelOA, openid, code); err != nil {
		t.Fatal(err)
	}
	return c
}

// TownManager is an active manager of the office over a town ("胡埭镇"),
// and that office.
func TownManager(t testing.TB, reg *registry.Service, town string) (*registry.Manager, *registry.Office) {
	t.Helper()
	ctx := context.Background()
	offices, err := reg.Offices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offices {
		if !strings.HasPrefix(o.Name, town) {
			continue
		}
		ms, err := reg.Managers(ctx, o.ID)
		if err != nil || len(ms) == 0 {
			t.Fatalf("managers of %s: %v", o.Name, err)
		}
		return &ms[0], &o
	}
	t.Fatalf("no office for %s", town)
	return nil, nil
}

// OperatingBusinessesIn lists n operating businesses under an office's
// region, and fails the test when there are fewer.
func OperatingBusinessesIn(t testing.TB, d *db.DB, reg *registry.Service, o *registry.Office, n int) []registry.Business {
	t.Helper()
	r, err := reg.Region(context.Background(), o.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	bs := Businesses(t, d, query.BusinessFilter{ScopePath: r.Path, Status: string(registry.StatusOperating), Limit: n})
	if len(bs) < n {
		t.Fatalf("businesses in %s: %d", o.Name, len(bs))
	}
	return bs
}

// VisitWithOpenFindings is the id of the first current visit, by its
// still-assigned cadre, with a rectification still open.
func VisitWithOpenFindings(t testing.TB, d *db.DB) int64 {
	t.Helper()
	var ids []int64
	err := d.Gorm(context.Background()).Raw(`
SELECT v.id FROM visits v
JOIN findings f ON f.visit_id = v.id
JOIN rectifications r ON r.finding_id = f.id
JOIN assignments a ON a.active_business_id = v.business_id AND a.cadre_id = v.cadre_id
WHERE v.is_current = ? AND r.status = ?
GROUP BY v.id ORDER BY v.id LIMIT 1`, true, supervision.StatusOpen).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		t.Fatalf("no visit with open findings in the demo district: %v", err)
	}
	return ids[0]
}
