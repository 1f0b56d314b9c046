package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// TestImportInScope: a town office's import may add and change only what
// lies in its town; every row reaching elsewhere is reported, and then
// nothing is written. An unchanged row keeps what it has even when that is
// outside the town (a grade B business's county cadre).
func TestImportInScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, _ := newImportService(t, d)
		ctx := context.Background()
		importSamples(t, svc)
		mustImportBytes(t, svc, registry.KindCadres, "other.csv", []byte("姓名,层级,镇(街道),村(社区),工作电话\n外镇干部,村级,蠡湖街道,湖景社区,13977770000\n"))
		mustImportBytes(t, svc, registry.KindBusinesses, "other.csv", []byte("主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),包保干部,干部电话\n"+
			"湖景小吃店,"+genCode(9001)+",餐饮,D,蠡湖街道,湖景社区,外镇干部,13977770000\n"))
		hudai := mustRegion(t, svc, "胡埭镇")

		tests := []struct {
			name string
			kind registry.Kind
			file string
			want []wantRowError
		}{
			{"OK", registry.KindBusinesses, "主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),包保干部,干部电话\n" +
				"马鞍新店," + genCode(9002) + ",销售,D,胡埭镇,马鞍村,李红梅,13912345678\n" +
				"新村小店," + genCode(9003) + ",销售,D,胡埭镇,新建村,,\n", nil},
			{"UnchangedCountyCadre", registry.KindBusinesses, "主体名称,统一社会信用代码,许可证编号,业态,等级,镇(街道),包保干部,干部电话\n" +
				"无锡胡埭食品有限公司,91320211MA1P4HD2KD,SC10632021100123,生产,B,胡埭镇,吴海涛,0510-85120001\n", nil},
			{"ErrOutside", registry.KindBusinesses, "主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),包保干部,干部电话\n" +
				"越界小店," + genCode(9004) + ",销售,D,蠡湖街道,湖景社区,,\n" +
				"新镇小店," + genCode(9005) + ",销售,D,新建镇,,,\n" +
				"湖景小吃店," + genCode(9001) + ",餐饮,D,胡埭镇,马鞍村,,\n" +
				"借调小店," + genCode(9006) + ",销售,D,胡埭镇,马鞍村,外镇干部,13977770000\n", []wantRowError{
				{2, "村(社区)", "湖景社区", "管辖范围"}, {3, "镇(街道)", "新建镇", "管辖范围"}, {4, "统一社会信用代码", genCode(9001), "管辖范围以外"},
				// Out of scope first and only: the cadres' area rule would name
				// another town.
				{5, "包保干部", "外镇干部", "不在您的管辖范围"},
			}},
			{"ErrCadres", registry.KindCadres, "姓名,层级,镇(街道),村(社区),工作电话\n" +
				"新干部,村级,胡埭镇,马鞍村,13977770001\n外镇干部,村级,胡埭镇,马鞍村,13977770000\n区干部,县级,,,13977770002\n", []wantRowError{
				{3, "工作电话", "13977770000", "管辖范围以外的干部"}, {4, "镇(街道)", "", "管辖范围"},
			}},
			{"ErrAssignments", registry.KindAssignments, "统一社会信用代码,包保干部,干部电话\n" +
				genCode(9001) + ",李红梅,13912345678\n92320211MA1X9PQ2FX,外镇干部,13977770000\n", []wantRowError{
				{2, "统一社会信用代码", genCode(9001), "管辖范围以外"},
				{3, "包保干部", "外镇干部", "不在您的管辖范围"},
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := countRows(t, d)
				for _, dry := range []bool{true, false} {
					rep, err := svc.ImportInScope(ctx, tt.kind, "f.csv", bytes.NewReader([]byte(tt.file)), registry.ImportOptions{DryRun: dry, Actor: "user:hudai"}, hudai.Path)
					if tt.want == nil {
						if err != nil {
							t.Fatalf("dry %v: %v\n%s", dry, err, rowErrors(rep))
						}
						continue
					}
					checkRowErrors(t, rep, err, tt.want)
					if after := countRows(t, d); !sameMap(before, after) {
						t.Fatalf("a refused import wrote: %v → %v", before, after)
					}
				}
			})
		}
	}, registry.Schema)
}

// TestImportInScopeNamesNothingOutside: a town office's preview of a file
// that touches another town's businesses and cadres — by code, licence or
// phone, never by their names — names none of them. Each row is refused
// with the plain "outside your area" wording, and the checks that would
// describe the other town's records are not run on it.
func TestImportInScopeNamesNothingOutside(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, _ := newImportService(t, d)
		ctx := context.Background()
		importSamples(t, svc)
		secret := []string{"湖景王干部", "湖景秘密酒家", "湖景旧店"}
		mustImportBytes(t, svc, registry.KindCadres, "lihu.csv", []byte("姓名,层级,镇(街道),村(社区),工作电话\n湖景王干部,村级,蠡湖街道,湖景社区,13977771111\n"))
		lihuBusinesses := "主体名称,统一社会信用代码,许可证编号,业态,等级,镇(街道),村(社区),状态\n" +
			"湖景秘密酒家," + genCode(9101) + ",JY23202110099001,餐饮,D,蠡湖街道,湖景社区,正常\n" +
			"湖景旧店," + genCode(9102) + ",JY23202110099002,餐饮,D,蠡湖街道,湖景社区,%s\n"
		mustImportBytes(t, svc, registry.KindBusinesses, "lihu.csv", []byte(fmt.Sprintf(lihuBusinesses, "正常")))
		mustImportBytes(t, svc, registry.KindBusinesses, "lihu.csv", []byte(fmt.Sprintf(lihuBusinesses, "注销")))
		hudai := mustRegion(t, svc, "胡埭镇")

		tests := []struct {
			name string
			kind registry.Kind
			file string
			rows int
		}{
			// The phone is another town's cadre's; the name one of 胡埭's.
			{"CadrePhone", registry.KindBusinesses, "主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),包保干部,干部电话\n" +
				"马鞍新店," + genCode(9103) + ",销售,D,胡埭镇,马鞍村,李红梅,13977771111\n", 1},
			// The licence number is another town's business's.
			{"Licence", registry.KindBusinesses, "主体名称,统一社会信用代码,许可证编号,业态,等级,镇(街道),村(社区)\n" +
				"马鞍二店," + genCode(9104) + ",JY23202110099001,销售,D,胡埭镇,马鞍村\n", 1},
			// Another town's deregistered business, revived and moved here.
			{"Deregistered", registry.KindBusinesses, "主体名称,统一社会信用代码,业态,等级,镇(街道),村(社区),状态\n" +
				"马鞍三店," + genCode(9102) + ",销售,D,胡埭镇,马鞍村,正常\n", 1},
			// Another town's business under a wrong name, and a 胡埭 business
			// given another town's cadre by phone.
			{"Assignments", registry.KindAssignments, "统一社会信用代码,主体名称,包保干部,干部电话\n" +
				genCode(9101) + ",马鞍四店,李红梅,13912345678\n" +
				"92320211MA1MK3A1X1,阿明面馆,李红梅,13977771111\n", 2},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rep, err := svc.ImportInScope(ctx, tt.kind, "f.csv", bytes.NewReader([]byte(tt.file)), registry.ImportOptions{DryRun: true, Actor: "user:hudai"}, hudai.Path)
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("want the file refused, got %v", err)
				}
				report := rowErrors(rep) + errs.MessageOf(err)
				for _, name := range secret {
					if strings.Contains(report, name) {
						t.Errorf("the preview names %s, outside the office's area:\n%s", name, report)
					}
				}
				rows := map[int]bool{}
				for _, e := range rep.Errors {
					rows[e.Row] = true
					if !strings.Contains(e.Reason, "管辖范围") {
						t.Errorf("row %d: %s (want only the outside-your-area wording)", e.Row, e.String())
					}
				}
				if len(rows) != tt.rows {
					t.Errorf("%d rows refused, want %d:\n%s", len(rows), tt.rows, report)
				}
			})
		}
	}, registry.Schema)
}
