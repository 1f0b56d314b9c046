package h5_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestH5VisitReceipt: the receipt shows everything the record holds, in
// Chinese: the photos (stored ones served behind the receipt's own link,
// pending and failed ones said to be so), the status change seen, the
// on-site contact, where it was recorded — and no stored code.
func TestH5VisitReceipt(t *testing.T) {
	e := newH5(t, "http://h5.test", nil)
	f := e.supervisionFixture(t)
	ctx := context.Background()
	data := []byte("receipt-photo-bytes")
	sum := sha256.Sum256(data)
	obj, err := e.store.Put(ctx, hex.EncodeToString(sum[:])+".jpg", data, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := e.d.Gorm(ctx).Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`DELETE FROM photos WHERE visit_id = ?`, f.visit)
	for i, st := range []string{"stored", "pending", "failed"} {
		exec(`INSERT INTO photos (visit_id, media_id, received_at, status, path, content_type, sha256, size, next_attempt_at, created_at)
VALUES (?, ?, ?, ?, ?, 'image/jpeg', ?, ?, ?, ?)`, f.visit, "receipt-"+st, now.Add(-time.Duration(3-i)*time.Minute), st, map[bool]string{true: obj.Key}[st == "stored"],
			obj.SHA256, obj.Size, now, now)
	}
	exec(`UPDATE visits SET status_seen = 'suspended', status_note = '店面装修', contact_name = '王店长', remarks = '整体良好', source = 'chat' WHERE id = ?`, f.visit)

	rec := e.get(t, e.links.VisitReceipt(f.visit, registry.ActorOf("cadre", f.cadre), now.Add(linkTTL)))
	page := body(t, rec)
	if rec.Code != http.StatusOK {
		t.Fatalf("receipt = %d: %.300s", rec.Code, page)
	}
	text := webtest.PageText(page)
	for _, want := range []string{"停产停业", "店面装修", "王店长", "整体良好", "微信对话", "现场照片（3张）", "照片2正在保存", "照片3未能保存", "经营状态"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q: %s", want, text)
		}
	}
	if m := webtest.InternalCode.FindString(text); m != "" || strings.Contains(text, "chat") {
		t.Errorf("receipt shows a code %q: %s", m, text)
	}
	src := regexp.MustCompile(`<img src="([^"]+)" alt="照片1"`).FindStringSubmatch(page)
	if src == nil {
		t.Fatalf("no photo shown: %s", page)
	}
	link := strings.ReplaceAll(src[1], "&amp;", "&")
	if rec := e.get(t, link); rec.Code != http.StatusOK || rec.Body.String() != string(data) {
		t.Errorf("photo = %d %q", rec.Code, rec.Body.String())
	}
	other := regexp.MustCompile(`/photos/\d+`).ReplaceAllString(link, "/photos/999999")
	if rec := e.get(t, other); rec.Code != http.StatusNotFound {
		t.Errorf("a photo of no visit = %d", rec.Code)
	}
	foreign := e.links.VisitReceipt(f.visit, registry.ActorOf("cadre", f.otherCadre), now.Add(linkTTL))
	if rec := e.get(t, strings.Replace(foreign, "?", regexp.MustCompile(`/photos/\d+`).FindString(link)+"?", 1)); rec.Code != http.StatusForbidden {
		t.Errorf("another town's cadre opens the photo: %d", rec.Code)
	}
}
