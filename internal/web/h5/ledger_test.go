package h5_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/h5"
)

// ledgerEnv is the H5 fixture with the ledger pages mounted.
type ledgerEnv struct {
	*h5env
	svc     *selfcheck.Service
	handler http.Handler
}

// downloader serves every media id as the same small PNG.
type pngDownloader struct{ png []byte }

func (d pngDownloader) DownloadMedia(context.Context, string) ([]byte, string, error) {
	return d.png, "image/png", nil
}

func newLedgerEnv(t *testing.T) *ledgerEnv {
	t.Helper()
	e := &ledgerEnv{h5env: newH5(t, base, nil)}
	if _, err := e.d.Migrate(context.Background(), selfcheck.Schema); err != nil {
		t.Fatal(err)
	}
	var err error
	e.svc, err = selfcheck.NewService(selfcheck.Deps{DB: e.d, Registry: e.reg, Accounts: e.accounts, Visits: e.sup,
		Letters: e.letters, Links: e.links, Clock: e.clk})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	access := h5.NewAccess(h5.AccessOptions{Links: e.links, Accounts: e.accounts, Clock: e.clk, Log: slog.New(slog.DiscardHandler)})
	if err := h5.Mount(srv, access, &h5.Ledger{SelfCheck: e.svc, Media: e.store}); err != nil {
		t.Fatal(err)
	}
	e.handler = srv.Handler()
	return e
}

func (e *ledgerEnv) get(t *testing.T, url string) *http.Response {
	t.Helper()
	saved := e.h5env.handler
	e.h5env.handler = e.handler
	defer func() { e.h5env.handler = saved }()
	return e.h5env.get(t, url).Result()
}

func TestLedgerPage(t *testing.T) {
	t.Parallel()
	e := newLedgerEnv(t)
	ctx := context.Background()
	f := e.letterFixture(t)
	officer, err := e.accounts.EnsureContact(ctx, f.business.ID, account.ContactOfficer)
	if err != nil {
		t.Fatal(err)
	}
	submit := func(key string, day int, problems []selfcheck.Problem, photos ...string) {
		t.Helper()
		in := selfcheck.DailyInput{SubmissionKey: key, ContactID: officer.ID, Day: now.AddDate(0, 0, -day), Problems: problems}
		for _, p := range photos {
			in.Photos = append(in.Photos, supervision.PhotoInput{MediaID: p})
		}
		if _, err := e.svc.SubmitDaily(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	point := e.svc.Risks().For(f.business.Category)[1].ID
	submit("l-1", 2, nil)
	submit("l-2", 1, []selfcheck.Problem{{RiskID: point, Note: "供货单缺一张，已向供应商索取", Resolved: true}}, "media-ledger-1")
	submit("l-3", 0, nil)
	submit("l-4", 0, []selfcheck.Problem{{RiskID: point, Note: "合格证明未留存，已补"}})
	if _, err := e.svc.SubmitWeekly(ctx, selfcheck.WeeklyInput{SubmissionKey: "l-w", ContactID: officer.ID, OpenItems: "合格证明归档制度待完善", NextRisks: "节前备货，注意进货查验"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SubmitMonthly(ctx, selfcheck.MonthlyInput{SubmissionKey: "l-m", ContactID: f.contact.ID, Conclusions: "本月总体良好", KeyWork: "完善进货查验台账"}); err != nil {
		t.Fatal(err)
	}
	if stored, _, err := e.svc.FetchPhotos(ctx, pngDownloader{png: pngPhoto(t, 90)}, e.store, 10); err != nil || stored != 1 {
		t.Fatalf("fetch photos: %d %v", stored, err)
	}

	link := e.links.Ledger(f.business.ID, registry.ActorOf("contact", f.contact.ID), now.Add(linkTTL))
	r := e.get(t, link)
	page := ledgerBody(t, r)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("own contact: status %d: %s", r.StatusCode, page)
	}
	for _, want := range []string{f.business.Name, "每日食品安全检查记录", "全部正常", "供货单缺一张", "需跟进", "已修改，共2次提交",
		"每周食品安全排查治理报告", "节前备货", "每月食品安全调度会议纪要", "完善进货查验台账", "修改记录", "照片1", "window.print()"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Links are signed with the fixture's secret and clock: stable.
	golden(t, "ledger.golden.html", []byte(page))

	t.Run("Photo", func(t *testing.T) {
		m := regexp.MustCompile(`href="(/h5/ledger/\d+/photos/\d+\?[^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no photo link")
		}
		r := e.get(t, base+strings.ReplaceAll(m[1], "&amp;", "&"))
		if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("photo: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
		}
	})
	t.Run("Cadre", func(t *testing.T) {
		if r := e.get(t, e.links.Ledger(f.business.ID, registry.ActorOf("cadre", f.cadre), now.Add(linkTTL))); r.StatusCode != http.StatusOK {
			t.Fatalf("the business's cadre: status %d", r.StatusCode)
		}
	})
	t.Run("OtherMonth", func(t *testing.T) {
		if r := e.get(t, link+"&month=2026-10"); r.StatusCode != http.StatusOK {
			t.Fatalf("October: status %d", r.StatusCode)
		}
		if r := e.get(t, link+"&month=2026-12"); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("a month to come: status %d", r.StatusCode)
		}
	})
	t.Run("ErrOtherBusiness", func(t *testing.T) {
		_, other := e.otherBusiness(t, "o-ledger-other")
		r := e.get(t, e.links.Ledger(f.business.ID, registry.ActorOf("contact", other.ID), now.Add(linkTTL)))
		if r.StatusCode != http.StatusForbidden {
			t.Fatalf("another business's contact: status %d", r.StatusCode)
		}
	})
	t.Run("ErrOtherCadre", func(t *testing.T) {
		r := e.get(t, e.links.Ledger(f.business.ID, registry.ActorOf("cadre", f.cadre+1), now.Add(linkTTL)))
		if r.StatusCode != http.StatusForbidden {
			t.Fatalf("another cadre: status %d", r.StatusCode)
		}
	})
	t.Run("ErrForged", func(t *testing.T) {
		for _, u := range []string{
			strings.Replace(link, "/h5/ledger/", "/h5/ledger/1", 1),
			strings.Replace(link, "r=contact", "r=cadre", 1),
			link[:len(link)-2] + "xx",
			base + "/h5/ledger/" + strconv.FormatInt(f.business.ID, 10),
			e.links.Ledger(f.business.ID, registry.ActorOf("contact", f.contact.ID), now.Add(-1)),
		} {
			if r := e.get(t, u); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s: status %d", u, r.StatusCode)
			}
		}
	})
	t.Run("ErrPhotoOfAnother", func(t *testing.T) {
		if r := e.get(t, strings.Replace(link, "?", "/photos/999?", 1)); r.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown photo: status %d", r.StatusCode)
		}
	})
}

func ledgerBody(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
