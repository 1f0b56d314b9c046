package web

import (
	"archive/zip"
	"bufio"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
)

// Exports: every console list downloads as an XLSX file with the list's
// filters applied. Rows are read a batch at a time and written straight
// into the zip stream of the response: nothing is held for the whole file
// (excelize builds the finished workbook in memory before writing it, so
// it is not used here), and memory stays flat however many rows there are.
// The workbook is the smallest one Excel, WPS and LibreOffice open: one
// sheet of inline strings and numbers, a bold frozen header row and column
// widths.

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

// sheet is one streamed worksheet. Nothing is written until the first
// data row (or send), so a list that fails at once still gets an error
// page instead of a broken download.
type sheet struct {
	name     string
	cols     []column
	e        echo.Context
	filename string
	zw       *zip.Writer
	w        *bufio.Writer
	row      int
	err      error
}

// newSheet prepares the download filename: one sheet called name.
func newSheet(e echo.Context, filename, name string, cols []column) *sheet {
	return &sheet{e: e, filename: filename, name: name, cols: cols}
}

const (
	xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`
	xlsxRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`
	xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`
)

// start sends the response headers and the workbook's fixed parts, and
// opens the sheet with its header row.
func (s *sheet) start() error {
	if s.zw != nil {
		return nil
	}
	h := s.e.Response().Header()
	h.Set(echo.HeaderContentType, xlsxType)
	h.Set(echo.HeaderContentDisposition, "attachment; filename=\"export.xlsx\"; filename*=UTF-8''"+url.PathEscape(s.filename))
	h.Set("Cache-Control", "private, no-store")
	s.e.Response().WriteHeader(200)
	s.zw = zip.NewWriter(s.e.Response())
	workbook := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="` +
		xmlText(sheetName(s.name)) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", xlsxContentTypes}, {"_rels/.rels", xlsxRels}, {"xl/workbook.xml", workbook},
		{"xl/_rels/workbook.xml.rels", xlsxWorkbookRels}, {"xl/styles.xml", xlsxStyles},
	} {
		f, err := s.zw.Create(part.name)
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte(part.body)); err != nil {
			return err
		}
	}
	f, err := s.zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	s.w = bufio.NewWriterSize(f, 64<<10)
	s.w.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>`)
	for i, c := range s.cols {
		w := c.Width
		if w == 0 {
			w = float64(utf8.RuneCountInString(c.Name))*2.2 + 2
		}
		fmt.Fprintf(s.w, `<col min="%d" max="%d" width="%s" customWidth="1"/>`, i+1, i+1, strconv.FormatFloat(w, 'f', -1, 64))
	}
	s.w.WriteString(`</cols><sheetData>`)
	head := make([]any, len(s.cols))
	for i, c := range s.cols {
		head[i] = c.Name
	}
	return s.writeRow(head, true)
}

// add writes one row. Strings are text, with a leading formula character
// escaped (a name typed as "=HYPERLINK(…)" stays text); numbers are
// numbers; times are written in China time; nil leaves the cell empty.
func (s *sheet) add(cells ...any) error {
	if s.err != nil {
		return s.err
	}
	if s.row+1 >= xlsxMaxRows {
		return errs.E(errs.Invalid, msgTooManyRows, xlsxMaxRows-1)
	}
	if s.zw == nil {
		if s.err = s.start(); s.err != nil {
			return s.err
		}
	}
	s.err = s.writeRow(cells, false)
	return s.err
}

func (s *sheet) writeRow(cells []any, head bool) error {
	s.row++
	fmt.Fprintf(s.w, `<row r="%d">`, s.row)
	for i, v := range cells {
		ref := cellRef(i, s.row)
		style := ""
		if head {
			style = ` s="1"`
		}
		switch x := v.(type) {
		case nil:
		case string:
			if x != "" {
				fmt.Fprintf(s.w, `<c r="%s" t="inlineStr"%s><is><t xml:space="preserve">%s</t></is></c>`, ref, style, xmlText(textCell(x)))
			}
		case time.Time:
			if !x.IsZero() {
				fmt.Fprintf(s.w, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, x.In(clock.China).Format("2006-01-02 15:04"))
			}
		case *time.Time:
			if x != nil {
				fmt.Fprintf(s.w, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, x.In(clock.China).Format("2006-01-02 15:04"))
			}
		case int:
			fmt.Fprintf(s.w, `<c r="%s"><v>%d</v></c>`, ref, x)
		case int64:
			fmt.Fprintf(s.w, `<c r="%s"><v>%d</v></c>`, ref, x)
		case float64:
			fmt.Fprintf(s.w, `<c r="%s"><v>%s</v></c>`, ref, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			fmt.Fprintf(s.w, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, xmlText(fmt.Sprint(x)))
		}
	}
	_, err := s.w.WriteString(`</row>`)
	return err
}

// send finishes the download. A list without rows still gets its header.
func (s *sheet) send() error {
	if s.err != nil {
		return s.err
	}
	if s.zw == nil {
		if err := s.start(); err != nil {
			return err
		}
	}
	s.w.WriteString(`</sheetData></worksheet>`)
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := s.zw.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// finish sends the workbook, or, when filling it failed (err), ends the
// download and returns err.
func (s *sheet) finish(err error) error {
	if err != nil {
		s.close()
		return err
	}
	return s.send()
}

// close drops an unfinished download: the client sees a cut file.
func (s *sheet) close() {
	if s.zw != nil {
		s.zw.Close()
	}
}

// textCell keeps a spreadsheet from running a cell as a formula.
func textCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// xmlText escapes text for XML and drops the control characters XML 1.0
// does not allow.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\t', r == '\n', r == '\r':
			b.WriteRune(r)
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r == utf8.RuneError:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
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

// cellRef is the A1 name of column i (0-based) in row.
func cellRef(i, row int) string {
	col := ""
	for i++; i > 0; i = (i - 1) / 26 {
		col = string(rune('A'+(i-1)%26)) + col
	}
	return col + strconv.Itoa(row)
}

// exportName is a download's file name: what it is, whose, and when.
func exportName(what, scope string, now time.Time) string {
	return fmt.Sprintf("%s_%s_%s.xlsx", scope, what, now.In(clock.China).Format("20060102"))
}
