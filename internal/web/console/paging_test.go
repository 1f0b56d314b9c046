package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestListPagingOverflow: page numbers and offsets far past the end (or
// below the start) give an empty page or a clear 400, never a 500.
func TestListPagingOverflow(t *testing.T) {
	a := webtest.Boot(t)
	c := a.SignIn(t, a.Hudai)
	for _, page := range []string{"9223372036854775807", "4611686018427387904", "-9223372036854775808", "-1", "0", "999999", "x"} {
		for _, list := range []string{"/console/overdue", "/console/businesses", "/console/letters"} {
			if c.Get(list + "?page=" + page); c.Status != http.StatusOK {
				t.Errorf("%s?page=%s = %d: %.200s", list, page, c.Status, c.Text())
			}
		}
	}
	c.Get("/console/overdue?page=9223372036854775807")
	if !strings.Contains(c.Text(), "本页没有记录") || strings.Contains(c.Text(), "第 -") {
		t.Errorf("overdue page past the end says: %.400s", c.Text())
	}
	for _, q := range []struct {
		query string
		want  int
	}{
		{"offset=9223372036854775807", http.StatusOK},
		{"offset=9223372036854775807&limit=500", http.StatusOK},
		{"offset=92233720368547758070", http.StatusBadRequest},
		{"offset=-1", http.StatusBadRequest},
		{"limit=9223372036854775807", http.StatusBadRequest},
	} {
		for _, list := range []string{"/api/v1/overdue", "/api/v1/businesses", "/api/v1/visits", "/api/v1/rectifications", "/api/v1/cadres"} {
			if c.API(http.MethodGet, list+"?"+q.query); c.Status != q.want {
				t.Errorf("%s?%s = %d, want %d: %.200s", list, q.query, c.Status, q.want, c.Body)
			} else if q.want == http.StatusOK && !strings.Contains(c.Body, `"items":[]`) {
				t.Errorf("%s?%s is not an empty page: %.200s", list, q.query, c.Body)
			}
		}
	}
}
