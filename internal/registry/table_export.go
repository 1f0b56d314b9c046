package registry

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/shianbao/shianbao/internal/errs"
)

// Writing CSV and XLSX files, for export.

// tableWriter writes rows of cells in spec column order. close finishes
// the file; abort drops it (and its temporary files) after a failure.
type tableWriter interface {
	write(cells []string) error
	close() error
	abort()
}

func newTableWriter(format Format, w io.Writer, spec tableSpec) (tableWriter, error) {
	var tw tableWriter
	switch format {
	case FormatCSV:
		tw = newCSVWriter(w)
	case FormatXLSX:
		x, err := newXLSXWriter(w, spec)
		if err != nil {
			return nil, err
		}
		tw = x
	default:
		return nil, errs.E(errs.Invalid, msgBadFormat, string(format))
	}
	if err := tw.write(spec.header()); err != nil {
		return nil, err
	}
	return tw, nil
}

type csvWriter struct {
	w   *csv.Writer
	bom bool
	out io.Writer
}

// newCSVWriter writes UTF-8 with a BOM: without it Excel on Windows reads
// the file as GBK and shows the Chinese as mojibake.
func newCSVWriter(w io.Writer) *csvWriter {
	c := csv.NewWriter(w)
	c.UseCRLF = true
	return &csvWriter{w: c, out: w}
}

func (c *csvWriter) write(cells []string) error {
	if !c.bom {
		if _, err := c.out.Write(utf8BOM); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		c.bom = true
	}
	row := make([]string, len(cells))
	for i, v := range cells {
		row[i] = escapeFormula(v)
	}
	if err := c.w.Write(row); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func (c *csvWriter) abort() {}

func (c *csvWriter) close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// escapeFormula stops a spreadsheet from running a cell as a formula
// (CSV injection): a name typed in chat as "=HYPERLINK(...)" must stay
// text. The quote is Excel's own text marker; unescapeFormula drops it on
// import so the value round-trips.
func escapeFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func unescapeFormula(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

type xlsxWriter struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	out  io.Writer
	spec tableSpec
	row  int
	head int // header style
}

// newXLSXWriter streams the sheet to a temporary file (past 16 MiB) and
// zips the finished workbook straight into w, so memory stays flat however
// many rows are exported: excelize's own File.WriteTo would first build
// the whole zip in a bytes.Buffer (docs/BENCHMARKS.md, "Exports"). Cells
// are text, except coordinates, which are numbers so Excel does not flag
// them as "number stored as text".
func newXLSXWriter(w io.Writer, spec tableSpec) (*xlsxWriter, error) {
	f := excelize.NewFile()
	sheet := spec.kind.Label()
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		f.Close()
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	for i, c := range spec.columns {
		width := float64(utf8.RuneCountInString(c.name))*2.2 + 2
		switch c.name {
		case hName, hAddress:
			width = 36
		case hCreditCode, hLicenceNo:
			width = 22
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			f.Close()
			return nil, fmt.Errorf("write xlsx: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		f.Close()
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	return &xlsxWriter{f: f, sw: sw, out: w, spec: spec, head: head}, nil
}

func (x *xlsxWriter) write(cells []string) error {
	x.row++
	values := make([]any, len(cells))
	for i, v := range cells {
		switch {
		case x.row == 1:
			values[i] = excelize.Cell{StyleID: x.head, Value: v}
		case v == "":
			values[i] = nil
		case x.spec.columns[i].numeric:
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				values[i] = n
				continue
			}
			values[i] = v
		default:
			values[i] = v
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := x.sw.SetRow(cell, values); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

func (x *xlsxWriter) abort() { x.f.Close() }

func (x *xlsxWriter) close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(x.out) })
	if _, err := x.f.WriteTo(io.Discard); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
