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
	"github.com/shianbao/shianbao/internal/query"
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

func newDistrict(t *testing.T, d *db.DB) *district {
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
func (w *district) service(t *testing.T, tpl *pledge.Templates) *pledge.Service {
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

// business is an operating, packed business of the demo district.
func (w *district) business(t *testing.T, n int) registry.Business {
	t.Helper()
	bs := demotest.Businesses(t, w.d, query.BusinessFilter{Status: string(registry.StatusOperating), Limit: n + 1})
	if len(bs) <= n {
		t.Fatalf("only %d businesses", len(bs))
	}
	return bs[n]
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
