package h5_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/browsertest"
)

// TestPledgeBrowser signs a business's pledge in headless Chromium at a
// phone's width by drawing on the signature pad with the mouse, then prints
// the signed pledge on A4: exactly one sheet, with the signature on it.
func TestPledgeBrowser(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { handler.ServeHTTP(rw, r) }))
	defer srv.Close()
	e, svc := newPledgePages(t)
	handler = e.handler
	ctx := context.Background()
	var ids []int64
	if err := e.d.Gorm(ctx).Raw(`SELECT b.id FROM businesses b JOIN assignments a ON a.active_business_id = b.id
WHERE b.status = 'operating' AND NOT EXISTS (SELECT 1 FROM pledges p WHERE p.subject_id = b.id AND p.kind = 'business')
ORDER BY b.id LIMIT 2 OFFSET 1`).Scan(&ids).Error; err != nil || len(ids) < 2 {
		t.Fatalf("no unsigned business: %v", err)
	}
	c := e.bind(t, ids[0], "o-pledge-browser")
	link := e.links.Pledge("business", ids[0], registry.ActorOf("contact", c.ID), now.Add(linkTTL))
	link = srv.URL + strings.TrimPrefix(link, "https://sab.example")

	b.Do(60*time.Second,
		chromedp.EmulateViewport(browsertest.PhoneWidth, browsertest.PhoneHeight, chromedp.EmulateScale(2)),
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#pad`)),
		chromedp.ScrollIntoView(chromedp.CSS(`#pad`)),
	)
	type rect struct{ X, Y, W, H float64 }
	r := browsertest.Eval(b, 10*time.Second, chromedp.Evaluate[rect](
		`(() => { const r = document.getElementById('pad').getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`))
	if r.W < 300 || r.W > float64(browsertest.PhoneWidth) || r.H < 80 {
		t.Fatalf("the signature pad is %.0f×%.0f px at a phone's width", r.W, r.H)
	}
	// A handwritten stroke: press, a zigzag across the pad, release.
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, r.X+20, r.Y+r.H/2, chromedp.ButtonLeft)}
	for i := 1; i <= 40; i++ {
		x := r.X + 20 + float64(i)*(r.W-40)/40
		y := r.Y + r.H/2 + math.Sin(float64(i)/2)*r.H/3
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x, y, chromedp.ButtonLeft))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, r.X+r.W-20, r.Y+r.H/2, chromedp.ButtonLeft),
		chromedp.Click(chromedp.CSS(`#agree`)),
		chromedp.Click(chromedp.CSS(`#sign-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	b.Do(60*time.Second, steps...)
	browsertest.Save(t, "pledge-signed-phone.png", browsertest.Eval(b, 10*time.Second, chromedp.FullScreenshot(100)))
	text := browsertest.Eval(b, 10*time.Second, chromedp.Text(chromedp.CSS(`body`)))
	if !strings.Contains(text, "已签署") || !strings.Contains(text, "手写签名") {
		t.Fatalf("after signing the page reads:\n%s", text)
	}
	h, err := svc.History(ctx, pledge.KindBusiness, ids[0])
	if err != nil || len(h) != 1 || h[0].Method != pledge.MethodDrawn || len(h[0].SignatureSHA256) != 64 {
		t.Fatalf("stored pledge %+v, %v", h, err)
	}

	printURL := browsertest.Eval(b, 10*time.Second, chromedp.Evaluate[string](`document.querySelector('#signed a[href*="/print"]').href`))
	p := b.Phone(printURL, "h1")
	if p.ScrollWidth > p.ViewportWidth {
		t.Errorf("the print view is wider than the phone: %d > %d", p.ScrollWidth, p.ViewportWidth)
	}
	pdf := b.PDF(printURL)
	browsertest.Save(t, "pledge-a4.pdf", pdf)
	if n := browsertest.PDFPages(pdf); n != 1 {
		t.Errorf("the signed pledge prints on %d pages, want 1", n)
	}
	w, ht, ok := browsertest.PDFPageSize(pdf)
	if !ok || math.Abs(w-595.3) > 2 || math.Abs(ht-841.9) > 2 {
		t.Errorf("page size %.1f×%.1f pt, want A4 (595×842)", w, ht)
	}

	// Where drawing does not work for someone, the typed full name stands in.
	c2 := e.bind(t, ids[1], "o-pledge-browser-typed")
	link2 := srv.URL + strings.TrimPrefix(e.links.Pledge("business", ids[1], registry.ActorOf("contact", c2.ID), now.Add(linkTTL)), "https://sab.example")
	b.Do(60*time.Second,
		chromedp.Navigate(link2),
		chromedp.WaitVisible(chromedp.CSS(`#switch`)),
		chromedp.Click(chromedp.CSS(`#switch`)),
		chromedp.WaitVisible(chromedp.CSS(`#typed`)),
		chromedp.SetValue(chromedp.CSS(`#name`), "吴十"),
		chromedp.SendKeys(chromedp.CSS(`#typed`), "吴十"),
		chromedp.Click(chromedp.CSS(`#agree`)),
		chromedp.Click(chromedp.CSS(`#sign-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	h2, err := svc.History(ctx, pledge.KindBusiness, ids[1])
	if err != nil || len(h2) != 1 || h2[0].Method != pledge.MethodTyped || h2[0].SignerName != "吴十" {
		t.Fatalf("typed pledge %+v, %v", h2, err)
	}

	// The cadre packing the most businesses names them all and still
	// prints on one sheet.
	var most []int64
	if err := e.d.Gorm(ctx).Raw(`SELECT cadre_id FROM assignments WHERE active_business_id IS NOT NULL
GROUP BY cadre_id ORDER BY COUNT(*) DESC, cadre_id LIMIT 1`).Scan(&most).Error; err != nil || len(most) == 0 {
		t.Fatalf("no cadre: %v", err)
	}
	cr, err := svc.Requirement(ctx, pledge.KindCadre, most[0])
	if err != nil {
		t.Fatal(err)
	}
	if cr.Signed == nil {
		if _, err := svc.Sign(ctx, pledge.KindCadre, most[0], pledge.Signature{Signer: registry.ActorOf("cadre", most[0]), Name: cr.Name, PNG: drawnSignature(t)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("the cadre's text: %d characters", len([]rune(strings.Join(cr.Content.Paragraphs, ""))))
	cadreLink := e.links.Pledge("cadre", most[0], registry.ActorOf("cadre", most[0]), now.Add(linkTTL))
	u, _ := url.Parse(cadreLink)
	cadrePDF := b.PDF(srv.URL + u.Path + "/print?" + u.RawQuery)
	browsertest.Save(t, "pledge-cadre-a4.pdf", cadrePDF)
	if n := browsertest.PDFPages(cadrePDF); n != 1 {
		t.Errorf("the pledge of a cadre packing the most businesses prints on %d pages, want 1", n)
	}

	// A cadre packing some 150 or 250 businesses (a town-level cadre of a
	// big street): the sheet's type shrinks and it still fits one sheet.
	for _, n := range []int{150, 250} {
		content := cr.Content
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("滨湖第%d小吃店", i+1)
		}
		content.Paragraphs = append([]string{"本人承担以下" + strconv.Itoa(n) + "家主体的包保督导责任：" + strings.Join(names, "、") + "。"}, content.Paragraphs[1:]...)
		if err := e.d.Gorm(ctx).Model(&pledge.Pledge{}).Where("kind = ? AND subject_id = ?", pledge.KindCadre, most[0]).Update("content", content).Error; err != nil {
			t.Fatal(err)
		}
		if text := b.Text(srv.URL + u.Path + "/print?" + u.RawQuery); !strings.Contains(text, fmt.Sprintf("滨湖第%d小吃店", n)) {
			t.Fatalf("the sheet does not list the %d businesses", n)
		}
		pdf := b.PDF(srv.URL + u.Path + "/print?" + u.RawQuery)
		browsertest.Save(t, fmt.Sprintf("pledge-cadre-%d-a4.pdf", n), pdf)
		if got := browsertest.PDFPages(pdf); got != 1 {
			t.Errorf("a pledge naming %d businesses prints on %d pages, want 1", n, got)
		}
	}
}
