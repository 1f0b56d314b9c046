package pledge_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/notify/notifytest"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// now is when the demo district is seeded and the tests start.
var now = time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)

type links struct{}

func (links) Pledge(kind string, id int64, reader registry.Actor, expires time.Time) string {
	return fmt.Sprintf("https://sab.example/h5/pledges/%s/%d?r=%s&e=%d", kind, id, url.QueryEscape(string(reader)), expires.Unix())
}

var demoDistrict = demotest.District("pledge", now,
	registry.Schema, audit.Schema, account.Schema, supervision.Schema, pledge.Schema, notifytest.Schema)

type district struct {
	d        *db.DB
	clk      *clock.Offset
	reg      *registry.Service
	accounts *account.Service
	media    *media.Local
	out      notifytest.Outbox
	pledges  *pledge.Service
}

func newDistrict(t testing.TB, d *db.DB) *district {
	t.Helper()
	w := &district{d: d, clk: clock.NewFixed(now), out: notifytest.Outbox{DB: d}}
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	w.reg = registry.NewService(d, registry.Rules{}, w.clk)
	w.accounts = account.NewService(d, store, w.reg, w.clk, []byte("pledge-test-secret-0123456789"))
	m, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.media = m
	w.pledges = w.service(t, nil)
	return w
}

// service is a pledge service over the district with the given texts
// (nil: the shipped ones).
func (w *district) service(t testing.TB, tpl *pledge.Templates) *pledge.Service {
	t.Helper()
	s, err := pledge.NewService(pledge.Deps{DB: w.d, Registry: w.reg, Accounts: w.accounts, Media: w.media, Outbox: w.out,
		Links: links{}, Templates: tpl, Clock: w.clk})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func each(t *testing.T, fn func(t *testing.T, w *district)) {
	t.Helper()
	demoDistrict.Each(t, func(t *testing.T, d *db.DB) { fn(t, newDistrict(t, d)) })
}

func sqlite(t *testing.T) *district {
	t.Helper()
	return newDistrict(t, demoDistrict.OpenSQLite(t))
}

// business is the nth operating, packed business of the demo district
// that has not signed its pledge (the demo signs about half).
func (w *district) business(t *testing.T, n int) registry.Business {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	err := w.d.Gorm(ctx).Raw(`SELECT b.id FROM businesses b JOIN assignments a ON a.active_business_id = b.id
WHERE b.status = ? AND NOT EXISTS (SELECT 1 FROM pledges p WHERE p.kind = 'business' AND p.subject_id = b.id)
ORDER BY b.id LIMIT ?`, registry.StatusOperating, n+1).Scan(&ids).Error
	if err != nil || len(ids) <= n {
		t.Fatalf("only %d unsigned businesses: %v", len(ids), err)
	}
	b, err := w.reg.Business(ctx, ids[n])
	if err != nil {
		t.Fatal(err)
	}
	return *b
}

// unsignedCadre is a cadre packing businesses who has not signed.
func (w *district) unsignedCadre(t *testing.T) int64 {
	t.Helper()
	var ids []int64
	err := w.d.Gorm(context.Background()).Raw(`SELECT c.id FROM cadres c WHERE c.active = ?
AND EXISTS (SELECT 1 FROM assignments a WHERE a.cadre_id = c.id AND a.active_business_id IS NOT NULL)
AND NOT EXISTS (SELECT 1 FROM pledges p WHERE p.kind = 'cadre' AND p.subject_id = c.id) ORDER BY c.id LIMIT 1`, true).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		t.Fatalf("no unsigned cadre: %v", err)
	}
	return ids[0]
}

// bindContact makes the business's principal a bound contact as openid.
func (w *district) bindContact(t *testing.T, businessID int64, openid string) *account.Contact {
	t.Helper()
	ctx := context.Background()
	c, err := w.accounts.EnsureContact(ctx, businessID, account.ContactPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	code, _, err := w.accounts.IssueCode(ctx, account.RoleContact, c.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.Bind(ctx, chat.ChannelOA, openid, code); err != nil {
		t.Fatal(err)
	}
	return c
}

// drawn is a signature: a dark zigzag on a white 600×200 canvas.
func drawn(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 600, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 600; x++ {
			img.Set(x, y, color.White)
		}
	}
	for x := 50; x < 550; x++ {
		y := 100 + (x%80 - 40)
		for d := -2; d <= 2; d++ {
			img.Set(x, y+d, color.Black)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// blank is an empty canvas.
func blank(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 600, 200))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
