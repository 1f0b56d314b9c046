package selfcheck_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
)

// demoExtra is how many businesses addBusinesses registers in each village.
const demoExtra = 40

// addBusinesses registers demoExtra more businesses of every category in
// each village, so the demo history has numbers to be plausible about.
func (e *env) addBusinesses(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cats := []registry.Category{registry.CategoryCatering, registry.CategorySales, registry.CategoryCatering,
		registry.CategoryProduction, registry.CategoryCanteen}
	given := []string{"明", "华", "强", "丽", "军", "芳", "伟", "静"}
	for v, region := range []int64{e.v1.ID, e.v2.ID} {
		for i := range demoExtra {
			n := 100 + v*demoExtra + i
			g := given[n%len(given)]
			b, err := e.reg.CreateBusiness(ctx, registry.BusinessInput{
				Name: fmt.Sprintf("演示店%d", n), LicenceNo: fmt.Sprintf("JY132021100%05d", n), Category: cats[n%len(cats)],
				Grade: registry.GradeC, RegionID: region,
				Principal: "张" + g, PrincipalPhone: fmt.Sprintf("1391000%04d", n),
				Director: "李" + g, DirectorPhone: fmt.Sprintf("1392000%04d", n),
				Officer: "王" + g, OfficerPhone: fmt.Sprintf("1393000%04d", n),
			}, "test", registry.SourceImport)
			if err != nil {
				t.Fatal(err)
			}
			e.biz[b.Name] = b
		}
	}
}

func demoRand() *rand.Rand { return rand.New(rand.NewPCG(20261128, 1)) }

func TestSeedDemo(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.addBusinesses(t)
		today := clock.Date(start)
		suspended := e.biz["张舍副食店"]
		if _, err := e.reg.ChangeStatus(ctx, suspended.ID, registry.StatusChange{Kind: registry.EventSuspended,
			EffectiveOn: today.AddDate(0, -1, 0), Actor: "test", Source: registry.SourceConsole}); err != nil {
			t.Fatal(err)
		}
		operating := len(e.biz) - 1
		const days = 14
		sum, err := e.svc.SeedDemo(ctx, demoRand(), days)
		if err != nil {
			t.Fatal(err)
		}
		first := today.AddDate(0, 0, -days).Format("2006-01-02")
		yesterday := today.AddDate(0, 0, -1).Format("2006-01-02")

		t.Run("Counts", func(t *testing.T) {
			// Two villages only: their keenness moves the share a lot.
			share := float64(sum.Businesses) / float64(operating)
			if share < 0.35 || share > 0.85 {
				t.Errorf("%d of %d businesses keep records", sum.Businesses, operating)
			}
			if sum.Daily < sum.Businesses*days/2 || sum.Daily > sum.Businesses*days || sum.Weekly == 0 || sum.Weekly > sum.Businesses {
				t.Errorf("summary %+v", sum)
			}
			n := func(where string, args ...any) int { return int(count(t, e.d, "selfcheck_records", where, args...)) }
			if got := n("kind = ?", selfcheck.Daily); got != sum.Daily {
				t.Errorf("%d daily records, summary says %d", got, sum.Daily)
			}
			if got := n("kind = ?", selfcheck.Weekly); got != sum.Weekly {
				t.Errorf("%d weekly records, summary says %d", got, sum.Weekly)
			}
			if got := n("revision <> 1 OR period_end < ? OR period_end > ?", first, yesterday); got != 0 {
				t.Errorf("%d records outside the span or not at revision 1", got)
			}
			if got := n("business_id = ?", suspended.ID); got != 0 {
				t.Errorf("%d records of a suspended business", got)
			}
			problems, late := n("kind = ? AND problems > 0", selfcheck.Daily), n("kind = ? AND late = ?", selfcheck.Daily, true)
			if problems == 0 || problems > sum.Daily/5 || late == 0 || late > sum.Daily/5 {
				t.Errorf("%d daily records, %d with a problem, %d late", sum.Daily, problems, late)
			}
			revs := int(count(t, e.d, "selfcheck_revisions", "revision = 1 AND submission_key LIKE ?", "demo:%"))
			if revs != sum.Daily+sum.Weekly {
				t.Errorf("%d revisions for %d records", revs, sum.Daily+sum.Weekly)
			}
		})
		t.Run("RatesDifferByVillage", func(t *testing.T) {
			r, err := e.svc.RatesByVillage(ctx, e.town.Path, today.AddDate(0, 0, -days), today.AddDate(0, 0, -1))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.ByVillage) != 2 || r.Total.Keeping != sum.Businesses || r.Total.Recorded != sum.Daily {
				t.Fatalf("rates %+v", r)
			}
			v1, v2 := r.ByVillage[0], r.ByVillage[1]
			t.Logf("%s %.0f%% (%d/%d keeping), %s %.0f%% (%d/%d keeping)", v1.Name, v1.Percent, v1.Keeping, v1.Businesses,
				v2.Name, v2.Percent, v2.Keeping, v2.Businesses)
			if v1.Percent == 0 || v2.Percent == 0 || v1.Percent == v2.Percent {
				t.Errorf("rates by village %.1f%% and %.1f%%", v1.Percent, v2.Percent)
			}
		})
		t.Run("BodiesAsSubmitted", func(t *testing.T) {
			var recs []selfcheck.Record
			if err := e.d.Gorm(ctx).Where("kind = ? AND problems > 0", selfcheck.Daily).Limit(20).Find(&recs).Error; err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				b, err := e.reg.Business(ctx, r.BusinessID)
				if err != nil {
					t.Fatal(err)
				}
				points := e.svc.Risks().For(b.Category)
				if len(r.Body.Items) != len(points) {
					t.Fatalf("%d items for %d points", len(r.Body.Items), len(points))
				}
				found := 0
				for i, it := range r.Body.Items {
					if it.ID != points[i].ID || it.Label != points[i].Label {
						t.Fatalf("item %d is %+v, want %s", i, it, points[i].ID)
					}
					if it.Problem {
						found++
						if it.Note == "" || it.Resolved == (r.Open > 0) {
							t.Errorf("problem %+v in a record with %d open", it, r.Open)
						}
					}
				}
				if found != r.Problems || r.ContactRole != account.ContactOfficer || r.ContactName == "" {
					t.Errorf("record %+v", r)
				}
			}
		})
		t.Run("WeeklyMatchesItsDays", func(t *testing.T) {
			var w selfcheck.Record
			if err := e.d.Gorm(ctx).Where("kind = ?", selfcheck.Weekly).Order("id").Take(&w).Error; err != nil {
				t.Fatal(err)
			}
			week := selfcheck.PeriodOf(selfcheck.Weekly, today).Prev()
			sum, err := e.svc.WeekSummary(ctx, w.BusinessID, week)
			if err != nil {
				t.Fatal(err)
			}
			got := w.Body.Week
			if w.Period != week.Key || got == nil || got.Days != 7 || got.Recorded != sum.Recorded ||
				strings.Join(got.Missing, ",") != strings.Join(sum.Missing, ",") || len(got.Problems) != len(sum.Problems) ||
				w.Body.NextRisks == "" || (!w.Body.Resolved && w.Body.OpenItems == "") {
				t.Errorf("weekly %+v %+v, summary now %+v", w, got, sum)
			}
		})
		t.Run("ErrConflictOnSecondRun", func(t *testing.T) {
			before := count(t, e.d, "selfcheck_records", "1 = 1")
			if _, err := e.svc.SeedDemo(ctx, demoRand(), days); !errs.Is(err, errs.Conflict) {
				t.Fatalf("second run: %v", err)
			}
			if after := count(t, e.d, "selfcheck_records", "1 = 1"); after != before {
				t.Fatalf("%d records, then %d", before, after)
			}
		})
		t.Run("TodayLeftOpen", func(t *testing.T) {
			officer := e.contact(t, "张舍烧烤", account.ContactOfficer)
			s, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: key(), ContactID: officer.ID})
			if err != nil || s.Revision != 1 || s.Record.Period != today.Format("2006-01-02") {
				t.Fatalf("today: %+v %v", s, err)
			}
		})
		t.Run("AmendYesterday", func(t *testing.T) {
			var rec selfcheck.Record
			if err := e.d.Gorm(ctx).Where("kind = ? AND period = ? AND problems = 0", selfcheck.Daily, yesterday).Order("id").Take(&rec).Error; err != nil {
				t.Fatal(err)
			}
			officer, err := e.accounts.EnsureContact(ctx, rec.BusinessID, account.ContactOfficer)
			if err != nil || officer.ID != rec.ContactID {
				t.Fatalf("officer %+v %v, record by %d", officer, err, rec.ContactID)
			}
			b, _ := e.reg.Business(ctx, rec.BusinessID)
			risk := e.svc.Risks().For(b.Category)[0]
			s, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: key(), ContactID: officer.ID,
				Day: today.AddDate(0, 0, -1), Problems: []selfcheck.Problem{{RiskID: risk.ID, Note: "补充：发现问题已处理", Resolved: true}}})
			if err != nil || s.Revision != 2 || s.Record.ID != rec.ID || s.Record.Problems != 1 {
				t.Fatalf("amend: %+v %v", s, err)
			}
			revs, err := e.svc.Revisions(ctx, rec.ID)
			if err != nil || len(revs) != 2 {
				t.Fatalf("history %+v %v", revs, err)
			}
			if want := fmt.Sprintf("demo:%d:%s", rec.BusinessID, yesterday); revs[0].SubmissionKey != want || revs[0].Problems != 0 ||
				len(revs[0].Body.Items) != len(revs[1].Body.Items) || revs[1].Problems != 1 {
				t.Errorf("history %+v", revs)
			}
		})
	})
}

// TestSeedDemoDeterministic: the same random source over the same register
// gives the same history.
func TestSeedDemoDeterministic(t *testing.T) {
	type line struct {
		BusinessID     int64
		Kind, Period   string
		Late           bool
		Problems, Open int
		Body           string
	}
	history := func() []line {
		e := openEnv(t)
		e.addBusinesses(t)
		if _, err := e.svc.SeedDemo(context.Background(), demoRand(), selfcheck.DemoDays); err != nil {
			t.Fatal(err)
		}
		var out []line
		err := e.d.Gorm(context.Background()).Table("selfcheck_records").Order("business_id, kind, period").
			Select("business_id, kind, period, late, problems, open_items AS open, body").Scan(&out).Error
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := history(), history()
	if len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("%d records, then %d different ones", len(a), len(b))
	}
}

func TestSeedDemoErrInvalid(t *testing.T) {
	e := openEnv(t)
	for _, days := range []int{0, -1, 367} {
		if _, err := e.svc.SeedDemo(context.Background(), demoRand(), days); !errs.Is(err, errs.Invalid) {
			t.Errorf("%d days: %v", days, err)
		}
	}
}
