package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Dashboard serves the home page (templates/console/dashboard.html): this
// cycle's figures for the user's scope, with charts.
type Dashboard struct {
	Lists       *listing.Lists
	Registry    *registry.Service
	Supervision *supervision.Service
	Query       *query.Reader
	KV          kv.Store
	// Letters and Notify may be nil: their figures are then left out.
	Letters *letter.Service
	Notify  *notify.Service
	*mounted
}

func (c *Dashboard) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/", c.dashboard)
}

// dashboardPage is the home page: this cycle's figures for the user's scope.
type dashboardPage struct {
	Cycle string
	Total query.CoverageRow
	// Towns breaks the figures down by town, or by city for a province
	// (ByCity set).
	Towns    []query.CoverageRow
	ByCity   bool
	Villages []query.CoverageRow
	Cadres   []query.CoverageRow
	// VillagesCut and CadresCut count the rows left out of the short lists.
	VillagesCut, CadresCut int
	Overdue                int64
	Rect                   query.RectificationFigures
	// Letters is nil when letters are not available.
	Letters         *int64
	Unreachable     int64
	UnreachableList []query.Notification
	History         []query.CycleCoverage
	// AsOf is when cached figures were worked out (nil when live).
	AsOf *time.Time `json:"-"`
	// Pending says the figures are being worked out in the background and
	// the page has none yet.
	Pending      bool          `json:"-"`
	TownChart    template.HTML `json:"-"`
	VillageChart template.HTML `json:"-"`
	CadreChart   template.HTML `json:"-"`
	HistoryChart template.HTML `json:"-"`
}

// dashboardRows is how many villages and cadres the home page lists
// before pointing to the full table.
const dashboardRows = 15

// Dashboard figures computes the home page's figures for a scope. The
// same function feeds the page and the tests that compare it with the
// database.
func (c *Dashboard) dashboardFigures(ctx context.Context, scope account.Scope) (*dashboardPage, error) {
	p, err := c.Lists.Progress(ctx, scope)
	if err != nil {
		return nil, err
	}
	d := &dashboardPage{Cycle: p.Cycle, Total: p.Total}
	tree, err := c.Registry.RegionTree(ctx)
	if err != nil {
		return nil, err
	}
	level := listing.AreaLevel(tree, scope.Path)
	d.Towns, d.ByCity = listing.ByLevel(tree, p.ByVillage, level), level == registry.LevelCity
	d.Villages = leastCovered(p.ByVillage, dashboardRows, &d.VillagesCut)
	d.Cadres = leastCovered(p.ByCadre, dashboardRows, &d.CadresCut)
	if d.Overdue, err = c.Query.OverdueCount(ctx, scope.Path); err != nil {
		return nil, err
	}
	if d.Rect, err = c.Query.CountRectifications(ctx, scope.Path); err != nil {
		return nil, err
	}
	if c.Letters != nil {
		n, err := c.Query.CountUnacknowledgedLetters(ctx, scope.Path)
		if err != nil {
			return nil, err
		}
		d.Letters = &n
	}
	if c.Notify != nil {
		d.UnreachableList, d.Unreachable, err = c.Query.Notifications(ctx, query.NotificationFilter{Statuses: []string{string(notify.StatusUnreachable)}, Limit: 5}, scope.Path)
		if err != nil {
			return nil, err
		}
	}
	if d.History, err = c.Query.CoverageHistory(ctx, scope.Path, 4); err != nil {
		return nil, err
	}
	return d, nil
}

// drawCharts renders the page's charts from its figures.
func (d *dashboardPage) drawCharts() {
	title := msgChartTown
	if d.ByCity {
		title = msgChartCity
	}
	d.TownChart = barChart("town", title, coverageBars(d.Towns))
	d.VillageChart = barChart("village", msgChartVillage, coverageBars(d.Villages))
	d.CadreChart = barChart("cadre", msgChartCadre, coverageBars(d.Cadres))
	var hist []bar
	for _, h := range d.History {
		hist = append(hist, bar{Label: h.Key, Value: h.Covered, Max: h.Due})
	}
	d.HistoryChart = barChart("history", msgChartHistory, hist)
}

func (c *Dashboard) dashboard(e echo.Context) error {
	d, err := c.dashboardFor(e.Request().Context(), web.Scope(e))
	if err != nil {
		return err
	}
	d.drawCharts()
	return c.render(e, http.StatusOK, "dashboard", "首页", d)
}

// A town's figures take tens of milliseconds and are always live. A
// city's take seconds (coverage over 100,000 businesses and a million
// visits, four cycles back): those are kept in kv, shared by every
// instance, served for up to dashboardKeep and refreshed in the background
// — by one instance at a time — once older than dashboardFresh. The page
// then says when they were worked out.
const (
	dashboardSlow  = DashboardSlow
	dashboardFresh = time.Minute
	dashboardKeep  = time.Hour
)

type cachedDashboard struct {
	At   time.Time      `json:"at"`
	Page *dashboardPage `json:"page"`
}

func dashboardKey(scope account.Scope) string {
	if scope.Path == "" {
		return "console:dashboard:all"
	}
	return "console:dashboard:" + scope.Path
}

// dashboardFor returns the scope's figures: cached when they are slow to
// work out, else live.
func (c *Dashboard) dashboardFor(ctx context.Context, scope account.Scope) (*dashboardPage, error) {
	if raw, err := c.KV.Get(ctx, dashboardKey(scope)); err == nil {
		var cd cachedDashboard
		if json.Unmarshal([]byte(raw), &cd) == nil && cd.Page != nil {
			if c.clock.Now().Sub(cd.At) > dashboardFresh {
				c.refreshDashboard(ctx, scope)
			}
			cd.Page.AsOf = &cd.At
			return cd.Page, nil
		}
	}
	if scope.Path == "" {
		// A province's figures take minutes: past the write timeout of a
		// request. Until the background work has kept them (it starts with
		// the instance), the page says they are coming.
		tree, err := c.Registry.RegionTree(ctx)
		if err != nil {
			return nil, err
		}
		if len(tree.All) >= largeTree {
			c.refreshDashboard(ctx, scope)
			return &dashboardPage{Pending: true}, nil
		}
	}
	at, start := c.clock.Now(), time.Now()
	d, err := c.dashboardFigures(ctx, scope)
	if err != nil {
		return nil, err
	}
	if time.Since(start) >= dashboardSlow {
		c.keepDashboard(ctx, scope, d, at)
	}
	return d, nil
}

// largeTree is how many regions make a register whose whole figures are
// never worked out during a request: a province's (35,000 regions at a
// million businesses); a city's 2,000 take seconds and still are.
const largeTree = 5000

func (c *Dashboard) keepDashboard(ctx context.Context, scope account.Scope, d *dashboardPage, at time.Time) {
	raw, err := json.Marshal(cachedDashboard{At: at, Page: d})
	if err == nil {
		err = c.KV.Set(ctx, dashboardKey(scope), string(raw), dashboardKeep)
	}
	if err != nil {
		c.log.Warn("keep dashboard figures", "err", err.Error())
	}
}

// refreshDashboard works the figures out again in the background, unless
// another request (on any instance) is already doing so.
func (c *Dashboard) refreshDashboard(ctx context.Context, scope account.Scope) {
	ctx = context.WithoutCancel(ctx)
	lock, err := kv.TryLock(ctx, c.KV, dashboardKey(scope)+":refresh", keepLease)
	if err != nil {
		return
	}
	go func() {
		defer lock.Release(ctx)
		rctx, cancel := context.WithTimeout(ctx, keepLease)
		defer cancel()
		at := c.clock.Now()
		d, err := c.dashboardFigures(rctx, scope)
		if err != nil {
			c.log.Warn("refresh dashboard figures", "err", err.Error())
			return
		}
		c.keepDashboard(rctx, scope, d, at)
	}()
}

// KeepFigures works out the whole register's figures (the province's or
// city's administrator's home page) ahead of any request and keeps them in
// kv, so that page never waits for a computation over the whole register
// (only figures slow to work out are kept, as on a request).
// Every instance calls it on a timer; the kv lock lets one at a time do the
// work, and figures younger than fresh are left as they are. The page
// shows when they were worked out.
func (c *Dashboard) KeepFigures(ctx context.Context, fresh, slow time.Duration) error {
	scope := account.Scope{}
	key := dashboardKey(scope)
	if raw, err := c.KV.Get(ctx, key); err == nil {
		var cd cachedDashboard
		if json.Unmarshal([]byte(raw), &cd) == nil && cd.Page != nil && c.clock.Now().Sub(cd.At) < fresh {
			return nil
		}
	}
	// A province's figures take tens of seconds on a busy database: the
	// lease outlasts them so a second instance does not start the same work.
	lock, err := kv.TryLock(ctx, c.KV, key+":refresh", keepLease)
	if errors.Is(err, kv.ErrLocked) {
		return nil
	}
	if err != nil {
		return err
	}
	defer lock.Release(context.WithoutCancel(ctx))
	at, start := c.clock.Now(), time.Now()
	d, err := c.dashboardFigures(ctx, scope)
	if err != nil {
		return fmt.Errorf("dashboard figures: %w", err)
	}
	// Figures quicker to work out than slow (DashboardSlow in service)
	// stay live on the page, as dashboardFor does: a district's register
	// never sees cached ones.
	if time.Since(start) >= slow {
		c.keepDashboard(ctx, scope, d, at)
	}
	return nil
}

// DashboardSlow is how long a scope's figures may take to stay live on
// the page; slower ones are kept in kv.
const DashboardSlow = 300 * time.Millisecond

// keepLease bounds one computation of the whole register's figures.
const keepLease = 10 * time.Minute

// leastCovered keeps the n least covered rows (all when there are few),
// counting those left out in cut.
func leastCovered(rows []query.CoverageRow, n int, cut *int) []query.CoverageRow {
	if len(rows) <= n {
		return rows
	}
	sorted := append([]query.CoverageRow(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Percent != sorted[j].Percent {
			return sorted[i].Percent < sorted[j].Percent
		}
		return sorted[i].ID < sorted[j].ID
	})
	*cut = len(rows) - n
	return sorted[:n]
}

// bar is one bar of a chart: Value of Max.
type bar struct {
	Label      string
	Value, Max int
}

func coverageBars(rows []query.CoverageRow) []bar {
	out := make([]bar, len(rows))
	for i, r := range rows {
		out[i] = bar{Label: r.Name, Value: r.Covered, Max: r.Due}
	}
	return out
}

// Chart geometry, in SVG user units (CSS pixels at phone width).
const (
	chartWidth  = 360
	chartLabelW = 96
	chartBarW   = 150
	chartRowH   = 24
	chartFont   = 12
)

// barChart draws horizontal bars as inline SVG: for each row a grey track
// for what is due, a dark bar for what is covered, and the numbers beside
// it ("12/30 40%"), so the chart reads without colour and prints as it
// shows. The chart and every bar carry titles for screen readers. All
// text is escaped here; the result is safe HTML.
func barChart(id, title string, bars []bar) template.HTML {
	if len(bars) == 0 {
		return ""
	}
	h := len(bars)*chartRowH + 8
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-labelledby="chart-%s-t chart-%s-d" viewBox="0 0 %d %d" width="%d" height="%d" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">`,
		id, id, chartWidth, h, chartWidth, h)
	var desc []string
	for _, r := range bars {
		desc = append(desc, fmt.Sprintf("%s %s", r.Label, barText(r)))
	}
	fmt.Fprintf(&b, `<title id="chart-%s-t">%s</title><desc id="chart-%s-d">%s</desc>`, id, esc(title), id, esc(strings.Join(desc, "；")))
	for i, r := range bars {
		y := 4 + i*chartRowH
		w := 0.0
		if r.Max > 0 {
			w = float64(chartBarW) * float64(r.Value) / float64(r.Max)
		}
		fmt.Fprintf(&b, `<g><title>%s：%s</title>`, esc(r.Label), esc(barText(r)))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" text-anchor="end" fill="#1f2328">%s</text>`,
			chartLabelW-6, y+chartRowH/2+4, chartFont, esc(shorten(r.Label, 7)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#eaeef2" stroke="#8c959f" stroke-width="0.5"/>`,
			chartLabelW, y+4, chartBarW, chartRowH-8)
		if w > 0 {
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%s" height="%d" fill="#0969da"/>`,
				chartLabelW, y+4, strconv.FormatFloat(w, 'f', 1, 64), chartRowH-8)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" fill="#1f2328">%s</text></g>`,
			chartLabelW+chartBarW+6, y+chartRowH/2+4, chartFont, esc(barText(r)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// barText is a bar's numbers: "12/30 40%", or "0/0 —" when nothing is due.
func barText(r bar) string {
	if r.Max == 0 {
		return fmt.Sprintf("%d/%d —", r.Value, r.Max)
	}
	p := float64(r.Value) * 100 / float64(r.Max)
	return fmt.Sprintf("%d/%d %s%%", r.Value, r.Max, strconv.FormatFloat(float64(int(p*10+0.5))/10, 'f', -1, 64))
}

// shorten cuts a label for the chart; the tables beside show it whole.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
