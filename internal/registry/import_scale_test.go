package registry_test

// The register at scale: generated rows, encodings, fuzzing and the import benchmark.

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/shianbao/shianbao/internal/benchtest"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// genCode is the n-th valid credit code of an individual business in 滨湖区.
func genCode(n int) string {
	first := fmt.Sprintf("92320211MA1%06d", n)
	return first + string(registry.CreditCheckChar(first))
}

// genRegister builds a cadres table and a businesses table of n rows over
// two towns of ten villages: D businesses packed by their village's cadre,
// every 50th a C business packed by the town's cadre.
func genRegister(n int) (cadres, businesses [][]string) {
	towns := []string{"胡埭镇", "蠡湖街道"}
	cadres = [][]string{{"姓名", "职务", "层级", "镇(街道)", "村(社区)", "工作电话"}}
	for ti, town := range towns {
		cadres = append(cadres, []string{fmt.Sprintf("镇干部%d", ti), "副镇长", "镇级", town, "", fmt.Sprintf("0510-8560%04d", ti)})
		for v := 0; v < 10; v++ {
			cadres = append(cadres, []string{fmt.Sprintf("村干部%d-%d", ti, v), "村委委员", "村级", town, fmt.Sprintf("第%d村", v), fmt.Sprintf("139%04d%04d", ti, v)})
		}
	}
	businesses = [][]string{{"主体名称", "统一社会信用代码", "许可证编号", "业态", "等级", "镇(街道)", "村(社区)", "地址", "经度", "纬度",
		"负责人", "联系电话", "食品安全总监", "总监电话", "食品安全员", "安全员电话", "状态", "包保干部", "干部电话"}}
	categories := []string{"餐饮", "销售", "生产", "单位食堂"}
	for i := 0; i < n; i++ {
		ti, v := i%2, (i/2)%10
		town, village := towns[ti], fmt.Sprintf("第%d村", v)
		grade, cadre, phone := "D", fmt.Sprintf("村干部%d-%d", ti, v), fmt.Sprintf("139%04d%04d", ti, v)
		if i%50 == 0 {
			grade, village, cadre, phone = "C", "", fmt.Sprintf("镇干部%d", ti), fmt.Sprintf("0510-8560%04d", ti)
		}
		businesses = append(businesses, []string{
			fmt.Sprintf("测试主体%06d", i), genCode(i), fmt.Sprintf("JY2320211%07d", i), categories[i%4], grade, town, village,
			fmt.Sprintf("%s%s%d号", town, village, i), fmt.Sprintf("120.%06d", i%1000000), fmt.Sprintf("31.%06d", (i*7)%1000000),
			fmt.Sprintf("负责人%d", i), fmt.Sprintf("138%08d", i), "", "", fmt.Sprintf("安全员%d", i), fmt.Sprintf("137%08d", i), "正常", cadre, phone,
		})
	}
	return cadres, businesses
}

func csvBytes(t testing.TB, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xlsxBytes writes rows to a sheet, above them the title lines an office's
// own sheet often has when titled is set.
func xlsxBytes(t testing.TB, rows [][]string, titled bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	r := 1
	if titled {
		if err := sw.SetRow("A1", []any{"胡埭镇包保主体台账"}); err != nil {
			t.Fatal(err)
		}
		r = 3 // row 2 left blank
	}
	for _, row := range rows {
		vals := make([]any, len(row))
		for i, v := range row {
			vals[i] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, vals); err != nil {
			t.Fatal(err)
		}
		r++
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImport1000Rows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc, clk := newImportService(t, d)
		cadres, businesses := genRegister(1000)
		mustImportBytes(t, svc, registry.KindCadres, "cadres.csv", csvBytes(t, cadres))
		var calls, lastDone, lastTotal int
		rep, err := svc.Import(ctx, registry.KindBusinesses, "businesses.csv", bytes.NewReader(csvBytes(t, businesses)), registry.ImportOptions{
			Progress: func(done, total int) { calls, lastDone, lastTotal = calls+1, done, total },
		})
		if err != nil {
			t.Fatalf("%v\n%s", err, rowErrors(rep))
		}
		wantCounts(t, rep, 1000, 0, 0)
		if calls < 2 || lastDone != 1000 || lastTotal != 1000 {
			t.Fatalf("progress: %d calls, last %d/%d", calls, lastDone, lastTotal)
		}
		if n := countRows(t, d); n["businesses"] != 1000 || n["assignments"] != 1000 || n["business_events"] != 1000 {
			t.Fatalf("counts = %v", n)
		}

		// The same file again, as XLSX with a title block: nothing to do.
		clk.Advance(time.Hour)
		beforeStamps := stamps(t, d)
		rep = mustImportBytes(t, svc, registry.KindBusinesses, "businesses.xlsx", xlsxBytes(t, businesses, true))
		wantCounts(t, rep, 0, 0, 1000)
		if !sameMap(beforeStamps, stamps(t, d)) {
			t.Fatal("an unchanged re-import wrote rows")
		}

		// Ten rows edited: an address, a suspension, a new cadre.
		for i := 1; i <= 10; i++ {
			row, idx := businesses[i*7], i*7-1
			switch i % 3 {
			case 0:
				row[7] += "（新址）"
			case 1:
				row[16] = "停产停业"
			case 2:
				ti, v := idx%2, ((idx/2)%10+1)%10
				row[17], row[18] = fmt.Sprintf("村干部%d-%d", ti, v), fmt.Sprintf("139%04d%04d", ti, v)
			}
		}
		rep, err = svc.Import(ctx, registry.KindBusinesses, "businesses.csv", bytes.NewReader(csvBytes(t, businesses)), registry.ImportOptions{})
		if err != nil {
			t.Fatalf("%v\n%s", err, rowErrors(rep))
		}
		wantCounts(t, rep, 0, 10, 990)

		// An export spanning several read batches imports back unchanged.
		if _, err := svc.CreateBusiness(ctx, registry.BusinessInput{Name: "第1001家", CreditCode: genCode(1000), Category: registry.CategorySales,
			Grade: registry.GradeD, RegionID: mustRegion(t, svc, "第0村").ID}, "test", registry.SourceConsole); err != nil {
			t.Fatal(err)
		}
		for _, format := range []registry.Format{registry.FormatCSV, registry.FormatXLSX} {
			var buf bytes.Buffer
			if err := svc.Export(ctx, registry.KindBusinesses, format, &buf, ""); err != nil {
				t.Fatal(err)
			}
			rep = mustImportBytes(t, svc, registry.KindBusinesses, "export."+string(format), buf.Bytes())
			wantCounts(t, rep, 0, 0, 1001)
		}

		// Bad cells in a title-block XLSX are reported by their sheet row.
		businesses[5][4] = "Z"
		rep, err = svc.Import(ctx, registry.KindBusinesses, "businesses.xlsx", bytes.NewReader(xlsxBytes(t, businesses, true)), registry.ImportOptions{})
		checkRowErrors(t, rep, err, []wantRowError{{3 + 5, "等级", "Z", "等级应为"}})
	}, registry.Schema)
}

func TestImportGBK(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		svc, _ := newImportService(t, d)
		utf, err := os.ReadFile("testdata/cadres.csv")
		if err != nil {
			t.Fatal(err)
		}
		gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(utf)
		if err != nil {
			t.Fatal(err)
		}
		if utf8.Valid(gbk) {
			t.Fatal("the GBK sample is valid UTF-8; the test proves nothing")
		}
		rep := mustImportBytes(t, svc, registry.KindCadres, "干部名单.CSV", gbk)
		wantCounts(t, rep, 8, 0, 0)
		// The same file as UTF-8 with a BOM is the same register.
		rep = mustImportBytes(t, svc, registry.KindCadres, "cadres.csv", append([]byte("\ufeff"), utf...))
		wantCounts(t, rep, 0, 0, 8)
		c, _, err := svc.FindCadres(context.Background(), registry.CadreFilter{Query: "李红梅"})
		if err != nil || len(c) != 1 || c[0].Level != registry.CadreVillage {
			t.Fatalf("GBK cadre = %+v, %v", c, err)
		}
	}, registry.Schema)
}

func TestParseKind(t *testing.T) {
	for in, want := range map[string]registry.Kind{"businesses": registry.KindBusinesses, "Cadre": registry.KindCadres, "包保关系": registry.KindAssignments} {
		if got, err := registry.ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := registry.ParseKind("visits"); !errs.Is(err, errs.Invalid) {
		t.Errorf("ParseKind(visits): %v", err)
	}
}

// FuzzImportCSV feeds arbitrary bytes to the CSV reader and row checks
// (as a dry run against a small register): whatever comes in, Import
// reports and never panics.
func FuzzImportCSV(f *testing.F) {
	for _, name := range []string{"cadres.csv", "businesses.csv", "assignments.csv", "businesses_bad.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(len(name)), data)
		gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes(data)
		f.Add(uint8(len(name)+1), gbk)
	}
	f.Add(uint8(1), []byte("主体名称,统一社会信用代码\n\"unterminated,\"x\"\"\n\n\n,,,\n"))
	f.Add(uint8(0), []byte("\xef\xbb\xbf姓名,层级,工作电话\n'=cmd,村级,139\xff\n"))

	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{Driver: db.SQLite, DSN: filepath.Join(f.TempDir(), "fuzz.db")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx, registry.Schema); err != nil {
		f.Fatal(err)
	}
	svc, _ := newImportService(f, d)
	for _, k := range []registry.Kind{registry.KindCadres, registry.KindBusinesses} {
		file, _ := os.Open(filepath.Join("testdata", string(k)+".csv"))
		if _, err := svc.Import(ctx, k, "x.csv", file, registry.ImportOptions{}); err != nil {
			f.Fatal(err)
		}
		file.Close()
	}

	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		k := registry.Kinds[int(kind)%len(registry.Kinds)]
		rep, err := svc.Import(ctx, k, "fuzz.csv", bytes.NewReader(data), registry.ImportOptions{DryRun: true})
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("error of kind %s: %v", errs.KindOf(err), err)
		}
		if (err == nil) != (len(rep.Errors) == 0) {
			t.Fatalf("err %v with %d row errors", err, len(rep.Errors))
		}
		for _, e := range rep.Errors {
			if e.Row < 1 || utf8.RuneCountInString(e.Value) > 51 || !utf8.ValidString(e.Value) || e.Reason == "" {
				t.Fatalf("bad row error %+v", e)
			}
		}
	})
}

// BenchmarkImportXLSX measures importing a register of businesses as XLSX
// into MySQL (SQLite when MySQL is not configured), after its cadres: all
// new into an empty register, the same file again (nothing to write), a
// file where every address changed, and the export. An op is one import
// (or export) of the whole file; rows/s counts its rows. The file has
// SHIANBAO_BENCH_IMPORT_ROWS businesses (default 2,000); docs/BENCHMARKS.md
// keeps the figures of a city's 100,000:
//
//	SHIANBAO_BENCH_IMPORT_ROWS=100000 SHIANBAO_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' \
//	  go test -run '^$' -bench ImportXLSX -benchtime 1x -benchmem -timeout 30m ./internal/registry
func BenchmarkImportXLSX(b *testing.B) {
	rows := benchtest.Int(b, "SHIANBAO_BENCH_IMPORT_ROWS", 2000)
	cadres, businesses := genRegister(rows)
	cadreFile := csvBytes(b, cadres)
	data := xlsxBytes(b, businesses, false)
	for _, row := range businesses[1:] {
		row[7] += "（新址）"
	}
	changed := xlsxBytes(b, businesses, false)
	businesses = nil
	engine := db.SQLite
	if os.Getenv(dbtest.EnvMySQLDSN) != "" {
		engine = db.MySQL
	}

	// register is a fresh database with the cadres, and the businesses of
	// data when withBusinesses.
	register := func(b *testing.B, withBusinesses bool) *registry.Service {
		d := dbtest.Open(b, registry.Schema)
		svc, _ := newImportService(b, d)
		mustImportBytes(b, svc, registry.KindCadres, "cadres.csv", cadreFile)
		if withBusinesses {
			wantCounts(b, mustImportBytes(b, svc, registry.KindBusinesses, "businesses.xlsx", data), rows, 0, 0)
		}
		return svc
	}
	b.Run(string(engine)+"/new", func(b *testing.B) {
		var svc *registry.Service
		importSteps(b, rows, func(int) { svc = register(b, false) }, func(int) {
			wantCounts(b, mustImportBytes(b, svc, registry.KindBusinesses, "businesses.xlsx", data), rows, 0, 0)
		})
		b.ReportMetric(float64(len(data))/1e6, "file-MB")
	})
	b.Run(string(engine)+"/unchanged", func(b *testing.B) {
		b.StopTimer()
		svc := register(b, true)
		importSteps(b, rows, nil, func(int) {
			wantCounts(b, mustImportBytes(b, svc, registry.KindBusinesses, "businesses.xlsx", data), 0, 0, rows)
		})
	})
	b.Run(string(engine)+"/changed", func(b *testing.B) {
		b.StopTimer()
		svc := register(b, true)
		// Every other op changes the addresses back: each one updates all.
		files := [][]byte{changed, data}
		importSteps(b, rows, nil, func(i int) {
			wantCounts(b, mustImportBytes(b, svc, registry.KindBusinesses, "businesses.xlsx", files[i%2]), 0, rows, 0)
		})
	})
	b.Run(string(engine)+"/export", func(b *testing.B) {
		b.StopTimer()
		svc := register(b, true)
		var out bytes.Buffer
		importSteps(b, rows, func(int) { out.Reset() }, func(int) {
			if err := svc.Export(context.Background(), registry.KindBusinesses, registry.FormatXLSX, &out, ""); err != nil {
				b.Fatal(err)
			}
		})
		if out.Len() < len(data)/2 {
			b.Fatalf("export of %d bytes for an import file of %d", out.Len(), len(data))
		}
		b.ReportMetric(float64(out.Len())/1e6, "file-MB")
	})
}

// importSteps times step b.N times, each after prepare (not timed), and
// reports rows/s and the peak memory of the steps alone.
func importSteps(b *testing.B, rows int, prepare, step func(i int)) {
	b.ReportAllocs()
	var peaks benchtest.Peaks
	for i := range b.N {
		b.StopTimer()
		if prepare != nil {
			prepare(i)
		}
		mem := benchtest.WatchMemory()
		b.StartTimer()
		step(i)
		b.StopTimer()
		peaks.Add(mem)
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	peaks.Report(b)
}
