package web

import (
	"html/template"
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/templates"
)

// H5 serves the pages opened from WeChat messages about supervision: a
// visit's receipt, a cadre's tasks, an office's overdue list and a
// rectification. Like the letter and card pages they open from a signed,
// expiring link for one reader and, with WeChat authorisation, only for a
// visitor bound to someone the page is for.
type H5 struct {
	access      *H5Access
	registry    *registry.Service
	supervision *supervision.Service
	query       *query.Reader
	pages       *template.Template
}

// MountH5 adds the H5 pages.
func (s *Server) MountH5(access *H5Access, reg *registry.Service, sup *supervision.Service, q *query.Reader) error {
	pages, err := template.New("h5").Funcs(pageFuncs).ParseFS(templates.FS, "h5/*.html")
	if err != nil {
		return err
	}
	access.mount(s)
	h := &H5{access: access, registry: reg, supervision: sup, query: q, pages: pages}
	s.echo.GET("/h5/cadres/:id/tasks", h.cadreTasks)
	s.echo.GET("/h5/offices/:id/overdue", h.officeOverdue)
	s.echo.GET("/h5/rectifications/:id", h.rectification)
	return nil
}

// pageFuncs format values the same way on every page, in China time.
var pageFuncs = template.FuncMap{
	"abs": func(n int) int {
		if n < 0 {
			return -n
		}
		return n
	},
	"rectStatus": supervision.StatusLabel,
	"rectEvent": func(kind string) string {
		if l, ok := rectEventLabels[kind]; ok {
			return l
		}
		return kind
	},
	"date":     func(t time.Time) string { return t.In(clock.China).Format("2006年1月2日") },
	"datetime": func(t time.Time) string { return t.In(clock.China).Format("2006年1月2日 15:04") },
	"meters": func(m *float64) string {
		if m == nil {
			return ""
		}
		if *m >= 1000 {
			return strconv.FormatFloat(*m/1000, 'f', 1, 64) + "公里"
		}
		return strconv.FormatFloat(*m, 'f', 0, 64) + "米"
	},
}

var rectEventLabels = map[string]string{"rectified": "复查合格", "extended": "延期", "feedback": "主体反馈", "withdrawn": "撤销"}
