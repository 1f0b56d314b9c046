package web

import (
	"archive/zip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
// shape with the console's sheet writer and with excelize's StreamWriter,
// the finished workbook written by WriteTo (which builds the whole zip in
// a bytes.Buffer first) or by a zip writer on the response itself
// (SetZipWriter). It reports the peak heap, the peak resident set and the
// file's size; the body is counted and dropped.
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
	for _, direct := range []bool{false, true} {
		name := "excelize-WriteTo"
		if direct {
			name = "excelize-direct-zip"
		}
		b.Run(name, func(b *testing.B) {
			var peaks benchtest.Peaks
			var size, sheetXML int64
			for b.Loop() {
				out := &discardResponse{h: http.Header{}}
				mem := benchtest.WatchMemory()
				f := excelize.NewFile()
				if direct {
					f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return &zw{Writer: zip.NewWriter(out), sheet: &sheetXML} })
				}
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
			if direct {
				b.ReportMetric(float64(sheetXML)/1e6, "sheet-xml-MB")
			}
		})
	}
}

// zw counts what goes into the worksheet: the size of the temporary file
// excelize's StreamWriter keeps it in.
type zw struct {
	*zip.Writer
	sheet *int64
}

func (z *zw) Create(name string) (io.Writer, error) {
	w, err := z.Writer.Create(name)
	if err != nil || name != "xl/worksheets/sheet1.xml" {
		return w, err
	}
	*z.sheet = 0
	return countingWriter{w, z.sheet}, nil
}

type countingWriter struct {
	w io.Writer
	n *int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	*c.n += int64(len(p))
	return c.w.Write(p)
}
