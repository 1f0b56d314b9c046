package registry_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
)

// twoTowns is the fixture with a second town, 蠡湖街道, and its village
// cadre, a second village of 胡埭镇 and a county-level cadre.
type twoTowns struct {
	fixture
	lihu, hujing, longyan *registry.Region
	lihuCadre, county     *registry.Cadre
}

func newTwoTowns(t *testing.T, d *db.DB) twoTowns {
	t.Helper()
	ctx := context.Background()
	f := twoTowns{fixture: newFixture(t, d, registry.Rules{})}
	var err error
	if f.lihu, err = f.svc.CreateRegion(ctx, &f.district.ID, registry.LevelTown, "蠡湖街道", ""); err != nil {
		t.Fatal(err)
	}
	if f.hujing, err = f.svc.CreateRegion(ctx, &f.lihu.ID, registry.LevelVillage, "湖景社区", ""); err != nil {
		t.Fatal(err)
	}
	if f.longyan, err = f.svc.CreateRegion(ctx, &f.town.ID, registry.LevelVillage, "龙延村", ""); err != nil {
		t.Fatal(err)
	}
	if f.lihuCadre, err = f.svc.CreateCadre(ctx, registry.CadreInput{Name: "钱社区", Level: registry.CadreVillage, RegionID: f.hujing.ID, WorkPhone: "13900000011"}); err != nil {
		t.Fatal(err)
	}
	if f.county, err = f.svc.CreateCadre(ctx, registry.CadreInput{Name: "吴区", Level: registry.CadreCounty, RegionID: f.district.ID, WorkPhone: "13900000012"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f twoTowns) businessIn(t *testing.T, name, code string, grade registry.Grade, region *registry.Region) *registry.Business {
	t.Helper()
	b, err := f.svc.CreateBusiness(context.Background(), registry.BusinessInput{Name: name, CreditCode: code, Category: registry.CategoryCatering,
		Grade: grade, RegionID: region.ID, Address: region.Name + "1号"}, "test", registry.SourceConsole)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// packAcross makes a cadre pack a business straight in the database, as
// data from before the register refused a cadre outside their area.
func packAcross(t *testing.T, d *db.DB, svc *registry.Service, businessID, cadreID int64) {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *gorm.DB) error {
		return svc.InsertAssignmentsTx(tx, []*registry.Assignment{{BusinessID: businessID, CadreID: cadreID, Reason: "旧数据", Actor: "seed"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func currentCadre(t *testing.T, svc *registry.Service, businessID int64) int64 {
	t.Helper()
	a, err := svc.CurrentAssignment(context.Background(), businessID)
	if errs.Is(err, errs.NotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return a.CadreID
}

// TestAssignWithinCoverage: a town or village cadre packs businesses of
// their town only, a county cadre of the county; a refusal says why in
// Chinese and changes nothing.
func TestAssignWithinCoverage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newTwoTowns(t, d)
		wanjia := f.businessIn(t, "万家福快餐店", code(101), registry.GradeD, f.hujing)

		t.Run("ErrOtherTown", func(t *testing.T) {
			for _, assign := range []func() error{
				func() error { _, err := f.svc.Assign(ctx, wanjia.ID, f.vCadre.ID, "就近", "test"); return err },
				func() error {
					_, err := f.svc.AssignAudited(ctx, wanjia.ID, f.vCadre.ID, "就近", "user:admin")
					return err
				},
			} {
				err := assign()
				want := "李村只能包保胡埭镇的主体，「万家福快餐店」在蠡湖街道湖景社区"
				if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), want) {
					t.Fatalf("want Invalid %q, got %v", want, err)
				}
				if c := currentCadre(t, f.svc, wanjia.ID); c != 0 {
					t.Fatalf("the refused assignment made cadre %d pack it", c)
				}
			}
			if _, n, _ := query.New(d).AuditEntries(ctx, query.AuditFilter{Action: "assignment.change"}, query.AuditScope{All: true}); n != 0 {
				t.Errorf("%d audit entries for refused changes", n)
			}
		})

		t.Run("OKOwnTown", func(t *testing.T) {
			if _, err := f.svc.Assign(ctx, wanjia.ID, f.lihuCadre.ID, "", "test"); err != nil {
				t.Fatal(err)
			}
			// A village cadre helps out across their town.
			b := f.businessIn(t, "龙延小吃", code(102), registry.GradeD, f.longyan)
			if _, err := f.svc.Assign(ctx, b.ID, f.vCadre.ID, "", "test"); err != nil {
				t.Fatalf("village cadre in another village of the town: %v", err)
			}
			// A county cadre covers the county.
			big := f.businessIn(t, "蠡湖大酒店", code(103), registry.GradeB, f.hujing)
			if _, err := f.svc.Assign(ctx, big.ID, f.county.ID, "", "test"); err != nil {
				t.Fatalf("county cadre: %v", err)
			}
		})

		t.Run("ErrHandoverCarriesAcross", func(t *testing.T) {
			// 李村 still packs a 蠡湖街道 business from before the rule.
			old := f.businessIn(t, "湖景面馆", code(104), registry.GradeD, f.hujing)
			packAcross(t, d, f.svc, old.ID, f.vCadre.ID)
			own := f.businessIn(t, "马鞍面馆", code(105), registry.GradeD, f.village)
			if _, err := f.svc.Assign(ctx, own.ID, f.vCadre.ID, "", "test"); err != nil {
				t.Fatal(err)
			}
			next, err := f.svc.CreateCadre(ctx, registry.CadreInput{Name: "周村", Level: registry.CadreVillage, RegionID: f.village.ID, WorkPhone: "13900000013"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.HandoverAudited(ctx, f.vCadre.ID, next.ID, "", "调岗", "user:admin")
			if want := "「湖景面馆」：周村只能包保胡埭镇的主体"; !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), want) {
				t.Fatalf("handover over the whole district: want Invalid %q, got %v", want, err)
			}
			if currentCadre(t, f.svc, own.ID) != f.vCadre.ID || currentCadre(t, f.svc, old.ID) != f.vCadre.ID {
				t.Fatal("the refused handover moved a business")
			}
			// 胡埭镇's office hands over 胡埭镇's businesses only.
			moved, err := f.svc.HandoverAudited(ctx, f.vCadre.ID, next.ID, f.town.Path, "调岗", "user:hudai")
			if err != nil {
				t.Fatal(err)
			}
			left, _ := f.svc.AssignedBusinesses(ctx, f.vCadre.ID)
			if len(left) != 1 || left[0].ID != old.ID || currentCadre(t, f.svc, own.ID) != next.ID {
				t.Fatalf("moved %v, %s keeps %+v", moved, f.vCadre.Name, left)
			}
			if in, _ := query.New(f.d).CadreBusinesses(ctx, f.vCadre.ID, f.town.Path); len(in) != 0 {
				t.Errorf("胡埭镇 still sees %d businesses with %s", len(in), f.vCadre.Name)
			}
			loads, err := query.New(f.d).CadreLoads(ctx, []int64{f.vCadre.ID}, f.town.Path)
			if err != nil || loads[f.vCadre.ID] != 0 {
				t.Errorf("胡埭镇's load of %s = %d %v, want 0", f.vCadre.Name, loads[f.vCadre.ID], err)
			}
			if loads, _ := query.New(f.d).CadreLoads(ctx, []int64{f.vCadre.ID}, ""); loads[f.vCadre.ID] != 1 {
				t.Errorf("the district's load of %s = %d, want 1", f.vCadre.Name, loads[f.vCadre.ID])
			}
			// Each business moved is in the log of its own region.
			es, _, err := query.New(d).AuditEntries(ctx, query.AuditFilter{Action: "assignment.change", SubjectType: registry.AuditBusiness, SubjectID: own.ID}, query.AuditScope{All: true})
			if err != nil || len(es) != 1 || es[0].ScopePath != f.village.Path {
				t.Errorf("entry about %s: %+v %v", own.Name, es, err)
			}
		})

		t.Run("AuditActorElsewhere", func(t *testing.T) {
			var es []audit.Entry
			own := f.businessIn(t, "马鞍小卖部", code(106), registry.GradeD, f.village)
			err := d.InTx(ctx, func(tx *gorm.DB) error {
				for _, b := range []int64{wanjia.ID, own.ID} {
					e := audit.Entry{Actor: string(registry.ActorOf("cadre", f.vCadre.ID)), Action: "visit.submit", SubjectType: registry.AuditBusiness, SubjectID: b}
					if err := registry.AuditTx(tx, e); err != nil {
						return err
					}
				}
				return tx.Where("action = ?", "visit.submit").Order("id").Find(&es).Error
			})
			if err != nil || len(es) != 2 {
				t.Fatalf("entries %+v %v", es, err)
			}
			if es[0].ScopePath != f.hujing.Path || es[0].AlsoScopePath != f.village.Path {
				t.Errorf("a 胡埭镇 cadre on a 蠡湖街道 business: scope %q also %q, want %q and %q", es[0].ScopePath, es[0].AlsoScopePath, f.hujing.Path, f.village.Path)
			}
			if es[1].ScopePath != f.village.Path || es[1].AlsoScopePath != "" {
				t.Errorf("a cadre in their own village: scope %q also %q", es[1].ScopePath, es[1].AlsoScopePath)
			}
			for _, town := range []*registry.Region{f.town, f.lihu} {
				got, _, err := query.New(d).AuditEntries(ctx, query.AuditFilter{Action: "visit.submit", SubjectID: wanjia.ID}, query.AuditScope{Path: town.Path})
				if err != nil || len(got) != 1 {
					t.Errorf("%s's log has %d entries of the cross-town visit (%v)", town.Name, len(got), err)
				}
			}
		})
	}, registry.Schema, audit.Schema)
}

// TestRelocateAcrossTowns: a move to another town ends the assignment
// unless a cadre who covers the new place is given; a move within the
// town keeps the cadre.
func TestRelocateAcrossTowns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newTwoTowns(t, d)
		relocate := func(b *registry.Business, region *registry.Region, cadreID int64) (bool, error) {
			var other bool
			err := d.InTx(ctx, func(tx *gorm.DB) error {
				var err error
				other, err = f.svc.RelocateBusinessTx(tx, b.ID, region.ID, cadreID, "搬迁调整", "user:admin")
				return err
			})
			return other, err
		}
		packed := func(name string, n int) *registry.Business {
			b := f.businessIn(t, name, code(n), registry.GradeD, f.village)
			if _, err := f.svc.Assign(ctx, b.ID, f.vCadre.ID, "", "test"); err != nil {
				t.Fatal(err)
			}
			return b
		}

		t.Run("WithinTownKeepsCadre", func(t *testing.T) {
			b := packed("马鞍烧饼", 201)
			if other, err := relocate(b, f.longyan, 0); err != nil || other {
				t.Fatalf("move within the town: other town %v, %v", other, err)
			}
			if currentCadre(t, f.svc, b.ID) != f.vCadre.ID {
				t.Error("the move within the town ended the assignment")
			}
		})

		t.Run("OtherTownEndsAssignment", func(t *testing.T) {
			b := packed("马鞍豆花", 202)
			if other, err := relocate(b, f.hujing, 0); err != nil || !other {
				t.Fatalf("move to 蠡湖街道: other town %v, %v", other, err)
			}
			if c := currentCadre(t, f.svc, b.ID); c != 0 {
				t.Errorf("cadre %d of the old town still packs it", c)
			}
			if got, _ := f.svc.Business(ctx, b.ID); got.RegionID != f.hujing.ID {
				t.Errorf("region %d", got.RegionID)
			}
		})

		t.Run("ErrOldTownCadre", func(t *testing.T) {
			b := packed("马鞍馄饨", 203)
			_, err := relocate(b, f.hujing, f.vCadre.ID)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "只能包保胡埭镇的主体") {
				t.Fatalf("want Invalid naming the cadre's town, got %v", err)
			}
			if got, _ := f.svc.Business(ctx, b.ID); got.RegionID != f.village.ID || currentCadre(t, f.svc, b.ID) != f.vCadre.ID {
				t.Error("the refused move changed the business")
			}
		})

		t.Run("NewTownCadre", func(t *testing.T) {
			b := packed("马鞍酱鸭", 204)
			if _, err := relocate(b, f.hujing, f.lihuCadre.ID); err != nil {
				t.Fatal(err)
			}
			if currentCadre(t, f.svc, b.ID) != f.lihuCadre.ID {
				t.Error("the new town's cadre does not pack it")
			}
		})

		t.Run("ErrWithinTownUncovered", func(t *testing.T) {
			// 钱社区 of 蠡湖街道 packs a 胡埭镇 business from before the rule;
			// moving it within 胡埭镇 needs a cadre who covers it.
			b := f.businessIn(t, "马鞍糕团", code(205), registry.GradeD, f.village)
			packAcross(t, d, f.svc, b.ID, f.lihuCadre.ID)
			if _, err := relocate(b, f.longyan, 0); !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "钱社区只能包保蠡湖街道的主体") {
				t.Fatalf("want Invalid, got %v", err)
			}
			if _, err := relocate(b, f.longyan, f.vCadre.ID); err != nil {
				t.Fatalf("with a cadre of the town: %v", err)
			}
		})
	}, registry.Schema)
}

// TestImportWithinCoverage: an assignment or business import naming a
// cadre of another town for a business is refused on that row, also for
// the whole district's office.
func TestImportWithinCoverage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, _ := newImportService(t, d)
		ctx := context.Background()
		importSamples(t, svc)
		mustImportBytes(t, svc, registry.KindCadres, "other.csv", []byte("姓名,层级,镇(街道),村(社区),工作电话\n外镇干部,村级,蠡湖街道,湖景社区,13977770000\n"))
		mustImportBytes(t, svc, registry.KindBusinesses, "other.csv", []byte("主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),包保干部,干部电话\n"+
			"湖景小吃店,"+genCode(9001)+",餐饮,D,蠡湖街道,湖景社区,外镇干部,13977770000\n"))

		tests := []struct {
			name string
			kind registry.Kind
			file string
			want []wantRowError
		}{
			{"OKSameTown", registry.KindBusinesses, "主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),包保干部,干部电话\n" +
				"龙延新店," + genCode(9011) + ",销售,D,胡埭镇,龙延村,李红梅,13912345678\n" +
				"新村小店," + genCode(9012) + ",销售,D,胡埭镇,新建村,李红梅,13912345678\n", nil},
			{"ErrAssignments", registry.KindAssignments, "统一社会信用代码,包保干部,干部电话\n" +
				genCode(9001) + ",李红梅,13912345678\n92320211MA1X9PQ2FX,外镇干部,13977770000\n", []wantRowError{
				{2, "包保干部", "李红梅", "李红梅只能包保胡埭镇的主体，「湖景小吃店」在蠡湖街道湖景社区"},
				{3, "包保干部", "外镇干部", "外镇干部只能包保蠡湖街道的主体，「马鞍烧饼摊」在胡埭镇马鞍村"},
			}},
			{"ErrBusinesses", registry.KindBusinesses, "主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),包保干部,干部电话\n" +
				"湖景新店," + genCode(9013) + ",销售,D,蠡湖街道,湖景社区,李红梅,13912345678\n" +
				"蠡湖新村店," + genCode(9014) + ",销售,D,蠡湖街道,新建社区,李红梅,13912345678\n" +
				"马鞍烧饼摊,92320211MA1X9PQ2FX,餐饮,D,蠡湖街道,湖景社区,李红梅,13912345678\n", []wantRowError{
				{2, "包保干部", "李红梅", "只能包保胡埭镇的主体"},
				{3, "包保干部", "李红梅", "只能包保胡埭镇的主体"},
				{4, "包保干部", "李红梅", "只能包保胡埭镇的主体"},
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := countRows(t, d)
				rep, err := svc.Import(ctx, tt.kind, "f.csv", bytes.NewReader([]byte(tt.file)), registry.ImportOptions{DryRun: true, Actor: "user:admin"})
				if tt.want == nil {
					if err != nil {
						t.Fatalf("%v\n%s", err, rowErrors(rep))
					}
					return
				}
				checkRowErrors(t, rep, err, tt.want)
				if after := countRows(t, d); !sameMap(before, after) {
					t.Fatalf("a refused import wrote: %v → %v", before, after)
				}
			})
		}
	}, registry.Schema)
}
