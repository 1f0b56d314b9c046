package registry_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// peakHeap runs fn and returns the most heap it saw in use while fn ran,
// sampled every few milliseconds (after a GC, so it measures fn alone).
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapAlloc)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	if peak < base.HeapAlloc {
		return 0
	}
	return peak - base.HeapAlloc
}

const mb = 1 << 20

// junkCSV is a businesses header and n lines of junk, as in the issue: a
// 600 KB file of 300,000 lines once made a 77 MB error page.
func junkCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("主体名称,统一社会信用代码,业态,等级,镇(街道)\n")
	for range n {
		b.WriteString("x\n")
	}
	return b.Bytes()
}

// TestImportJunkIsBounded: a file of junk costs bounded memory and makes a
// bounded report, whether it is refused for its length or checked row by row.
func TestImportJunkIsBounded(t *testing.T) {
	d := dbtest.OpenSQLite(t, registry.Schema)
	svc, _ := newImportService(t, d)
	ctx := context.Background()

	t.Run("ErrTooManyRows", func(t *testing.T) {
		file := junkCSV(300_000)
		var rep *registry.ImportReport
		var err error
		heap := peakHeap(func() {
			rep, err = svc.ImportInScope(ctx, registry.KindBusinesses, "junk.csv", bytes.NewReader(file), registry.ImportOptions{DryRun: true}, "")
		})
		t.Logf("%d KB file of 300,000 junk lines: heap grew by at most %d MB", len(file)>>10, heap/mb)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "200000 行") {
			t.Fatalf("want Invalid naming the 200000-row limit, got %v", err)
		}
		if len(rep.Errors) != 0 || rep.Created+rep.Updated+rep.Unchanged != 0 {
			t.Fatalf("a refused file reports rows: %+v", rep)
		}
		if heap > 300*mb {
			t.Fatalf("heap grew by %d MB for a refused file", heap/mb)
		}
	})

	t.Run("ErrorsListedUpToTheLimit", func(t *testing.T) {
		n := registry.DefaultImportMaxRows
		file := junkCSV(n)
		var rep *registry.ImportReport
		var err error
		heap := peakHeap(func() {
			rep, err = svc.ImportInScope(ctx, registry.KindBusinesses, "junk.csv", bytes.NewReader(file), registry.ImportOptions{DryRun: true}, "")
		})
		t.Logf("%d junk rows (the most allowed): heap grew by at most %d MB; %d errors listed, %d more counted", n, heap/mb, len(rep.Errors), rep.MoreErrors)
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("want Invalid, got %v", err)
		}
		if len(rep.Errors) != registry.MaxListedErrors || rep.MoreErrors < n {
			t.Fatalf("%d errors listed and %d counted, want %d listed and at least one a row counted", len(rep.Errors), rep.MoreErrors, registry.MaxListedErrors)
		}
		if want := "另有"; !strings.Contains(rep.MoreErrorsNote(), want) {
			t.Fatalf("note %q", rep.MoreErrorsNote())
		}
		if !strings.Contains(errs.MessageOf(err), fmt.Sprintf("有 %d 处错误", rep.ErrorCount())) {
			t.Fatalf("message %q does not count every error (%d)", errs.MessageOf(err), rep.ErrorCount())
		}
		if heap > 300*mb {
			t.Fatalf("heap grew by %d MB for the largest allowed file", heap/mb)
		}
	})

	t.Run("ConfiguredRowLimit", func(t *testing.T) {
		small := registry.NewService(d, registry.Rules{DistrictCode: "320211", ImportMaxRows: 10}, nil)
		_, err := small.Import(ctx, registry.KindBusinesses, "junk.csv", bytes.NewReader(junkCSV(11)), registry.ImportOptions{DryRun: true})
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "10 行") {
			t.Fatalf("11 rows with a limit of 10: %v", err)
		}
		rep, err := small.Import(ctx, registry.KindBusinesses, "junk.csv", bytes.NewReader(junkCSV(10)), registry.ImportOptions{DryRun: true})
		if !errs.Is(err, errs.Invalid) || len(rep.Errors) == 0 || strings.Contains(errs.MessageOf(err), "上限") {
			t.Fatalf("10 rows with a limit of 10 must be checked row by row: %v", err)
		}
	})
}

// zeros1MiB is one mebibyte of zeros as a run of deflate blocks that ends
// on a byte boundary without ending the stream, so copies of it in a row
// decompress to that many mebibytes (each block refers back only to
// zeros), and one empty final block closes the stream.
func zeros1MiB(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, mb))
	w.Flush()
	return b.Bytes()
}

// xlsxWithSheet writes a minimal workbook whose first sheet is the raw
// deflate data given, declaring size bytes unpacked with the given CRC.
func xlsxWithSheet(t *testing.T, sheet []byte, size uint64, crc uint32) []byte {
	t.Helper()
	var out bytes.Buffer
	z := zip.NewWriter(&out)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	}
	for _, p := range parts {
		w, err := z.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(p.body))
	}
	w, err := z.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CompressedSize64: uint64(len(sheet)), UncompressedSize64: size, CRC32: crc})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(sheet)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestImportZipBomb: an XLSX that unpacks to a gibibyte of zeros is
// refused by the sizes it declares, before anything is unpacked; one that
// declares less than it holds is read no further than it declared.
func TestImportZipBomb(t *testing.T) {
	d := dbtest.OpenSQLite(t, registry.Schema)
	svc, _ := newImportService(t, d)
	ctx := context.Background()
	chunk := zeros1MiB(t)
	var sheet bytes.Buffer
	crc := uint32(0)
	zero := make([]byte, mb)
	for range 1024 {
		sheet.Write(chunk)
		crc = crc32.Update(crc, crc32.IEEETable, zero)
	}
	sheet.Write([]byte{0x03, 0x00}) // an empty final block

	t.Run("ErrDeclaredTooLarge", func(t *testing.T) {
		file := xlsxWithSheet(t, sheet.Bytes(), 1<<30, crc)
		var err error
		heap := peakHeap(func() {
			_, err = svc.Import(ctx, registry.KindBusinesses, "bomb.xlsx", bytes.NewReader(file), registry.ImportOptions{DryRun: true})
		})
		t.Logf("%d KB XLSX unpacking to 1 GiB: heap grew by at most %d MB", len(file)>>10, heap/mb)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "解压后超过 256 MB") {
			t.Fatalf("want Invalid naming the 256 MB limit, got %v", err)
		}
		if heap > 64*mb {
			t.Fatalf("heap grew by %d MB refusing a zip bomb", heap/mb)
		}
	})
	t.Run("ErrUnderstatedSize", func(t *testing.T) {
		file := xlsxWithSheet(t, sheet.Bytes(), 1000, crc)
		var err error
		heap := peakHeap(func() {
			_, err = svc.Import(ctx, registry.KindBusinesses, "liar.xlsx", bytes.NewReader(file), registry.ImportOptions{DryRun: true})
		})
		t.Logf("XLSX declaring 1000 bytes and holding 1 GiB: heap grew by at most %d MB (%v)", heap/mb, err)
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("want Invalid, got %v", err)
		}
		if heap > 64*mb {
			t.Fatalf("heap grew by %d MB reading an entry that understates its size", heap/mb)
		}
	})
}

// TestImportWorstCaseXLSX measures the costliest XLSX the limits let
// through, small enough to upload in the console (7 MB): as many junk rows
// as allowed, each a shared string of its own, and the shared-string table
// filled up to its limit. Skipped unless SHIANBAO_BENCH_IMPORT=1 (it takes
// half a minute, most of it excelize indexing the strings); the figures
// are in docs/BENCHMARKS.md.
func TestImportWorstCaseXLSX(t *testing.T) {
	if os.Getenv("SHIANBAO_BENCH_IMPORT") != "1" {
		t.Skip("set SHIANBAO_BENCH_IMPORT=1 to measure the worst XLSX the limits allow")
	}
	d := dbtest.OpenSQLite(t, registry.Schema)
	svc, _ := newImportService(t, d)
	rows, strs := registry.DefaultImportMaxRows, registry.DefaultImportMaxRows*8

	var sheet bytes.Buffer
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
	for i, h := range []string{"主体名称", "统一社会信用代码", "业态", "等级", "镇(街道)"} {
		fmt.Fprintf(&sheet, `<c r="%c1" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+i, h)
	}
	sheet.WriteString(`</row>`)
	for r := 2; r <= rows; r++ {
		fmt.Fprintf(&sheet, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c></row>`, r, r, r)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	var sst bytes.Buffer
	sst.WriteString(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for range strs {
		sst.WriteString(`<si><t>x</t></si>`)
	}
	sst.WriteString(`</sst>`)

	file := workbook(t, sheet.Bytes(), sst.Bytes())
	sheet, sst = bytes.Buffer{}, bytes.Buffer{}

	var rep *registry.ImportReport
	var err error
	start := time.Now()
	heap := peakHeap(func() {
		rep, err = svc.Import(context.Background(), registry.KindBusinesses, "worst.xlsx", bytes.NewReader(file), registry.ImportOptions{DryRun: true})
	})
	t.Logf("%.1f MB XLSX, %d rows, %d shared strings: %v, heap grew by at most %d MB, %d errors (%d listed)",
		float64(len(file))/1e6, rows-1, strs, time.Since(start).Round(100*time.Millisecond), heap/mb, rep.ErrorCount(), len(rep.Errors))
	if !errs.Is(err, errs.Invalid) || len(rep.Errors) != registry.MaxListedErrors {
		t.Fatalf("want the junk rejected with %d errors listed, got %v", registry.MaxListedErrors, err)
	}
	if heap > 300*mb {
		t.Fatalf("heap grew by %d MB", heap/mb)
	}
}

// workbook zips a minimal XLSX around a first sheet and a shared-string table.
func workbook(t *testing.T, sheet, sst []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	z := zip.NewWriter(&out)
	for name, body := range map[string][]byte{
		"[Content_Types].xml":        []byte(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`),
		"_rels/.rels":                []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
		"xl/workbook.xml":            []byte(`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`),
		"xl/_rels/workbook.xml.rels": []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`),
		"xl/worksheets/sheet1.xml":   sheet,
		"xl/sharedStrings.xml":       sst,
	} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestImportTooManySharedStrings: a workbook whose table of texts holds
// far more entries than its rows could use is refused while counting
// them, before excelize indexes them.
func TestImportTooManySharedStrings(t *testing.T) {
	d := dbtest.OpenSQLite(t, registry.Schema)
	svc := registry.NewService(d, registry.Rules{DistrictCode: "320211", ImportMaxRows: 10_000}, nil)
	sheet := []byte(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`)
	build := func(n int) []byte {
		var sst bytes.Buffer
		sst.WriteString(`<?xml version="1.0" encoding="UTF-8"?><x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
		for range n {
			sst.WriteString("<x:si><x:t>x</x:t></x:si>")
		}
		sst.WriteString(`</x:sst>`)
		return workbook(t, sheet, sst.Bytes())
	}
	_, err := svc.Import(context.Background(), registry.KindBusinesses, "many.xlsx", bytes.NewReader(build(80_001)), registry.ImportOptions{DryRun: true})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "文字条目超过 80000 条") {
		t.Fatalf("80,001 shared strings for 10,000 rows: %v", err)
	}
	_, err = svc.Import(context.Background(), registry.KindBusinesses, "many.xlsx", bytes.NewReader(build(80_000)), registry.ImportOptions{DryRun: true})
	if err == nil || strings.Contains(errs.MessageOf(err), "文字条目") {
		t.Fatalf("80,000 shared strings must be read (and the sheet found wanting): %v", err)
	}
}
