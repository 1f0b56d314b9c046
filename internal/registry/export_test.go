package registry_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

const businessHeader = "主体名称,统一社会信用代码,许可证编号,业态,等级,镇(街道),村(社区),地址,经度,纬度,负责人,联系电话," +
	"食品安全总监,总监电话,食品安全员,安全员电话,状态,包保干部,干部电话"

func exportBytes(t *testing.T, svc *registry.Service, kind registry.Kind, format registry.Format, scope string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := svc.Export(context.Background(), kind, format, &buf, scope); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readCSV checks the BOM Excel needs and returns the rows after it.
func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Fatal("CSV export has no UTF-8 BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, _ := newImportService(t, d)
		importSamples(t, svc)

		t.Run("BusinessesCSV", func(t *testing.T) {
			rows := readCSV(t, exportBytes(t, svc, registry.KindBusinesses, registry.FormatCSV, ""))
			if got := strings.Join(rows[0], ","); got != businessHeader {
				t.Fatalf("header = %s", got)
			}
			if len(rows) != 12 {
				t.Fatalf("%d rows, want header + 11", len(rows))
			}
			var ming []string
			for _, r := range rows {
				if r[0] == "阿明面馆" {
					ming = r
				}
			}
			want := "阿明面馆,92320211MA1MK3A1X1,JY23202110021001,餐饮,D,胡埭镇,马鞍村,胡埭镇马鞍村马鞍路12号,120.1521,31.5203," +
				"周阿明,13961800001,,,周阿明,13961800001,正常,马晓燕,13912345682"
			if got := strings.Join(ming, ","); got != want {
				t.Fatalf("阿明面馆 row =\n%s\nwant\n%s", got, want)
			}
		})

		t.Run("Scope", func(t *testing.T) {
			village := mustRegion(t, svc, "马鞍村")
			counts := map[registry.Kind]int{registry.KindBusinesses: 3, registry.KindCadres: 2, registry.KindAssignments: 3}
			for kind, want := range counts {
				rows := readCSV(t, exportBytes(t, svc, kind, registry.FormatCSV, village.Path))
				if len(rows)-1 != want {
					t.Errorf("%s in 马鞍村: %d rows, want %d", kind, len(rows)-1, want)
				}
			}
			district := mustRegion(t, svc, "滨湖区")
			other, err := svc.CreateRegion(ctx, &district.ID, registry.LevelTown, "蠡湖街道", "")
			if err != nil {
				t.Fatal(err)
			}
			if rows := readCSV(t, exportBytes(t, svc, registry.KindBusinesses, registry.FormatCSV, other.Path)); len(rows) != 1 {
				t.Fatalf("another town's export has %d rows", len(rows)-1)
			}
		})

		t.Run("BusinessesXLSX", func(t *testing.T) {
			f, err := excelize.OpenReader(bytes.NewReader(exportBytes(t, svc, registry.KindBusinesses, registry.FormatXLSX, "")))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows("包保主体")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rows[0], ","); got != businessHeader {
				t.Fatalf("header = %s", got)
			}
			var ming []string
			for _, r := range rows {
				if r[0] == "阿明面馆" {
					ming = r
				}
			}
			if len(ming) < 10 || ming[1] != "92320211MA1MK3A1X1" || ming[8] != "120.1521" {
				t.Fatalf("阿明面馆 row = %q", ming)
			}
			// Coordinates are numbers, so Excel does not flag them as text.
			for r := 2; r <= len(rows); r++ {
				if v, _ := f.GetCellValue("包保主体", fmt.Sprintf("A%d", r)); v == "阿明面馆" {
					if typ, err := f.GetCellType("包保主体", fmt.Sprintf("I%d", r)); err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
						t.Fatalf("longitude cell type = %v, %v", typ, err)
					}
				}
			}
		})

		t.Run("AssignmentsXLSX", func(t *testing.T) {
			f, err := excelize.OpenReader(bytes.NewReader(exportBytes(t, svc, registry.KindAssignments, registry.FormatXLSX, "")))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows("包保关系")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rows[0], ","); got != "统一社会信用代码,许可证编号,主体名称,包保干部,干部电话,开始日期" {
				t.Fatalf("header = %s", got)
			}
			if len(rows) != 12 {
				t.Fatalf("%d rows, want header + 11 current assignments", len(rows))
			}
			found := false
			for _, r := range rows {
				if len(r) == 6 && r[0] == "92320211MA1X9PQ2FX" {
					found = r[3] == "李红梅" && r[5] == "2026-10-08"
				}
			}
			if !found {
				t.Fatalf("the stall's assignment is missing or wrong: %v", rows)
			}
		})

		t.Run("CadresXLSXPhonesAsText", func(t *testing.T) {
			f, err := excelize.OpenReader(bytes.NewReader(exportBytes(t, svc, registry.KindCadres, registry.FormatXLSX, "")))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// Phone numbers must stay text, or Excel drops a landline's leading 0.
			typ, err := f.GetCellType("包保干部", "F2")
			if err != nil || typ == excelize.CellTypeNumber {
				t.Fatalf("work phone cell type = %v, %v", typ, err)
			}
		})

		t.Run("FormulaEscaped", func(t *testing.T) {
			if _, err := svc.CreateBusiness(ctx, registry.BusinessInput{Name: "=1+2小卖部", LicenceNo: "JY13202110029998",
				Category: registry.CategorySales, Grade: registry.GradeD, RegionID: mustRegion(t, svc, "马鞍村").ID}, "test", registry.SourceConsole); err != nil {
				t.Fatal(err)
			}
			data := exportBytes(t, svc, registry.KindBusinesses, registry.FormatCSV, "")
			if !bytes.Contains(data, []byte("'=1+2小卖部")) {
				t.Fatal("a formula-like name is exported unescaped")
			}
			rep := mustImportBytes(t, svc, registry.KindBusinesses, "b.csv", data)
			wantCounts(t, rep, 0, 0, rep.Rows)
		})

		t.Run("BadFormat", func(t *testing.T) {
			if err := svc.Export(ctx, registry.KindCadres, "pdf", &bytes.Buffer{}, ""); !errs.Is(err, errs.Invalid) {
				t.Fatalf("want Invalid, got %v", err)
			}
		})
	}, registry.Schema)
}
