package web

import (
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/templates"
)

// H5 serves the pages opened from WeChat messages.
type H5 struct {
	links       Links
	registry    *registry.Service
	supervision *supervision.Service
	pages       *template.Template
}

// MountH5 adds the H5 pages.
func (s *Server) MountH5(links Links, reg *registry.Service, sup *supervision.Service) error {
	pages, err := template.New("h5").Funcs(pageFuncs).ParseFS(templates.FS, "h5/*.html")
	if err != nil {
		return err
	}
	h := &H5{links: links, registry: reg, supervision: sup, pages: pages}
	s.echo.GET("/h5/visits/:id", h.visit)
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

type visitPage struct {
	*supervision.VisitDetail
}

func (h *H5) visit(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || !h.links.verify("visit:"+c.Param("id"), c.QueryParam("s")) {
		return errs.E(errs.Forbidden, "链接无效或已失效，请从微信消息中重新打开。")
	}
	v, err := h.supervision.Visit(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set("Cache-Control", "private, no-store")
	c.Response().WriteHeader(http.StatusOK)
	return h.pages.ExecuteTemplate(c.Response(), "visit", visitPage{VisitDetail: v})
}
