package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

var importNow = time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)

func newImportService(t testing.TB, d *db.DB) (*registry.Service, *clock.Offset) {
	t.Helper()
	c := clock.NewFixed(importNow)
	return registry.NewService(d, registry.Rules{DistrictCode: "320211"}, c), c
}

func importPath(t *testing.T, svc *registry.Service, kind registry.Kind, path string, opt registry.ImportOptions) (*registry.ImportReport, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return svc.Import(context.Background(), kind, filepath.Base(path), f, opt)
}

// mustImport imports a file that must have no bad rows.
func mustImport(t *testing.T, svc *registry.Service, kind registry.Kind, path string) *registry.ImportReport {
	t.Helper()
	rep, err := importPath(t, svc, kind, path, registry.ImportOptions{Actor: "test"})
	if err != nil {
		t.Fatalf("import %s: %v\n%s", path, err, rowErrors(rep))
	}
	return rep
}

func mustImportBytes(t testing.TB, svc *registry.Service, kind registry.Kind, name string, data []byte) *registry.ImportReport {
	t.Helper()
	rep, err := svc.Import(context.Background(), kind, name, bytes.NewReader(data), registry.ImportOptions{Actor: "test"})
	if err != nil {
		t.Fatalf("import %s: %v\n%s", name, err, rowErrors(rep))
	}
	return rep
}

func rowErrors(rep *registry.ImportReport) string {
	if rep == nil {
		return ""
	}
	var b strings.Builder
	for _, e := range rep.Errors {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func wantCounts(t testing.TB, rep *registry.ImportReport, created, updated, unchanged int) {
	t.Helper()
	if rep.Created != created || rep.Updated != updated || rep.Unchanged != unchanged {
		t.Fatalf("%s: created/updated/unchanged = %d/%d/%d, want %d/%d/%d", rep.Kind, rep.Created, rep.Updated, rep.Unchanged, created, updated, unchanged)
	}
}

var registerTables = []string{"regions", "businesses", "business_events", "cadres", "assignments"}

func countRows(t *testing.T, d *db.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tbl := range registerTables {
		var n int64
		if err := d.Gorm(context.Background()).Table(tbl).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

// stamps is every row's updated_at (or end date for assignments), to prove
// an import wrote nothing.
func stamps(t *testing.T, d *db.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, q := range []struct{ table, col string }{{"businesses", "updated_at"}, {"cadres", "updated_at"}, {"assignments", "ended_at"}} {
		rows, err := d.Gorm(context.Background()).Table(q.table).Select("id", q.col).Rows()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var at any
			if err := rows.Scan(&id, &at); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("%s/%d", q.table, id)] = fmt.Sprint(at)
		}
		rows.Close()
	}
	return out
}

func sameMap[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// importSamples loads the shipped sample register.
func importSamples(t *testing.T, svc *registry.Service) {
	t.Helper()
	mustImport(t, svc, registry.KindCadres, "testdata/cadres.csv")
	mustImport(t, svc, registry.KindBusinesses, "testdata/businesses.csv")
	mustImport(t, svc, registry.KindAssignments, "testdata/assignments.csv")
}

func cadreOf(t *testing.T, svc *registry.Service, code string) *registry.Cadre {
	t.Helper()
	ctx := context.Background()
	b, err := svc.BusinessByCode(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.CurrentAssignment(ctx, b.ID)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Cadre(ctx, a.CadreID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestImportSamples(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, _ := newImportService(t, d)

		rep := mustImport(t, svc, registry.KindCadres, "testdata/cadres.csv")
		wantCounts(t, rep, 8, 0, 0)
		want := []string{"无锡市", "滨湖区", "胡埭镇", "胡埭镇/马鞍村", "胡埭镇/龙延村", "胡埭镇/湖山社区", "胡埭镇/富安村"}
		if strings.Join(rep.RegionsCreated, ",") != strings.Join(want, ",") {
			t.Fatalf("regions created = %v, want %v", rep.RegionsCreated, want)
		}

		rep = mustImport(t, svc, registry.KindBusinesses, "testdata/businesses.csv")
		wantCounts(t, rep, 11, 0, 0)
		if rep.Rows != 11 || len(rep.RegionsCreated) != 0 {
			t.Fatalf("rows %d, regions created %v", rep.Rows, rep.RegionsCreated)
		}
		n := countRows(t, d)
		// 11 registered events plus one for the suspended shop; every business but the stall is assigned.
		if n["businesses"] != 11 || n["business_events"] != 12 || n["assignments"] != 10 || n["regions"] != 7 {
			t.Fatalf("counts = %v", n)
		}
		b, err := svc.BusinessByCode(ctx, "92320211MA1MK3A1X1")
		if err != nil {
			t.Fatal(err)
		}
		regions, _ := svc.Regions(ctx)
		town, village := registry.NewRegionTree(regions).TownVillage(b.RegionID)
		if b.Name != "阿明面馆" || town != "胡埭镇" || village != "马鞍村" || b.Category != registry.CategoryCatering ||
			b.Grade != registry.GradeD || b.Longitude == nil || *b.Longitude != 120.1521 || b.Status != registry.StatusOperating {
			t.Fatalf("阿明面馆 = %+v in %s/%s", b, town, village)
		}
		if c := cadreOf(t, svc, "92320211MA1MK3A1X1"); c == nil || c.Name != "李红梅" {
			t.Fatalf("阿明面馆 cadre = %+v", c)
		}
		if b, _ := svc.BusinessByCode(ctx, "92320211MA1R3LM8TN"); b.Status != registry.StatusSuspended {
			t.Fatalf("龙延副食品店 status = %s", b.Status)
		}
		if b, err := svc.BusinessByCode(ctx, "JY23202110021007"); err != nil || b.CreditCode != nil {
			t.Fatalf("licence-only business = %+v, %v", b, err)
		}

		// The XLSX sample holds the same rows (with full-width headers): nothing to do.
		rep = mustImport(t, svc, registry.KindBusinesses, "testdata/businesses.xlsx")
		wantCounts(t, rep, 0, 0, 11)

		rep = mustImport(t, svc, registry.KindAssignments, "testdata/assignments.csv")
		wantCounts(t, rep, 1, 1, 2)
		if c := cadreOf(t, svc, "92320211MA1MK3A1X1"); c == nil || c.Name != "马晓燕" {
			t.Fatalf("阿明面馆 cadre after reassignment = %+v", c)
		}
		stall, _ := svc.BusinessByCode(ctx, "92320211MA1X9PQ2FX")
		a, err := svc.CurrentAssignment(ctx, stall.ID)
		if err != nil || a.StartedAt.In(clock.China).Format("2006-01-02") != "2026-10-08" || a.Actor != "test" {
			t.Fatalf("stall assignment = %+v, %v", a, err)
		}
		ming, _ := svc.BusinessByCode(ctx, "92320211MA1MK3A1X1")
		if hist, _ := svc.AssignmentHistory(ctx, ming.ID); len(hist) != 2 || hist[0].EndedAt == nil {
			t.Fatalf("阿明面馆 history = %+v", hist)
		}
	}, registry.Schema)
}

func TestImportXLSXIntoEmptyRegister(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, _ := newImportService(t, d)
		mustImport(t, svc, registry.KindCadres, "testdata/cadres.csv")
		rep := mustImport(t, svc, registry.KindBusinesses, "testdata/businesses.xlsx")
		wantCounts(t, rep, 11, 0, 0)
		if n := countRows(t, d); n["businesses"] != 11 || n["assignments"] != 10 {
			t.Fatalf("counts = %v", n)
		}
		if c := cadreOf(t, svc, "91320211MA1P4HD2KD"); c == nil || c.Name != "吴海涛" {
			t.Fatalf("B-grade company cadre = %+v", c)
		}
	}, registry.Schema)
}

func TestImportCreatesRegions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, _ := newImportService(t, d)
		// No cadre columns, headers as people write them, a column the
		// register does not keep.
		data := "主体名称*, 统一社会信用代码 ,业态,等级,镇（街道）,村（社区）,备注\n" +
			"雪浪小吃,92320211MA1Y3RT4G1,餐饮,D,雪浪街道,许舍社区,新开\n" +
			"雪浪超市,92320211MA1Y3RT5H5,销售,c级,雪浪街道,,\n"
		rep := mustImportBytes(t, svc, registry.KindBusinesses, "x.csv", []byte(data))
		wantCounts(t, rep, 2, 0, 0)
		want := "无锡市,滨湖区,雪浪街道,雪浪街道/许舍社区"
		if got := strings.Join(rep.RegionsCreated, ","); got != want {
			t.Fatalf("regions created = %s, want %s", got, want)
		}
		regions, _ := svc.Regions(ctx)
		tree := registry.NewRegionTree(regions)
		shop, _ := svc.BusinessByCode(ctx, "92320211MA1Y3RT5H5")
		if r := tree.ByID[shop.RegionID]; r.Level != registry.LevelTown || r.Name != "雪浪街道" || shop.Grade != registry.GradeC {
			t.Fatalf("town-level business sits in %+v grade %s", r, shop.Grade)
		}
		snack, _ := svc.BusinessByCode(ctx, "92320211MA1Y3RT4G1")
		if r := tree.ByID[snack.RegionID]; r.Level != registry.LevelVillage || !tree.ByID[*r.ParentID].Contains(r) {
			t.Fatalf("village business sits in %+v", r)
		}
	}, registry.Schema)
}

type wantRowError struct {
	row    int
	column string
	value  string
	reason string // a fragment of the reason
}

func checkRowErrors(t *testing.T, rep *registry.ImportReport, err error, want []wantRowError) {
	t.Helper()
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("want Invalid, got %v", err)
	}
	if !strings.Contains(errs.MessageOf(err), fmt.Sprintf("%d 处错误", len(want))) {
		t.Errorf("message %q does not count %d errors", errs.MessageOf(err), len(want))
	}
	if len(rep.Errors) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(rep.Errors), len(want), rowErrors(rep))
	}
	for i, w := range want {
		g := rep.Errors[i]
		if g.Row != w.row || g.Column != w.column || (w.value != "" && g.Value != w.value) || !strings.Contains(g.Reason, w.reason) {
			t.Errorf("error %d = %s, want row %d column %s value %q reason ~%q", i, g.String(), w.row, w.column, w.value, w.reason)
		}
	}
	if rep.Created+rep.Updated+rep.Unchanged != 0 || len(rep.RegionsCreated) != 0 {
		t.Errorf("a rejected import reports changes: %+v", rep)
	}
}

func TestImportRejectsBadRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, _ := newImportService(t, d)
		importSamples(t, svc)
		before, beforeStamps := countRows(t, d), stamps(t, d)
		want := []wantRowError{
			{3, "统一社会信用代码", "92320211MA1Y3RT5H6", "校验位"},
			{4, "业态", "小吃", "业态应为"},
			{5, "等级", "E", "等级应为"},
			{6, "联系电话", "12345", "电话号码格式"},
			{7, "经度", "东经120度", "应为数字"},
			{8, "统一社会信用代码", "92320211MA1Y3RT4G1", "与第 2 行重复"},
			{9, "包保干部", "赵无名", "没有名为「赵无名」的在职干部"},
			{10, "包保干部", "王建国", "D级主体应由村级干部包保"},
		}
		for _, dry := range []bool{false, true} {
			rep, err := importPath(t, svc, registry.KindBusinesses, "testdata/businesses_bad.csv", registry.ImportOptions{DryRun: dry})
			checkRowErrors(t, rep, err, want)
			if after := countRows(t, d); !sameMap(before, after) {
				t.Fatalf("dry=%v: counts changed from %v to %v", dry, before, after)
			}
			if !sameMap(beforeStamps, stamps(t, d)) {
				t.Fatalf("dry=%v: rows were rewritten", dry)
			}
		}
	}, registry.Schema)
}

func TestImportHeaderErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, _ := newImportService(t, d)
		rep, err := svc.Import(context.Background(), registry.KindBusinesses, "b.csv", strings.NewReader("主体名称,镇(街道),备注,主体名称\n阿明面馆,胡埭镇,,\n"), registry.ImportOptions{})
		checkRowErrors(t, rep, err, []wantRowError{
			{1, "主体名称", "主体名称", "列名重复"},
			{1, "业态", "", "缺少必填列「业态」"},
			{1, "等级", "", "缺少必填列「等级」"},
			{1, "统一社会信用代码", "", "统一社会信用代码 或 许可证编号"},
		})
		rep, err = svc.Import(context.Background(), registry.KindCadres, "c.csv", strings.NewReader(""), registry.ImportOptions{})
		checkRowErrors(t, rep, err, []wantRowError{{1, "姓名", "", "缺少"}, {1, "层级", "", "缺少"}, {1, "工作电话", "", "缺少"}})
		if _, err := svc.Import(context.Background(), registry.KindCadres, "c.xls", strings.NewReader(""), registry.ImportOptions{}); !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "xlsx") {
			t.Fatalf(".xls: %v", err)
		}
		if _, err := svc.Import(context.Background(), registry.KindCadres, "c.txt", strings.NewReader(""), registry.ImportOptions{}); !errs.Is(err, errs.Invalid) {
			t.Fatalf(".txt: %v", err)
		}
		if _, err := svc.Import(context.Background(), registry.KindCadres, "c.xlsx", strings.NewReader("not a zip"), registry.ImportOptions{}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("corrupt xlsx: %v", err)
		}
		if n := countRows(t, d); n["regions"] != 0 {
			t.Fatalf("rejected imports created regions: %v", n)
		}
	}, registry.Schema)
}

func TestImportAssignmentErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, _ := newImportService(t, d)
		importSamples(t, svc)
		before := countRows(t, d)
		data := "统一社会信用代码,许可证编号,主体名称,包保干部,干部电话,开始日期\n" +
			"92320211MA1Y3RT4G1,,不存在的店,李红梅,,\n" + // 2: valid code, no such business
			"92320211MA1MK3A1X1,,阿明饭店,马晓燕,,\n" + // 3: name does not match
			"92320211MA1N27B5Q7,,,马晓燕,,2026-12-01\n" + // 4: future date
			"92320211MA1N27B5Q7,,,马晓燕,,\n" + // 5: same business again
			"92320211MA1W55K7E0,,胡埭鲜果超市,李红梅,13912345678,\n" + // 6: C grade to a village cadre
			"92320211MA1Q8WE6J2,,,周志强,13900000000,\n" + // 7: unknown phone
			",,龙延农家菜馆,周志强,,\n" + // 8: no code
			"91320211MA1T6UX9HQ,,,张丽,,2026/13/01\n" // 9: bad date
		rep, err := svc.Import(context.Background(), registry.KindAssignments, "a.csv", strings.NewReader(data), registry.ImportOptions{})
		checkRowErrors(t, rep, err, []wantRowError{
			{2, "统一社会信用代码", "92320211MA1Y3RT4G1", "没有该主体"},
			{3, "主体名称", "阿明饭店", "阿明面馆"},
			{4, "开始日期", "2026-12-01", "不能晚于今天"},
			{5, "统一社会信用代码", "92320211MA1N27B5Q7", "与第 4 行重复"},
			{6, "包保干部", "李红梅", "C级主体应由镇级干部包保"},
			{7, "干部电话", "13900000000", "没有工作电话为"},
			{8, "统一社会信用代码", "", "至少填写一项"},
			{9, "开始日期", "2026/13/01", "格式不正确"},
		})
		if after := countRows(t, d); !sameMap(before, after) {
			t.Fatalf("counts changed from %v to %v", before, after)
		}
	}, registry.Schema)
}

func TestImportRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, clk := newImportService(t, d)
		importSamples(t, svc)
		// A name that a spreadsheet would run as a formula, and a deregistered business.
		if _, err := svc.CreateBusiness(ctx, registry.BusinessInput{Name: "=HYPERLINK(\"x\")小卖部", LicenceNo: "JY13202110029999",
			Category: registry.CategorySales, Grade: registry.GradeD, RegionID: mustRegion(t, svc, "马鞍村").ID}, "test", registry.SourceConsole); err != nil {
			t.Fatal(err)
		}
		b, _ := svc.BusinessByCode(ctx, "92320211MA1UB0C3DQ")
		if _, err := svc.ChangeStatus(ctx, b.ID, registry.StatusChange{Kind: registry.EventDeregistered, Actor: "test", Source: registry.SourceConsole}); err != nil {
			t.Fatal(err)
		}
		// Later imports would stamp a different time on anything they wrote.
		clk.Advance(time.Hour)
		wantRows := map[registry.Kind]int{registry.KindCadres: 8, registry.KindBusinesses: 12, registry.KindAssignments: 10}
		for _, kind := range registry.Kinds {
			for _, format := range []registry.Format{registry.FormatCSV, registry.FormatXLSX} {
				t.Run(string(kind)+"/"+string(format), func(t *testing.T) {
					before, beforeStamps := countRows(t, d), stamps(t, d)
					var buf bytes.Buffer
					if err := svc.Export(ctx, kind, format, &buf, ""); err != nil {
						t.Fatal(err)
					}
					rep := mustImportBytes(t, svc, kind, "export."+string(format), buf.Bytes())
					if rep.Rows != wantRows[kind] {
						t.Fatalf("exported %d rows, want %d", rep.Rows, wantRows[kind])
					}
					wantCounts(t, rep, 0, 0, rep.Rows)
					if !sameMap(before, countRows(t, d)) || !sameMap(beforeStamps, stamps(t, d)) {
						t.Fatal("re-importing an export wrote to the database")
					}
				})
			}
		}
	}, registry.Schema)
}

func mustRegion(t *testing.T, svc *registry.Service, name string) registry.Region {
	t.Helper()
	rs, err := svc.Regions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no region %s", name)
	return registry.Region{}
}

func TestImportUpdates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, clk := newImportService(t, d)
		importSamples(t, svc)
		clk.Advance(time.Hour)
		before := countRows(t, d)
		// Only the columns a file has change; the rest of each business is kept.
		rep := mustImportBytes(t, svc, registry.KindBusinesses, "address.csv",
			[]byte("主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),地址\n阿明面馆,92320211MA1MK3A1X1,餐饮,D,胡埭镇,马鞍村,胡埭镇马鞍村马鞍路14号\n"))
		wantCounts(t, rep, 0, 1, 0)
		ming, _ := svc.BusinessByCode(ctx, "92320211MA1MK3A1X1")
		if ming.Address != "胡埭镇马鞍村马鞍路14号" || ming.Name != "阿明面馆" || ming.Longitude == nil || ming.UpdatedAt.Before(importNow.Add(59*time.Minute)) {
			t.Fatalf("阿明面馆 after update = %+v", ming)
		}
		data := "主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),状态,包保干部,干部电话\n" +
			"阿明面馆,92320211MA1MK3A1X1,餐饮,D,胡埭镇,马鞍村,,,\n" + // an empty cadre cell leaves the assignment as it is
			"龙延副食品店,92320211MA1R3LM8TN,销售,D,胡埭镇,龙延村,正常,,\n" + // resumes
			"龙延农家菜馆,92320211MA1Q8WE6J2,餐饮,D,胡埭镇,龙延村,停产停业,,\n" + // suspends
			"好又多便利店(马鞍店),92320211MA1N27B5Q7,销售,D,胡埭镇,马鞍村,,马晓燕,13912345682\n" // new cadre
		rep = mustImportBytes(t, svc, registry.KindBusinesses, "status.csv", []byte(data))
		wantCounts(t, rep, 0, 3, 1)
		if c := cadreOf(t, svc, "92320211MA1MK3A1X1"); c == nil || c.Name != "马晓燕" {
			t.Fatalf("an empty cadre cell changed the assignment: %+v", c)
		}
		if c := cadreOf(t, svc, "92320211MA1N27B5Q7"); c == nil || c.Name != "马晓燕" {
			t.Fatalf("reassigned cadre = %+v", c)
		}
		for code, want := range map[string]registry.Status{"92320211MA1R3LM8TN": registry.StatusOperating, "92320211MA1Q8WE6J2": registry.StatusSuspended} {
			b, _ := svc.BusinessByCode(ctx, code)
			hist, _ := svc.StatusHistory(ctx, b.ID)
			last := hist[len(hist)-1]
			if b.Status != want || last.Source != registry.SourceImport || last.Actor != "test" {
				t.Fatalf("%s: status %s, last event %+v", code, b.Status, last)
			}
		}
		after := countRows(t, d)
		if after["business_events"] != before["business_events"]+2 || after["assignments"] != before["assignments"]+1 {
			t.Fatalf("counts %v → %v", before, after)
		}
		// Marking an exported row 注销 ends its assignment; the cadre cells
		// left in it do not matter.
		rep = mustImportBytes(t, svc, registry.KindBusinesses, "dereg.csv",
			[]byte("主体名称,统一社会信用代码,业态,等级,镇(街道),状态,包保干部,干部电话\n马鞍烧饼摊,92320211MA1X9PQ2FX,餐饮,D,胡埭镇,注销,李红梅,13912345678\n"))
		wantCounts(t, rep, 0, 1, 0)
		if c := cadreOf(t, svc, "92320211MA1X9PQ2FX"); c != nil {
			t.Fatalf("deregistered business still packed by %s", c.Name)
		}
		// Once deregistered, an import cannot bring a business back.
		rep, err := svc.Import(ctx, registry.KindBusinesses, "u.csv", strings.NewReader("主体名称,统一社会信用代码,业态,等级,镇(街道),状态\n马鞍烧饼摊,92320211MA1X9PQ2FX,餐饮,D,胡埭镇,正常\n"), registry.ImportOptions{})
		checkRowErrors(t, rep, err, []wantRowError{{2, "状态", "正常", "已注销"}})
	}, registry.Schema)
}

func TestImportDryRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, _ := newImportService(t, d)
		rep, err := importPath(t, svc, registry.KindCadres, "testdata/cadres.csv", registry.ImportOptions{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, rep, 8, 0, 0)
		if !rep.DryRun || len(rep.RegionsCreated) != 7 || !strings.Contains(rep.Summary(), "试导入") {
			t.Fatalf("report = %+v (%s)", rep, rep.Summary())
		}
		for tbl, n := range countRows(t, d) {
			if n != 0 {
				t.Fatalf("dry run wrote %d rows to %s", n, tbl)
			}
		}
	}, registry.Schema)
}

// ---- generated registers ----
