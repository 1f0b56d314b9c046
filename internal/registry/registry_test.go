package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
)

// fixture is a small district: one town with one village, a town cadre and a village cadre.
type fixture struct {
	d                 *db.DB
	svc               *registry.Service
	district, town    *registry.Region
	village           *registry.Region
	townCadre, vCadre *registry.Cadre
}

func newFixture(t *testing.T, d *db.DB, rules registry.Rules) fixture {
	t.Helper()
	ctx := context.Background()
	svc := registry.NewService(d, rules, clock.NewFixed(time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)))
	must := func(r *registry.Region, err error) *registry.Region {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	city := must(svc.CreateRegion(ctx, nil, registry.LevelCity, "无锡市", "320200"))
	district := must(svc.CreateRegion(ctx, &city.ID, registry.LevelDistrict, "滨湖区", "320211"))
	town := must(svc.CreateRegion(ctx, &district.ID, registry.LevelTown, "胡埭镇", ""))
	village := must(svc.CreateRegion(ctx, &town.ID, registry.LevelVillage, "马鞍村", ""))
	tc, err := svc.CreateCadre(ctx, registry.CadreInput{Name: "王镇", Post: "副镇长", Level: registry.CadreTown, RegionID: town.ID, WorkPhone: "0510-85601234"})
	if err != nil {
		t.Fatal(err)
	}
	vc, err := svc.CreateCadre(ctx, registry.CadreInput{Name: "李村", Post: "村委委员", Level: registry.CadreVillage, RegionID: village.ID, WorkPhone: "13912345678"})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{d: d, svc: svc, district: district, town: town, village: village, townCadre: tc, vCadre: vc}
}

func (f fixture) business(t *testing.T, code string, grade registry.Grade) *registry.Business {
	t.Helper()
	b, err := f.svc.CreateBusiness(context.Background(), registry.BusinessInput{
		Name: "阿明面馆" + code[len(code)-3:], CreditCode: code, Category: registry.CategoryCatering, Grade: grade,
		RegionID: f.village.ID, Address: "胡埭镇马鞍村1号",
	}, "test", registry.SourceConsole)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreditCode(t *testing.T) {
	for _, code := range []string{"91350100M000100Y43", "9144030071526726XG", "91110000802100433B"} {
		if r := registry.CheckCreditCode(code); r != "" {
			t.Errorf("%s: %s", code, r)
		}
	}
	for _, code := range []string{"91350100M000100Y44", "9144030071526726X", "91110000802100433I", ""} {
		if registry.CheckCreditCode(code) == "" {
			t.Errorf("%q accepted", code)
		}
	}
	first := "92320211MA1X2Y3Q0"
	if r := registry.CheckCreditCode(first + string(registry.CreditCheckChar(first))); r != "" {
		t.Errorf("generated code rejected: %s", r)
	}
}

func FuzzCheckCreditCode(f *testing.F) {
	f.Add("91350100M000100Y43")
	f.Add("")
	f.Add("中文中文中文中文中文中文中文中文中文")
	f.Fuzz(func(t *testing.T, s string) { registry.CheckCreditCode(s) })
}

func code(n int) string {
	first := "92320211MA1" + string("0123456789ABCDEFGHJ"[n/100%19]) + "000" + string("0123456789"[n/10%10]) + string("0123456789"[n%10])
	first = first[:17]
	return first + string(registry.CreditCheckChar(first))
}

func TestRegister(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, registry.Rules{})

		t.Run("RegionLevels", func(t *testing.T) {
			_, err := f.svc.CreateRegion(ctx, &f.district.ID, registry.LevelVillage, "错层", "")
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("village under district: want Invalid, got %v", err)
			}
			_, err = f.svc.CreateRegion(ctx, &f.town.ID, registry.LevelVillage, "马鞍村", "")
			if !errs.Is(err, errs.Conflict) {
				t.Fatalf("duplicate village: want Conflict, got %v", err)
			}
		})

		t.Run("BusinessValidation", func(t *testing.T) {
			_, err := f.svc.CreateBusiness(ctx, registry.BusinessInput{Name: "", CreditCode: "123", Grade: "E", RegionID: f.village.ID}, "test", registry.SourceConsole)
			fields := errs.FieldsOf(err)
			if !errs.Is(err, errs.Invalid) || len(fields) < 4 {
				t.Fatalf("want Invalid with name, credit_code, category, grade problems; got %v %+v", err, fields)
			}
		})

		t.Run("DuplicateCode", func(t *testing.T) {
			f.business(t, code(1), registry.GradeD)
			_, err := f.svc.CreateBusiness(ctx, registry.BusinessInput{Name: "另一家", CreditCode: code(1), Category: registry.CategorySales, Grade: registry.GradeD, RegionID: f.village.ID}, "test", registry.SourceConsole)
			if !errs.Is(err, errs.Conflict) {
				t.Fatalf("want Conflict, got %v", err)
			}
		})

		t.Run("AssignLevels", func(t *testing.T) {
			b := f.business(t, code(2), registry.GradeD)
			if _, err := f.svc.Assign(ctx, b.ID, f.townCadre.ID, "", "test"); !errs.Is(err, errs.Invalid) {
				t.Fatalf("town cadre on D without the setting: want Invalid, got %v", err)
			}
			loose := registry.NewService(d, registry.Rules{AllowHigherLevelCadre: true}, nil)
			if _, err := loose.Assign(ctx, b.ID, f.townCadre.ID, "", "test"); err != nil {
				t.Fatalf("with the setting: %v", err)
			}
			c := f.business(t, code(3), registry.GradeC)
			if _, err := f.svc.Assign(ctx, c.ID, f.vCadre.ID, "", "test"); !errs.Is(err, errs.Invalid) {
				t.Fatalf("village cadre on C: want Invalid, got %v", err)
			}
		})

		t.Run("AssignmentHistory", func(t *testing.T) {
			b := f.business(t, code(4), registry.GradeD)
			other, err := f.svc.CreateCadre(ctx, registry.CadreInput{Name: "赵村", Level: registry.CadreVillage, RegionID: f.village.ID, WorkPhone: "13900000001"})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []int64{f.vCadre.ID, f.vCadre.ID, other.ID} {
				if _, err := f.svc.Assign(ctx, b.ID, c, "调整", "test"); err != nil {
					t.Fatal(err)
				}
			}
			hist, err := f.svc.AssignmentHistory(ctx, b.ID)
			if err != nil || len(hist) != 2 || hist[0].EndedAt == nil || hist[1].EndedAt != nil || hist[1].CadreID != other.ID {
				t.Fatalf("history = %+v, %v", hist, err)
			}
			moved, err := f.svc.Handover(ctx, other.ID, f.vCadre.ID, "工作调动", "test")
			if err != nil || len(moved) != 1 {
				t.Fatalf("handover moved %v, %v", moved, err)
			}
			cur, err := f.svc.CurrentAssignment(ctx, b.ID)
			if err != nil || cur.CadreID != f.vCadre.ID {
				t.Fatalf("after handover: %+v %v", cur, err)
			}
		})

		t.Run("StatusEvents", func(t *testing.T) {
			b := f.business(t, code(5), registry.GradeD)
			if _, err := f.svc.Assign(ctx, b.ID, f.vCadre.ID, "", "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.ChangeStatus(ctx, b.ID, registry.StatusChange{Kind: registry.EventResumed, Actor: "test", Source: registry.SourceChat}); !errs.Is(err, errs.Conflict) {
				t.Fatalf("resume while operating: want Conflict, got %v", err)
			}
			steps := []struct {
				kind registry.EventKind
				want registry.Status
			}{
				{registry.EventChanged, registry.StatusOperating},
				{registry.EventSuspended, registry.StatusSuspended},
				{registry.EventResumed, registry.StatusOperating},
				{registry.EventDeregistered, registry.StatusDeregistered},
			}
			for _, s := range steps {
				if _, err := f.svc.ChangeStatus(ctx, b.ID, registry.StatusChange{Kind: s.kind, Note: "现场所见", Actor: registry.ActorOf("cadre", f.vCadre.ID), Source: registry.SourceChat}); err != nil {
					t.Fatalf("%s: %v", s.kind, err)
				}
				got, _ := f.svc.Business(ctx, b.ID)
				if got.Status != s.want {
					t.Fatalf("after %s: status %s, want %s", s.kind, got.Status, s.want)
				}
			}
			hist, _ := f.svc.StatusHistory(ctx, b.ID)
			if len(hist) != 5 || hist[0].Kind != registry.EventRegistered {
				t.Fatalf("history = %+v", hist)
			}
			if _, err := f.svc.CurrentAssignment(ctx, b.ID); !errs.Is(err, errs.NotFound) {
				t.Fatalf("deregistered business still assigned: %v", err)
			}
		})

		t.Run("FindInScope", func(t *testing.T) {
			other, err := f.svc.CreateRegion(ctx, &f.district.ID, registry.LevelTown, "蠡湖街道", "")
			if err != nil {
				t.Fatal(err)
			}
			bs, total, err := query.New(f.d).Businesses(ctx, query.BusinessFilter{ScopePath: other.Path})
			if err != nil || total != 0 || len(bs) != 0 {
				t.Fatalf("other town sees %d businesses (%v)", total, err)
			}
			_, total, err = query.New(f.d).Businesses(ctx, query.BusinessFilter{ScopePath: f.town.Path, Query: "面馆"})
			if err != nil || total == 0 {
				t.Fatalf("own town sees %d businesses (%v)", total, err)
			}
		})

		t.Run("OfficeFor", func(t *testing.T) {
			o, err := f.svc.CreateOffice(ctx, registry.Office{RegionID: f.town.ID, Name: "胡埭镇食品安全委员会办公室", ShortName: "胡埭", Phone: "0510-85600000"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.OfficeFor(ctx, f.village.ID)
			if err != nil || got.ID != o.ID {
				t.Fatalf("office for village: %+v %v", got, err)
			}
		})
	}, registry.Schema)
}
