package console_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/shianbao/shianbao/internal/web/webtest"
)

// exportCheck is what a console export must look like when excelize opens
// it: its sheet, the first headers, and the columns holding percentages
// (written as numbers in Excel's 0.00% format, not as text).
type exportCheck struct {
	path, sheet string
	head        []string
	percent     []string
}

var exportChecks = []exportCheck{
	{path: "/console/businesses.xlsx", sheet: "包保主体", head: []string{"主体名称"}},
	{path: "/console/cadres.xlsx", sheet: "包保干部", head: []string{"姓名", "职务", "层级"}, percent: []string{"覆盖率"}},
	{path: "/console/visits.xlsx?from=", sheet: "督导记录", head: []string{"督导时间", "主体名称", "村(社区)", "包保干部"}},
	{path: "/console/selfcheck.xlsx?from=2026-01-01", sheet: "日管控记录率", head: []string{"村(社区)", "期间"}, percent: []string{"记录率"}},
	{path: "/console/rectifications.xlsx", sheet: "整改", head: []string{"主体名称", "村(社区)", "检查项目"}},
	{path: "/console/overdue.xlsx", sheet: "逾期未督导", head: []string{"主体名称", "等级"}},
	{path: "/console/progress.xlsx", sheet: "进度表", head: []string{"镇(街道)", "村(社区)", "包保干部"}, percent: []string{"覆盖率"}},
	{path: "/console/letters.xlsx", sheet: "提示函", head: []string{"编号", "主体名称"}},
	{path: "/console/notifications.xlsx", sheet: "通知", head: []string{"编号", "类型", "接收人"}},
	{path: "/console/audit.xlsx", sheet: "操作日志", head: []string{"时间", "操作人", "操作"}},
}

// TestConsoleExportsReadBack opens every console export with excelize, as
// a user's spreadsheet would: one named sheet, a bold header, data rows,
// and percentages that are numbers formatted as percent.
func TestConsoleExportsReadBack(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	lihu := a.SignIn(t, a.Lihu)
	conBuildWorld(t, a, lihu)
	for _, x := range exportChecks {
		t.Run(x.path, func(t *testing.T) {
			lihu.Get(x.path)
			if lihu.Status != 200 || lihu.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
				t.Fatalf("status %d, %s: %.300s", lihu.Status, lihu.Header.Get("Content-Type"), lihu.Body)
			}
			f, err := excelize.OpenReader(bytes.NewReader([]byte(lihu.Body)))
			if err != nil {
				t.Fatalf("excelize cannot open the export: %v", err)
			}
			defer f.Close()
			if got := f.GetSheetList(); len(got) != 1 || got[0] != x.sheet {
				t.Fatalf("sheets %q, want [%s]", got, x.sheet)
			}
			rows, err := f.GetRows(x.sheet, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) < 2 {
				t.Fatalf("want a header and data rows, got %d rows: %q", len(rows), rows)
			}
			head := rows[0]
			if len(head) < len(x.head) || strings.Join(head[:len(x.head)], "|") != strings.Join(x.head, "|") {
				t.Errorf("header %q, want it to start with %q", head, x.head)
			}
			if bold := cellStyle(t, f, x.sheet, "A1"); bold.Font == nil || !bold.Font.Bold {
				t.Error("header is not bold")
			}
			if strings.Join(rows[1], "") == "" {
				t.Errorf("first data row is empty: %q", rows[1])
			}
			for _, name := range x.percent {
				col := -1
				for i, h := range head {
					if h == name {
						col = i
					}
				}
				if col < 0 {
					t.Fatalf("no column %s in %q", name, head)
				}
				seen := 0
				for r := 1; r < len(rows); r++ {
					if col >= len(rows[r]) || rows[r][col] == "" {
						continue
					}
					seen++
					ref, _ := excelize.CoordinatesToCellName(col+1, r+1)
					if v, err := strconv.ParseFloat(rows[r][col], 64); err != nil || v < 0 || v > 1 {
						t.Fatalf("%s %s = %q, want a share between 0 and 1", name, ref, rows[r][col])
					}
					if st := cellStyle(t, f, x.sheet, ref); st.NumFmt != 10 {
						t.Fatalf("%s %s has number format %d, want 10 (0.00%%)", name, ref, st.NumFmt)
					}
					if shown, _ := f.GetCellValue(x.sheet, ref); !strings.HasSuffix(shown, "%") {
						t.Fatalf("%s %s shows %q, want a percentage", name, ref, shown)
					}
				}
				if seen == 0 {
					t.Errorf("no %s figure in any row", name)
				}
			}
		})
	}
}

func cellStyle(t *testing.T, f *excelize.File, sheet, ref string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
