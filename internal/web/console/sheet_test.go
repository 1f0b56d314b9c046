package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/shianbao/shianbao/internal/benchtest"
	"github.com/shianbao/shianbao/internal/clock"
)

// discardResponse is a response that counts and drops the body, so a
// benchmark measures the writer and not a buffer holding the download.
type discardResponse struct {
	h http.Header
	n int64
}

func (d *discardResponse) Header() http.Header { return d.h }
func (d *discardResponse) WriteHeader(int)     {}
func (d *discardResponse) Write(p []byte) (int, error) {
	d.n += int64(len(p))
	return len(p), nil
}

// visitsShape is row i of a synthetic visits export: the twelve columns
// of /console/visits.xlsx with names and villages varied so the file
// compresses about as well as the real one.
func visitsShape(i int, at time.Time) []any {
	var dist any
	if i%3 != 0 {
		dist = 20 + i%900
	}
	far := ""
	if i%17 == 0 {
		far = msgYes
	}
	return []any{at.Add(time.Duration(i) * time.Minute), fmt.Sprintf("滨湖区%s食品经营部%d号店", []string{"胡埭", "蠡园", "雪浪", "马山"}[i%4], i%100003),
		fmt.Sprintf("第%d村民委员会", i%211), fmt.Sprintf("干部%d", i%10424), []string{"现场", "远程", "电话"}[i%3],
		"2026年第4季度", i % 4, dist, far, []string{"", "停业", "注销"}[i%3], 1 + i%3, int64(100000 + i)}
}

var visitsShapeColumns = []column{{"督导时间", 17}, {"主体名称", 36}, {"村(社区)", 14}, {"包保干部", 10}, {"督导方式", 10},
	{"周期", 16}, {"问题数", 8}, {"距登记地点(米)", 14}, {"距离过远", 10}, {"经营状态变化", 12}, {"版本", 6}, {"编号", 10}}

// BenchmarkXLSXWriters writes SHIANBAO_BENCH_EXPORT_ROWS rows (default
// 10,000; 700,000 is a city's visits since 2025) of the visits export's
// shape, without a database: "console" with the console's sheet (excelize's
// StreamWriter, the zip written straight into the response), "WriteTo"
// with the same StreamWriter finished by excelize's File.WriteTo, which
// builds the whole zip in a bytes.Buffer first. It reports the peak heap,
// the peak resident set and the file's size; the body is counted and
// dropped. docs/BENCHMARKS.md ("Exports") has the figures.
func BenchmarkXLSXWriters(b *testing.B) {
	rows := benchtest.Int(b, "SHIANBAO_BENCH_EXPORT_ROWS", 10000)
	at := time.Date(2025, 1, 1, 8, 0, 0, 0, clock.China)
	report := func(b *testing.B, peaks benchtest.Peaks, size int64) {
		peaks.Report(b)
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(size)/1e6, "file-MB")
	}
	b.Run("console", func(b *testing.B) {
		var peaks benchtest.Peaks
		var size int64
		for b.Loop() {
			out := &discardResponse{h: http.Header{}}
			e := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), out)
			mem := benchtest.WatchMemory()
			sh := newSheet(e, "visits.xlsx", "督导记录", visitsShapeColumns)
			for i := range rows {
				if err := sh.add(visitsShape(i, at)...); err != nil {
					b.Fatal(err)
				}
			}
			if err := sh.send(); err != nil {
				b.Fatal(err)
			}
			peaks.Add(mem)
			size = out.n
		}
		report(b, peaks, size)
	})
	b.Run("WriteTo", func(b *testing.B) {
		var peaks benchtest.Peaks
		var size int64
		for b.Loop() {
			out := &discardResponse{h: http.Header{}}
			mem := benchtest.WatchMemory()
			f := excelize.NewFile()
			sw, err := f.NewStreamWriter("Sheet1")
			if err != nil {
				b.Fatal(err)
			}
			values := make([]any, len(visitsShapeColumns))
			for i := range rows {
				for j, v := range visitsShape(i, at) {
					if t, ok := v.(time.Time); ok {
						v = t.In(clock.China).Format("2006-01-02 15:04")
					}
					values[j] = v
				}
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				if err := sw.SetRow(cell, values); err != nil {
					b.Fatal(err)
				}
			}
			if err := sw.Flush(); err != nil {
				b.Fatal(err)
			}
			if _, err := f.WriteTo(out); err != nil {
				b.Fatal(err)
			}
			f.Close()
			peaks.Add(mem)
			size = out.n
		}
		report(b, peaks, size)
	})
}

// TestSheetCells reads a sheet back with excelize: text stays text (a
// leading formula character escaped, control characters dropped), times
// are China time, numbers are numbers and an empty value is an empty cell.
func TestSheetCells(t *testing.T) {
	out := httptest.NewRecorder()
	e := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), out)
	at := time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)
	sh := newSheet(e, "测试.xlsx", "测试[1]", []column{{"文本", 0}, {"控制字符", 0}, {"时间", 0}, {"时间指针", 0}, {"整数", 0}, {"空", 0}, {"比例", 0}})
	if err := sh.add(`=HYPERLINK("http://x")`, "甲\x01乙", at, &at, int64(42), nil, percent(0.125)); err != nil {
		t.Fatal(err)
	}
	if err := sh.send(); err != nil {
		t.Fatal(err)
	}
	if cd := out.Header().Get(echo.HeaderContentDisposition); !strings.Contains(cd, "filename*=UTF-8''%E6%B5%8B%E8%AF%95.xlsx") {
		t.Errorf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("测试_1_", excelize.Options{RawCellValue: true})
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %q %v (sheets %q)", rows, err, f.GetSheetList())
	}
	want := []string{`'=HYPERLINK("http://x")`, "甲乙", "2026-03-01 09:30", "2026-03-01 09:30", "42", "", "0.125"}
	if strings.Join(rows[1], "|") != strings.Join(want, "|") {
		t.Errorf("row %q, want %q", rows[1], want)
	}
	if typ, _ := f.GetCellType("测试_1_", "E2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("E2 is of type %v, want a number", typ)
	}
	if shown, _ := f.GetCellValue("测试_1_", "G2"); shown != "12.50%" {
		t.Errorf("G2 shows %q, want 12.50%%", shown)
	}
}

// TestSheetFailingHalfwayIsNotSent: when reading the rows fails after some
// were written, nothing has been sent, so the user gets the error page and
// not a cut download.
func TestSheetFailingHalfwayIsNotSent(t *testing.T) {
	out := httptest.NewRecorder()
	e := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), out)
	sh := newSheet(e, "x.xlsx", "x", []column{{"a", 0}})
	for i := range 3 {
		if err := sh.add(i); err != nil {
			t.Fatal(err)
		}
	}
	failed := errors.New("database went away")
	if err := sh.finish(failed); err != failed {
		t.Fatalf("finish = %v, want the reading error", err)
	}
	if e.Response().Committed || out.Body.Len() != 0 {
		t.Errorf("sent %d bytes (committed %v) of a failed export", out.Body.Len(), e.Response().Committed)
	}
}
