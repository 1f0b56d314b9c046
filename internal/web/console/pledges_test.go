package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestPledgesConsole: who has signed by village and cadre, the list and
// its export read back by excelize, a signed pledge's A4 sheet, the JSON
// API, each within the manager's town.
func TestPledgesConsole(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	lihu := a.SignIn(t, a.Lihu)
	b := a.Pledges.Current()
	filter := func(scope, status string) query.PledgeFilter {
		return query.PledgeFilter{ScopePath: scope, Status: status, Year: b.Year, CadreVersion: b.CadreVersion, BusinessVersion: b.BusinessVersion, Limit: 5}
	}
	signed, nSigned, err := a.Query.Pledges(ctx, filter(a.LihuTown.Path, query.PledgesSigned))
	if err != nil || len(signed) == 0 {
		t.Fatalf("the demo signed no pledges in 蠡湖街道: %v", err)
	}
	_, nUnsigned, err := a.Query.Pledges(ctx, filter(a.LihuTown.Path, query.PledgesUnsigned))
	if err != nil || nUnsigned == 0 {
		t.Fatalf("unsigned: %d, %v", nUnsigned, err)
	}
	hudai, _, err := a.Query.Pledges(ctx, filter(a.HudaiTown.Path, query.PledgesSigned))
	if err != nil || len(hudai) == 0 {
		t.Fatalf("hudai: %v", err)
	}

	t.Run("Page", func(t *testing.T) {
		lihu.Get("/console/pledges")
		text := lihu.Text()
		if lihu.Status != 200 || !strings.Contains(text, "按村(社区)") || !strings.Contains(text, "按包保干部") || !strings.Contains(text, signed[0].Name) {
			t.Fatalf("status %d: %.600s", lihu.Status, text)
		}
		if strings.Contains(text, "胡埭") || strings.Contains(text, hudai[0].Name) {
			t.Fatal("a 蠡湖街道 manager sees 胡埭镇")
		}
		lihu.Get("/console/pledges?status=unsigned&kind=business")
		if lihu.Status != 200 || strings.Contains(lihu.Text(), "查看/打印") {
			t.Fatalf("unsigned list shows signed pledges: %d", lihu.Status)
		}
		lihu.Get("/console/pledges?status=maybe")
		if lihu.Status != 400 || !strings.Contains(lihu.Text(), "承诺书状态") {
			t.Fatalf("bad status: %d", lihu.Status)
		}
		lihu.Get("/console/pledges?region=" + strconv.FormatInt(a.HudaiTown.ID, 10))
		if lihu.Status != 404 {
			t.Fatalf("another town's region: %d", lihu.Status)
		}
	})

	t.Run("Export", func(t *testing.T) {
		lihu.Get("/console/pledges.xlsx?status=unsigned")
		if lihu.Status != 200 {
			t.Fatalf("status %d: %.300s", lihu.Status, lihu.Body)
		}
		f, err := excelize.OpenReader(bytes.NewReader([]byte(lihu.Body)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("承诺书")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != int(nUnsigned)+1 || rows[0][0] != "类型" || rows[0][5] != "状态" {
			t.Fatalf("%d rows (want %d), header %q", len(rows), nUnsigned+1, rows[0])
		}
		for _, r := range rows[1:] {
			if r[5] != "未签署" || (r[0] != "包保干部" && r[0] != "包保主体") {
				t.Fatalf("row %q", r)
			}
		}
	})

	t.Run("Sheet", func(t *testing.T) {
		id := strconv.FormatInt(*signed[0].PledgeID, 10)
		lihu.Get("/console/pledges/" + id)
		if lihu.Status != 200 || !strings.Contains(lihu.Body, "@page{size:A4") || !strings.Contains(lihu.Text(), signed[0].SignerName) {
			t.Fatalf("status %d: %.400s", lihu.Status, lihu.Text())
		}
		lihu.Get("/console/pledges/" + strconv.FormatInt(*hudai[0].PledgeID, 10))
		if lihu.Status != 404 {
			t.Fatalf("another town's pledge: %d", lihu.Status)
		}
	})

	t.Run("SubjectPages", func(t *testing.T) {
		biz, _, err := a.Query.Pledges(ctx, query.PledgeFilter{ScopePath: a.LihuTown.Path, Kind: "business", Status: query.PledgesSigned,
			Year: b.Year, CadreVersion: b.CadreVersion, BusinessVersion: b.BusinessVersion, Limit: 1})
		if err != nil || len(biz) == 0 {
			t.Fatalf("no signed business: %v", err)
		}
		lihu.Get("/console/businesses/" + strconv.FormatInt(biz[0].SubjectID, 10))
		if lihu.Status != 200 || !strings.Contains(lihu.Text(), "食品安全主体责任承诺书") || !strings.Contains(lihu.Body, "/console/pledges/"+strconv.FormatInt(*biz[0].PledgeID, 10)) {
			t.Fatalf("the business page lacks its pledge: %d", lihu.Status)
		}
		unsigned, _, err := a.Query.Pledges(ctx, query.PledgeFilter{ScopePath: a.LihuTown.Path, Kind: "cadre", Status: query.PledgesUnsigned,
			Year: b.Year, CadreVersion: b.CadreVersion, BusinessVersion: b.BusinessVersion, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(unsigned) > 0 {
			lihu.Get("/console/cadres/" + strconv.FormatInt(unsigned[0].SubjectID, 10))
			if lihu.Status != 200 || !strings.Contains(lihu.Text(), "包保责任承诺书") || !strings.Contains(lihu.Text(), "尚未签署") {
				t.Fatalf("the cadre page lacks its pledge: %d %.500s", lihu.Status, lihu.Text())
			}
		}
	})

	t.Run("API", func(t *testing.T) {
		for _, status := range []string{query.PledgesSigned, query.PledgesUnsigned} {
			lihu.API("GET", "/api/v1/pledges?limit=200&status="+status)
			var got struct {
				Items []struct {
					Kind, Name, Status string
					PledgeID           *int64 `json:"pledge_id"`
				}
				Total int64
			}
			if err := json.Unmarshal([]byte(lihu.Body), &got); err != nil || lihu.Status != 200 {
				t.Fatalf("%s: %d %v %.200s", status, lihu.Status, err, lihu.Body)
			}
			want := nSigned
			if status == query.PledgesUnsigned {
				want = nUnsigned
			}
			if got.Total != want || len(got.Items) == 0 {
				t.Fatalf("%s: total %d, want %d", status, got.Total, want)
			}
			for _, it := range got.Items {
				if it.Status != status || (it.PledgeID != nil) != (status == query.PledgesSigned) {
					t.Fatalf("%s: item %+v", status, it)
				}
			}
		}
		lihu.API("GET", "/api/v1/pledges?status=bogus")
		if lihu.Status != 400 {
			t.Fatalf("bogus status: %d", lihu.Status)
		}
	})

	t.Run("AuditSentence", func(t *testing.T) {
		unsigned, _, err := a.Query.Pledges(ctx, query.PledgeFilter{ScopePath: a.LihuTown.Path, Kind: "business", Status: query.PledgesUnsigned,
			Year: b.Year, CadreVersion: b.CadreVersion, BusinessVersion: b.BusinessVersion, Limit: 1})
		if err != nil || len(unsigned) == 0 {
			t.Fatalf("no unsigned business: %v", err)
		}
		ct, err := a.Accounts.EnsureContact(ctx, unsigned[0].SubjectID, account.ContactPrincipal)
		if err != nil {
			t.Fatal(err)
		}
		code, _, err := a.Accounts.IssueCode(ctx, account.RoleContact, ct.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Accounts.Bind(ctx, chat.ChannelOA, "o-console-pledge", code); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Pledges.Sign(ctx, pledge.KindBusiness, unsigned[0].SubjectID, pledge.Signature{
			Signer: registry.ActorOf("contact", ct.ID), Name: "周九", Typed: "周九"}); err != nil {
			t.Fatal(err)
		}
		lihu.Get("/console/audit")
		if text := lihu.Text(); !strings.Contains(text, "为 「"+unsigned[0].Name+"」 签署") || !strings.Contains(text, "食品安全主体责任承诺书") {
			t.Fatalf("the audit log does not tell the signing in words: %.800s", text)
		}
	})
}

// conPledge is a pledge the demo signed in the scope, for the scope test.
func conPledge(t *testing.T, a *webtest.App, scope string) int64 {
	t.Helper()
	b := a.Pledges.Current()
	ls, _, err := a.Query.Pledges(context.Background(), query.PledgeFilter{ScopePath: scope, Status: query.PledgesSigned,
		Year: b.Year, CadreVersion: b.CadreVersion, BusinessVersion: b.BusinessVersion, Limit: 1})
	if err != nil || len(ls) == 0 {
		t.Fatalf("no signed pledge in the scope: %v", err)
	}
	return *ls[0].PledgeID
}
