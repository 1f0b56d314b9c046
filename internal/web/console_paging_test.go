package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestListPagingOverflow: page numbers and offsets far past the end (or
// below the start) give an empty page or a clear 400, never a 500.
func TestListPagingOverflow(t *testing.T) {
	a := bootConsole(t)
	c := a.signIn(t, a.hudai)
	for _, page := range []string{"9223372036854775807", "4611686018427387904", "-9223372036854775808", "-1", "0", "999999", "x"} {
		for _, list := range []string{"/console/overdue", "/console/businesses", "/console/letters"} {
			if c.get(list + "?page=" + page); c.status != http.StatusOK {
				t.Errorf("%s?page=%s = %d: %.200s", list, page, c.status, c.text())
			}
		}
	}
	c.get("/console/overdue?page=9223372036854775807")
	if !strings.Contains(c.text(), "本页没有记录") || strings.Contains(c.text(), "第 -") {
		t.Errorf("overdue page past the end says: %.400s", c.text())
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
			if c.api(http.MethodGet, list+"?"+q.query); c.status != q.want {
				t.Errorf("%s?%s = %d, want %d: %.200s", list, q.query, c.status, q.want, c.body)
			} else if q.want == http.StatusOK && !strings.Contains(c.body, `"items":[]`) {
				t.Errorf("%s?%s is not an empty page: %.200s", list, q.query, c.body)
			}
		}
	}
}
