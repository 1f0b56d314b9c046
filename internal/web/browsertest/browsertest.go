// Package browsertest drives a headless Chromium (Debian's chromium
// package) from tests, to check what people actually see: a page at a
// phone's width with nothing cut off and the Chinese text drawn in a CJK
// font, and the same page printed to A4 with the expected number of
// sheets. Tests skip when Chromium is missing, unless
// SHIANBAO_TEST_REQUIRE_SERVICES=1 (CI installs chromium and
// fonts-noto-cjk), when they fail instead.
package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"
)

// Environment variables the helper reads.
const (
	// EnvChromium names the browser binary, when not a standard one.
	EnvChromium = "SHIANBAO_CHROMIUM"
	// EnvShots names a directory to keep screenshots and PDFs in; by
	// default they go to the test's temporary directory.
	EnvShots = "SHIANBAO_TEST_SHOTS"
	// EnvRequireServices makes a missing browser a failure.
	EnvRequireServices = "SHIANBAO_TEST_REQUIRE_SERVICES"
)

// Phone is the viewport the phone checks use: a common phone in CSS pixels.
const (
	PhoneWidth  = 390
	PhoneHeight = 844
)

// Path finds Chromium: $SHIANBAO_CHROMIUM, then the usual names on PATH
// and in /usr/bin. "" when there is none.
func Path() string {
	if p := os.Getenv(EnvChromium); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is a headless Chromium for one test, with its own profile.
type Browser struct {
	t   testing.TB
	ctx context.Context
}

// New starts Chromium for the test and stops it in Cleanup. Without a
// browser the test is skipped, or failed when services are required.
func New(t testing.TB) *Browser {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv(EnvRequireServices) == "1" {
			t.Fatalf("Chromium not found (install Debian's chromium and fonts-noto-cjk, or set %s) but %s=1", EnvChromium, EnvRequireServices)
		}
		t.Skipf("Chromium not found (install chromium and fonts-noto-cjk, or set %s)", EnvChromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("font-render-hinting", "none"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return &Browser{t: t, ctx: ctx}
}

// Page is what a page looked like in the browser.
type Page struct {
	// Text is the page's rendered text (document.body.innerText).
	Text string
	// ScrollWidth is the document's width; ViewportWidth the window's.
	// A page wider than the window has something cut off on a phone.
	ScrollWidth, ViewportWidth int
	// Overflowing lists elements whose right edge lies past the window.
	Overflowing []string
	// Fonts are the platform fonts that drew the text of Selector's
	// first match: the proof the Chinese was not drawn as empty boxes.
	Fonts []string
	// PNG is a full-page screenshot.
	PNG []byte
}

// layout reads the sizes and text of the loaded page.
const layout = `(() => {
  const vw = window.innerWidth;
  const over = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1) {
      over.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : ''));
      if (over.length >= 10) break;
    }
  }
  return {text: document.body.innerText, scroll: document.documentElement.scrollWidth, viewport: vw, over: over};
})()`

type layoutResult struct {
	Text     string   `json:"text"`
	Scroll   int      `json:"scroll"`
	Viewport int      `json:"viewport"`
	Over     []string `json:"over"`
}

// Phone opens url at a phone's size (390×844 CSS pixels, 2× pixels, as
// a mobile device), waits for the page and its fonts, and returns what it
// looks like. fontsOf is a CSS selector whose text's fonts are reported.
func (b *Browser) Phone(url, fontsOf string) Page {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(url),
		chromedp.Query(chromedp.CSS("body")),
	)
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		b.t.Fatalf("wait for fonts: %v", err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[layoutResult](layout))
	if err != nil {
		b.t.Fatalf("measure %s: %v", url, err)
	}
	p := Page{Text: res.Text, ScrollWidth: res.Scroll, ViewportWidth: res.Viewport, Overflowing: res.Over}
	if fontsOf != "" {
		p.Fonts = b.fonts(ctx, fontsOf)
	}
	if p.PNG, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		b.t.Fatalf("screenshot %s: %v", url, err)
	}
	return p
}

// fonts lists the platform fonts that drew the text of selector's first match.
func (b *Browser) fonts(ctx context.Context, selector string) []string {
	b.t.Helper()
	if _, err := chromedp.Call(ctx, dom.Enable, dom.EnableParams{}); err != nil {
		b.t.Fatalf("enable DOM: %v", err)
	}
	if _, err := chromedp.Call(ctx, css.Enable, struct{}{}); err != nil {
		b.t.Fatalf("enable CSS: %v", err)
	}
	doc, err := chromedp.Call(ctx, dom.GetDocument, dom.GetDocumentParams{})
	if err != nil {
		b.t.Fatalf("get document: %v", err)
	}
	node, err := chromedp.Call(ctx, dom.QuerySelector, dom.QuerySelectorParams{NodeID: doc.Root.NodeID, Selector: selector})
	if err != nil || node.NodeID == 0 {
		b.t.Fatalf("find %q: %v", selector, err)
	}
	res, err := chromedp.Call(ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: node.NodeID})
	if err != nil {
		b.t.Fatalf("fonts of %q: %v", selector, err)
	}
	var out []string
	for _, f := range res.Fonts {
		out = append(out, f.FamilyName)
	}
	return out
}

// PDF opens url and prints it on A4 as the browser's print dialog would,
// honouring the page's @page rules, with backgrounds.
func (b *Browser) PDF(url string) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 120*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1024, 768),
		chromedp.Navigate(url),
		chromedp.Query(chromedp.CSS("body")),
	)
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		b.t.Fatalf("wait for fonts: %v", err)
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(
		chromedp.PDFPaper(chromedp.PaperA4),
		chromedp.PDFPreferCSSPageSize(),
		chromedp.PDFPrintBackground(),
		chromedp.PDFStream(),
	))
	if err != nil {
		b.t.Fatalf("print %s: %v", url, err)
	}
	return pdf
}

// Text is the rendered text of the page at url (document.body.innerText).
func (b *Browser) Text(url string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.Query(chromedp.CSS("body"))); err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		b.t.Fatalf("text of %s: %v", url, err)
	}
	return s
}

// pageObject matches a page object's type, not the page tree's (/Pages).
var pageObject = regexp.MustCompile(`/Type\s*/Page\b[^s]`)

// PDFPages counts the pages of a PDF as Chromium writes it (page objects
// in plain dictionaries).
func PDFPages(pdf []byte) int {
	return len(pageObject.FindAllIndex(pdf, -1))
}

// PDFPageSize returns the first page's MediaBox in points (A4 is 595×842).
func PDFPageSize(pdf []byte) (w, h float64, ok bool) {
	m := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]`).FindSubmatch(pdf)
	if m == nil {
		return 0, 0, false
	}
	var err1, err2 error
	w, err1 = parseFloat(m[1])
	h, err2 = parseFloat(m[2])
	return w, h, err1 == nil && err2 == nil
}

// IsCJK reports whether a font family is one that draws Chinese.
func IsCJK(family string) bool {
	f := strings.ToLower(family)
	for _, s := range []string{"cjk", "han sans", "han serif", "pingfang", "yahei", "simsun", "songti", "heiti", "wenquanyi", "droid sans fallback"} {
		if strings.Contains(f, s) {
			return true
		}
	}
	return false
}

// Save keeps a screenshot or PDF: under $SHIANBAO_TEST_SHOTS when set,
// else in the test's temporary directory. It logs and returns the path.
func Save(t testing.TB, name string, data []byte) string {
	t.Helper()
	dir := os.Getenv(EnvShots)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s (%d bytes)", path, len(data))
	return path
}

// IsPNG reports whether data starts like a PNG image.
func IsPNG(data []byte) bool { return bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) }

func parseFloat(b []byte) (float64, error) { return strconv.ParseFloat(string(b), 64) }
