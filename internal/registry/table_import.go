package registry

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/shianbao/shianbao/internal/errs"
)

// Reading CSV and XLSX files into records, for import.

// record is one data row, its cells arranged in spec column order.
type record struct {
	row   int      // spreadsheet row number, header = 1 in a plain file
	cells []string // trimmed; "" for absent columns
}

// table is a file read against a spec.
type table struct {
	present []bool // which spec columns the file has
	records []record
}

func (t *table) has(col int) bool { return t.present[col] }

// complete reports whether the file has every column.
func (t *table) complete() bool {
	for _, p := range t.present {
		if !p {
			return false
		}
	}
	return true
}

// rowSource yields a file's rows with their spreadsheet row numbers.
// next returns io.EOF after the last row.
type rowSource interface {
	next() (row int, cells []string, err error)
	close() error
}

// rowErrorErr carries a RowError out of a rowSource (a CSV syntax error)
// so it is reported like any bad cell.
type rowErrorErr struct{ RowError }

func (e rowErrorErr) Error() string { return e.RowError.String() }

// headerSearchRows is how far down a title block ("胡埭镇包保主体台账",
// a date line) may push the header row.
const headerSearchRows = 10

// readLimits bound what one import reads (Rules.ImportMax*).
type readLimits struct {
	maxRows     int
	maxUnzipped int64
}

// readTable reads the header and every non-blank data row. Problems with
// the header or with cells are added to rep as row errors (with a bad
// header the table is nil); the error is for files that cannot be read at
// all, or that are larger than lim allows (Invalid).
func readTable(ctx context.Context, format Format, r io.Reader, spec tableSpec, lim readLimits, rep *ImportReport) (*table, error) {
	var src rowSource
	var err error
	switch format {
	case FormatCSV:
		src, err = newCSVSource(r)
	case FormatXLSX:
		src, err = newXLSXSource(r, lim)
	default:
		err = errs.E(errs.Invalid, msgBadFormat, string(format))
	}
	if err != nil {
		return nil, err
	}
	defer src.close()

	fail := func(err error) (*table, error) {
		var re rowErrorErr
		if errors.As(err, &re) {
			rep.addError(re.RowError)
			return nil, nil
		}
		return nil, err
	}

	// The header is the first row naming a known column; rows above it
	// are a title block. Rows read while looking are replayed as data.
	type pendingRow struct {
		row   int
		cells []string
	}
	var pending []pendingRow
	for len(pending) < headerSearchRows {
		row, cells, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		if blank(cells) {
			continue
		}
		pending = append(pending, pendingRow{row, append([]string(nil), cells...)})
	}
	lookup := spec.lookup()
	headerAt := 0
	for i, p := range pending {
		if knownColumns(p.cells, lookup) > 0 {
			headerAt = i
			break
		}
	}
	headerRow, header := 1, []string(nil)
	if len(pending) > 0 {
		headerRow, header = pending[headerAt].row, pending[headerAt].cells
		pending = pending[headerAt+1:]
	}
	t := &table{present: make([]bool, len(spec.columns))}
	index, headErrs := mapHeader(spec, lookup, header, headerRow, t.present)
	if len(headErrs) > 0 {
		for _, e := range headErrs {
			rep.addError(e)
		}
		return nil, nil
	}
	for n := 0; ; n++ {
		if n%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var row int
		var cells []string
		if len(pending) > 0 {
			row, cells, pending = pending[0].row, pending[0].cells, pending[1:]
		} else {
			row, cells, err = src.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fail(err)
			}
		}
		if blank(cells) {
			continue
		}
		// Refused at the first row past the limit, before the rest of a
		// huge file is read into memory.
		if len(t.records) == lim.maxRows {
			return nil, errs.E(errs.Invalid, msgTooManyRows, lim.maxRows)
		}
		rec := record{row: row, cells: make([]string, len(spec.columns))}
		for i, v := range cells {
			if i >= len(index) || index[i] < 0 {
				continue
			}
			if !utf8.ValidString(v) {
				rep.addError(RowError{Row: row, Column: spec.columns[index[i]].name, Value: clip(strings.ToValidUTF8(v, "?")), Reason: msgBadEncoding})
				continue
			}
			rec.cells[index[i]] = strings.TrimSpace(v)
		}
		t.records = append(t.records, rec)
	}
	return t, nil
}

func knownColumns(cells []string, lookup map[string]int) int {
	n := 0
	for _, c := range cells {
		if _, ok := lookup[headerKey(c)]; ok {
			n++
		}
	}
	return n
}

// mapHeader maps each file column to a spec column (-1 for columns the
// register does not keep, which are ignored) and reports missing and
// repeated columns.
func mapHeader(spec tableSpec, lookup map[string]int, header []string, row int, present []bool) ([]int, []RowError) {
	var out []RowError
	index := make([]int, len(header))
	first := make(map[int]int)
	for i, h := range header {
		index[i] = -1
		col, ok := lookup[headerKey(h)]
		if !ok {
			continue
		}
		if prev, dup := first[col]; dup {
			out = append(out, RowError{Row: row, Column: spec.columns[col].name, Value: clip(h), Reason: fmt.Sprintf(msgDuplicateHead, prev+1, i+1, spec.columns[col].name)})
			continue
		}
		first[col] = i
		index[i] = col
		present[col] = true
	}
	for i, c := range spec.columns {
		if c.required && !present[i] {
			out = append(out, RowError{Row: row, Column: c.name, Reason: fmt.Sprintf(msgMissingColumn, c.name)})
		}
	}
	for _, group := range spec.oneOf {
		var names []string
		found := false
		for _, col := range group {
			found = found || present[col]
			names = append(names, spec.columns[col].name)
		}
		if !found {
			out = append(out, RowError{Row: row, Column: names[0], Reason: fmt.Sprintf(msgMissingOneOf, strings.Join(names, " 或 "))})
		}
	}
	return index, out
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// clip shortens a cell for an error report.
func clip(s string) string {
	const max = 50
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// csvSniff is how much of a CSV file decides its encoding. A GBK file
// has Chinese headers in its first line, and GBK Chinese is practically
// never valid UTF-8, so the start of the file is enough.
const csvSniff = 64 << 10

type csvSource struct {
	r       *csv.Reader
	row     int // spreadsheet row of the last record
	prevEnd int // line the last record ended on
}

// newCSVSource reads UTF-8 (a BOM, as Excel writes, is dropped) or, when
// the bytes are not UTF-8, GB18030 — what Excel on a Chinese Windows saves
// as "CSV (逗号分隔)".
func newCSVSource(r io.Reader) (*csvSource, error) {
	br := bufio.NewReaderSize(r, csvSniff)
	head, err := br.Peek(csvSniff)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	var in io.Reader = br
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return nil, fmt.Errorf("read csv: %w", err)
		}
	case !validUTF8Start(head, len(head) == csvSniff):
		in = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	c := csv.NewReader(in)
	c.FieldsPerRecord = -1
	// Hand-edited files have stray quotes inside cells; reading them as
	// text beats rejecting the file.
	c.LazyQuotes = true
	c.ReuseRecord = true
	return &csvSource{r: c}, nil
}

// validUTF8Start reports whether b is UTF-8, allowing a rune cut off at
// the end when b is only the start of the file.
func validUTF8Start(b []byte, truncated bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if !truncated {
		return false
	}
	for i := 1; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.Valid(b[:len(b)-i]) {
			return true
		}
	}
	return false
}

// next counts rows as a spreadsheet shows them: blank lines, which
// encoding/csv skips, still take a row, and a quoted cell spanning lines
// takes one.
func (c *csvSource) next() (int, []string, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			row := c.row + 1 + max(0, pe.StartLine-c.prevEnd-1)
			return 0, nil, rowErrorErr{RowError{Row: row, Reason: fmt.Sprintf(msgCSVSyntax, pe.Err)}}
		}
		return 0, nil, fmt.Errorf("read csv: %w", err)
	}
	start, _ := c.r.FieldPos(0)
	last, _ := c.r.FieldPos(len(rec) - 1)
	c.row += 1 + max(0, start-c.prevEnd-1)
	c.prevEnd = last + strings.Count(rec[len(rec)-1], "\n")
	for i, v := range rec {
		rec[i] = unescapeFormula(v)
	}
	return c.row, rec, nil
}

func (c *csvSource) close() error { return nil }

type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

// xlsxOptions reads cells as stored, not as displayed: an 18-digit number
// or a date keeps its value instead of Excel's rendering of it.
var xlsxOptions = excelize.Options{RawCellValue: true}

// xlsxSheetInMemory is the largest worksheet or shared-strings part
// excelize unpacks into memory; a larger one goes to a temporary file and
// is read from there as a stream.
const xlsxSheetInMemory = 4 << 20

// xlsxOtherParts bounds the parts excelize always unpacks into memory
// (styles, theme, drawings, pictures and small sheets): a register needs a
// few hundred kilobytes of them.
const xlsxOtherParts = 32 << 20

// sharedStringsPerRow bounds the shared strings (the workbook's table of
// cell texts) an XLSX file may have, per row the import allows: a register
// row has some eight texts of its own (name, codes, address, people and
// phones), and excelize spends about a hundred bytes of index on each
// entry, so a file of millions of tiny entries would cost gigabytes (and
// minutes) to read a single cell.
const sharedStringsPerRow = 8

// newXLSXSource streams the first sheet, so a 100,000-row file is read row
// by row rather than held as a grid (excelize spills a large sheet to a
// temporary file).
//
// An XLSX file is a zip, and a small one may unpack to gigabytes (a zip
// bomb). Before excelize unpacks anything, checkXLSX holds the file to
// the limits. A declared size cannot understate an entry: archive/zip
// stops reading an entry with ErrFormat as soon as it yields more than it
// declared, so reading stays within the sizes checked.
func newXLSXSource(r io.Reader, lim readLimits) (*xlsxSource, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read xlsx: %w", err)
	}
	if err := checkXLSX(data, lim); err != nil {
		return nil, err
	}
	opt := xlsxOptions
	opt.UnzipSizeLimit, opt.UnzipXMLSizeLimit = lim.maxUnzipped, min(lim.maxUnzipped, xlsxSheetInMemory)
	f, err := excelize.OpenReader(bytes.NewReader(data), opt)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, msgBadXLSX)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, errs.E(errs.Invalid, msgNoSheet)
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, errs.Wrap(errs.Invalid, err, msgBadXLSX)
	}
	return &xlsxSource{f: f, rows: rows}, nil
}

func (x *xlsxSource) next() (int, []string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return 0, nil, errs.Wrap(errs.Invalid, err, msgBadXLSX)
		}
		return 0, nil, io.EOF
	}
	x.row++
	cells, err := x.rows.Columns(xlsxOptions)
	if err != nil {
		return 0, nil, errs.Wrap(errs.Invalid, err, msgBadXLSX)
	}
	return x.row, cells, nil
}

// checkXLSX refuses an XLSX file whose entries declare more than
// lim.maxUnzipped bytes in all, more than xlsxOtherParts in the parts
// excelize keeps in memory, or more shared strings than
// sharedStringsPerRow for each row allowed (counted by unpacking that
// part as a stream, within the sizes already checked).
func checkXLSX(data []byte, lim readLimits) error {
	maxUnzipped := lim.maxUnzipped
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, msgBadXLSX)
	}
	var total, inMemory uint64
	var sharedStrings []*zip.File
	for _, f := range z.File {
		total += f.UncompressedSize64
		if total > uint64(maxUnzipped) || total < f.UncompressedSize64 {
			return errs.E(errs.Invalid, msgUnzipTooLarge, maxUnzipped>>20)
		}
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		if name == "xl/sharedstrings.xml" {
			sharedStrings = append(sharedStrings, f)
		}
		streamed := (strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml") &&
			f.UncompressedSize64 > uint64(min(maxUnzipped, xlsxSheetInMemory))
		if !streamed {
			if inMemory += f.UncompressedSize64; inMemory > xlsxOtherParts {
				return errs.E(errs.Invalid, msgXLSXParts, xlsxOtherParts>>20)
			}
		}
	}
	maxStrings := max(lim.maxRows, 10_000) * sharedStringsPerRow
	for _, f := range sharedStrings {
		rc, err := f.Open()
		if err != nil {
			return errs.Wrap(errs.Invalid, err, msgBadXLSX)
		}
		n, err := countElements(rc, "si", maxStrings)
		rc.Close()
		switch {
		case n > maxStrings:
			return errs.E(errs.Invalid, msgXLSXStrings, maxStrings)
		case err != nil:
			return errs.Wrap(errs.Invalid, err, msgBadXLSX)
		}
	}
	return nil
}

// countElements counts the start tags of elements named local (with or
// without a namespace prefix) in an XML stream, stopping once it has
// counted more than limit. A byte scan, not an XML parse: it runs at the
// speed of decompression and holds one buffer.
func countElements(r io.Reader, local string, limit int) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	for n <= limit {
		if _, err := br.ReadSlice('<'); err == bufio.ErrBufferFull {
			continue
		} else if err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		// The longest name worth looking at: a short prefix and the name.
		head, _ := br.Peek(len(local) + 16)
		end := 0
		for end < len(head) && isNameByte(head[end]) {
			end++
		}
		if end == len(head) {
			continue
		}
		name := head[:end]
		if i := bytes.LastIndexByte(name, ':'); i >= 0 {
			name = name[i+1:]
		}
		if string(name) == local {
			n++
		}
	}
	return n, nil
}

func isNameByte(b byte) bool {
	return b == ':' || b == '_' || b == '-' || b == '.' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

func (x *xlsxSource) close() error {
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}
