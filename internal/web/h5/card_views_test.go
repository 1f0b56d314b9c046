package h5_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPublicCardViews: a hundred openings of a shop's public card by one
// viewer on one day are one counted row, not a hundred; two addresses of
// one IPv6 network are one viewer.
func TestPublicCardViews(t *testing.T) {
	e := newH5(t, base, nil)
	f := e.letterFixture(t)
	e.cardFixture(t, f)
	open := func(remote string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, base+"/c/"+goldenCode, nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("public card from %s: status %d", remote, rec.Code)
		}
	}
	for range 100 {
		open("203.0.113.9:40000")
	}
	open("[2001:db8:1:2::10]:40000")
	open("[2001:db8:1:2::11]:40001")
	views, err := e.cards.PublicViews(context.Background(), f.business.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 2 {
		t.Fatalf("%d rows for 102 views by two viewers: %+v", len(views), views)
	}
	got := map[int]bool{views[0].Views: true, views[1].Views: true}
	if !got[100] || !got[2] {
		t.Fatalf("views %d and %d, want 100 and 2", views[0].Views, views[1].Views)
	}
}
