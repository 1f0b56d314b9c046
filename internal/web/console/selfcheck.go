package console

import (
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/web"
)

// The record-keeping page: how well the businesses of the user's region
// keep their own daily controls (日管控), by village, over a span of days
// (the last seven by default). Only rates are shown here; the records
// themselves are the businesses' own and stay on their ledgers.

// selfCheckDays is the default span of the rates, ending today.
const selfCheckDays = 7

// SelfCheck serves the record-keeping rates (templates/console/selfcheck.html)
// and their export.
type SelfCheck struct {
	SelfCheck *selfcheck.Service
	*mounted
}

func (c *SelfCheck) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/selfcheck", c.selfCheck)
	m.group.GET("/selfcheck.xlsx", c.selfCheckXLSX)
}

type selfCheckPage struct {
	From, To string
	Rates    *selfcheck.Rates
	Chart    template.HTML
}

// selfCheckSpan reads ?from= and ?to= (YYYY-MM-DD, China), defaulting to
// the last selfCheckDays days up to today.
func (c *SelfCheck) selfCheckSpan(e echo.Context) (from, to time.Time, err error) {
	to = clock.Date(c.clock.Now())
	from = to.AddDate(0, 0, 1-selfCheckDays)
	for _, d := range []struct {
		s   string
		dst *time.Time
	}{{e.QueryParam("from"), &from}, {e.QueryParam("to"), &to}} {
		if d.s == "" {
			continue
		}
		t, perr := time.ParseInLocation("2006-01-02", d.s, clock.China)
		if perr != nil {
			return from, to, errs.E(errs.Invalid, msgBadDate)
		}
		*d.dst = t
	}
	return from, to, nil
}

func (c *SelfCheck) selfCheckRates(e echo.Context) (*selfcheck.Rates, error) {
	from, to, err := c.selfCheckSpan(e)
	if err != nil {
		return nil, err
	}
	return c.SelfCheck.RatesByVillage(e.Request().Context(), web.ScopePath(e), from, to)
}

func (c *SelfCheck) selfCheck(e echo.Context) error {
	r, err := c.selfCheckRates(e)
	if err != nil {
		return err
	}
	bars := make([]bar, len(r.ByVillage))
	for i, v := range r.ByVillage {
		bars[i] = bar{Label: v.Name, Value: v.Keeping, Max: v.Businesses}
	}
	return c.render(e, http.StatusOK, "selfcheck", "自查记录", selfCheckPage{
		From: r.From.Format("2006-01-02"), To: r.To.Format("2006-01-02"), Rates: r,
		Chart: barChart("selfcheck", "有日管控记录的主体（按村、社区）", bars),
	})
}

func (c *SelfCheck) selfCheckXLSX(e echo.Context) error {
	r, err := c.selfCheckRates(e)
	if err != nil {
		return err
	}
	span := r.From.Format("2006-01-02") + "至" + r.To.Format("2006-01-02")
	sh := newSheet(e, exportName("日管控记录率", web.Scope(e).Name, c.clock.Now()), "日管控记录率", []column{{"村(社区)", 18}, {"期间", 24},
		{"正常经营主体", 14}, {"有记录的主体", 14}, {"已记录(主体·天)", 16}, {"记录率", 10}})
	for _, v := range append(r.ByVillage, r.Total) {
		if err := sh.add(v.Name, span, v.Businesses, v.Keeping, v.Recorded, percent(v.Percent/100)); err != nil {
			sh.close()
			return err
		}
	}
	return sh.send()
}
