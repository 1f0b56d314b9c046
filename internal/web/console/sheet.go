package console

import (
	"archive/zip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
)

// Exports: every console list downloads as an XLSX file with the list's
// filters applied, one sheet with a bold frozen header row and column
// widths, written by excelize's StreamWriter. Rows are read a batch at a
// time; the sheet goes to a temporary file (excelize keeps up to 16 MiB of
// it in memory, then spills to os.TempDir — about 630 bytes a row of the
// visits export), and the finished workbook is zipped straight into the
// response instead of into a buffer first. At 700,000 rows that holds the
// heap near 65 MB and the resident set under 100 MB, flat from 100,000 rows
// up (docs/BENCHMARKS.md, "Exports"); excelize's own File.WriteTo builds the
// whole zip in a bytes.Buffer and grows with the file (137 MB heap there).
// Nothing is sent before the last row, so a list that fails halfway still
// gets an error page instead of a cut download.

const (
	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	// xlsxMaxRows is Excel's limit, the header row included.
	xlsxMaxRows = 1 << 20
)

// column is one column of an export: its header and width in characters.
type column struct {
	Name  string
	Width float64
}

// percent is a share (0.25 for 25 %) written as a number Excel shows as a
// percentage.
type percent float64

// sheet is one streamed worksheet.
type sheet struct {
	name     string
	cols     []column
	e        echo.Context
	filename string
	f        *excelize.File
	sw       *excelize.StreamWriter
	styles   sheetStyles
	row      int
	err      error
}

// sheetStyles are the workbook's cell styles: the bold header and the
// percentages.
type sheetStyles struct{ head, percent int }

// newSheet prepares the download filename: one sheet called name.
func newSheet(e echo.Context, filename, name string, cols []column) *sheet {
	return &sheet{e: e, filename: filename, name: name, cols: cols}
}

// start creates the workbook and writes the header row.
func (s *sheet) start() error {
	allowLongWrite(s.e)
	s.f = excelize.NewFile()
	name := sheetName(s.name)
	if err := s.f.SetSheetName(s.f.GetSheetName(0), name); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	var err error
	if s.styles.head, err = s.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	// Built-in number format 10 is "0.00%".
	if s.styles.percent, err = s.f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if s.sw, err = s.f.NewStreamWriter(name); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for i, c := range s.cols {
		w := c.Width
		if w == 0 {
			w = float64(utf8.RuneCountInString(c.Name))*2.2 + 2
		}
		if err := s.sw.SetColWidth(i+1, i+1, w); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if err := s.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	head := make([]any, len(s.cols))
	for i, c := range s.cols {
		head[i] = excelize.Cell{StyleID: s.styles.head, Value: c.Name}
	}
	return s.setRow(head)
}

// add writes one row. Strings are text, with a leading formula character
// escaped (a name typed as "=HYPERLINK(…)" stays text); numbers are
// numbers, percent a percentage; times are written in China time; nil
// leaves the cell empty.
func (s *sheet) add(cells ...any) error {
	if s.err != nil {
		return s.err
	}
	if s.row+1 >= xlsxMaxRows {
		return errs.E(errs.Invalid, msgTooManyRows, xlsxMaxRows-1)
	}
	if s.f == nil {
		if s.err = s.start(); s.err != nil {
			return s.err
		}
	}
	values := make([]any, len(cells))
	for i, v := range cells {
		values[i] = s.cell(v)
	}
	s.err = s.setRow(values)
	return s.err
}

// cell is the value excelize writes for v.
func (s *sheet) cell(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
		return xmlChars(textCell(x))
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return x.In(clock.China).Format("2006-01-02 15:04")
	case *time.Time:
		if x == nil {
			return nil
		}
		return s.cell(*x)
	case int, int64, float64:
		return x
	case percent:
		return excelize.Cell{StyleID: s.styles.percent, Value: float64(x)}
	default:
		return xmlChars(fmt.Sprint(x))
	}
}

func (s *sheet) setRow(values []any) error {
	s.row++
	ref, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := s.sw.SetRow(ref, values); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// send finishes the workbook and sends it. A list without rows still gets
// its header.
func (s *sheet) send() error {
	if s.err != nil {
		s.close()
		return s.err
	}
	if s.f == nil {
		if err := s.start(); err != nil {
			s.close()
			return err
		}
	}
	defer s.close()
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	h := s.e.Response().Header()
	h.Set(echo.HeaderContentType, xlsxType)
	h.Set(echo.HeaderContentDisposition, "attachment; filename=\"export.xlsx\"; filename*=UTF-8''"+url.PathEscape(s.filename))
	h.Set("Cache-Control", "private, no-store")
	s.e.Response().WriteHeader(200)
	// The zip goes straight to the response; WriteTo's own buffer stays
	// empty (see the comment at the top of the file).
	resp := s.e.Response()
	s.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(resp) })
	if _, err := s.f.WriteTo(io.Discard); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// finish sends the workbook, or, when filling it failed (err), drops it
// and returns err for the error page.
func (s *sheet) finish(err error) error {
	if err != nil {
		s.close()
		return err
	}
	return s.send()
}

// close drops the workbook and its temporary file.
func (s *sheet) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// textCell keeps a spreadsheet from running a cell as a formula.
func textCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// xmlChars drops the control characters XML 1.0 does not allow (excelize
// escapes the rest, and would write U+FFFD for these).
func xmlChars(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
}

// sheetName fits a sheet name to Excel's rules (31 characters, none of []:*?/\).
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	return s
}

// exportName is a download's file name: what it is, whose, and when.
func exportName(what, scope string, now time.Time) string {
	return fmt.Sprintf("%s_%s_%s.xlsx", scope, what, now.In(clock.China).Format("20060102"))
}

// exportWriteTime is how long an export may take to write. The server's
// write timeout (http.write_timeout, a minute by default) is right for
// pages, but a province's register or a year of its visits takes minutes
// to read and zip, and nothing is sent until the sheet is whole.
const exportWriteTime = 15 * time.Minute

// allowLongWrite moves this response's write deadline to exportWriteTime
// from now. Writers that cannot (test recorders) keep theirs.
func allowLongWrite(e echo.Context) {
	_ = http.NewResponseController(e.Response()).SetWriteDeadline(time.Now().Add(exportWriteTime))
}
