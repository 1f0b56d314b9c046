package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/wechat"
)

// scrape reads /metrics into series (as exposed: name{labels}) → value.
func scrape(t *testing.T, a *app.App) map[string]float64 {
	t.Helper()
	status, body := get(t, a.URL()+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics = %d", status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("unparsable sample %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// names are the metric names of series.
func names(series map[string]float64) map[string]bool {
	out := map[string]bool{}
	for s := range series {
		name, _, _ := strings.Cut(s, "{")
		out[name] = true
	}
	return out
}

// sum adds the series of name whose labels contain every one of labels
// (each `key="value"`).
func sum(series map[string]float64, name string, labels ...string) float64 {
	var total float64
	for s, v := range series {
		n, rest, _ := strings.Cut(s, "{")
		if n != name {
			continue
		}
		if !slices.ContainsFunc(labels, func(l string) bool { return !strings.Contains(rest, l) }) {
			total += v
		}
	}
	return total
}

// TestMetricsMove drives the events each metric counts through the running
// app — a refused callback, a whole visit report, a reminder run, a push
// the platform cannot take — and checks each figure moved; then that the
// shipped dashboard and alerts use only metrics the app exposes.
func TestMetricsMove(t *testing.T) {
	logs := &apptest.Buffer{}
	a := run(t, apptest.Config(t), app.Options{LogOutput: logs, MetricsCountTTL: -1})
	ctx := context.Background()
	before := scrape(t, a)

	t.Run("RefusedCallbackLogsItsRequestID", func(t *testing.T) {
		resp, err := http.Get(a.URL() + "/wechat/oa?signature=forged&timestamp=1&nonce=2&echostr=x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		rid := resp.Header.Get("X-Request-ID")
		if resp.StatusCode != http.StatusUnauthorized || rid == "" {
			t.Fatalf("forged verification: %d, request id %q", resp.StatusCode, rid)
		}
		var refusal, access bool
		for _, line := range strings.Split(logs.String(), "\n") {
			refusal = refusal || (strings.Contains(line, "wechat callback refused") && strings.Contains(line, "rid="+rid))
			access = access || (strings.Contains(line, "route=/wechat/oa") && strings.Contains(line, "rid="+rid))
		}
		if !refusal || !access {
			t.Errorf("refusal logged with rid=%s: %v; access line: %v", rid, refusal, access)
		}
	})

	// A cadre binds and reports a visit with a photo through the callback.
	cadre := cadresWithTasks(t, a, 1)[0]
	code, _, err := a.Accounts.IssueCode(ctx, account.RoleCadre, cadre.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	openid := "o-metrics-" + strconv.FormatInt(cadre.ID, 10)
	a.FakeAPI.PutMedia("media-metrics", []byte("JPEG metrics"), "image/jpeg")
	ph := newPhone(t, a, wechat.ModeSafe)
	if got := ph.text(openid, "绑定 "+code); !strings.Contains(got, "绑定成功") {
		t.Fatalf("bind: %q", got)
	}
	reportVisit(t, ph, openid, "media-metrics")
	// The simulator's clock jump plans the reminders of a week before the
	// cycle ends and dispatches them.
	jumpClock(t, a, "t-7")
	// A post to a group without a robot: the send fails with no platform
	// answer and the row is given up as unreachable.
	if _, err := a.Notify.Enqueue(ctx, notify.Message{Kind: "digest.weekly", To: notify.Recipient{Kind: notify.ToGroup, Group: "没有机器人的群"},
		Title: "周报", Subject: "metrics-test"}); err != nil {
		t.Fatal(err)
	}

	var after map[string]float64
	moved := func(name string, labels ...string) bool {
		return sum(after, name, labels...) > sum(before, name, labels...)
	}
	waitUntil(t, "the photo fetched, the push given up and the day's reminders done", func() bool {
		after = scrape(t, a)
		return moved("shianbao_photo_fetches_total", `queue="visit"`, `result="stored"`) &&
			moved("shianbao_notify_send_errors_total", `channel="robot"`, `errcode="0"`) &&
			sum(after, "shianbao_outbox_rows", `status="unreachable"`, `kind="digest.weekly"`) > 0 &&
			sum(after, "shianbao_reminder_day_done_timestamp_seconds") > 0
	})
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"shianbao_callback_refusals_total", []string{`channel="oa"`, `reason="signature"`}},
		{"shianbao_callback_turns_total", []string{`channel="oa"`, `outcome="answered"`}},
		{"shianbao_visits_submitted_total", []string{`mode="onsite"`}},
		{"shianbao_reminders_planned_total", []string{`kind="reminder.due"`}},
		{"shianbao_reminders_enqueued_total", nil},
		{"shianbao_notify_outcomes_total", []string{`outcome="unreachable"`}},
		{"shianbao_notify_send_duration_seconds_count", []string{`channel="robot"`}},
		{"shianbao_kv_duration_seconds_count", []string{`op="batch"`}},
		{"shianbao_http_requests_total", []string{`route="/wechat/oa"`}},
	} {
		if !moved(c.name, c.labels...) {
			t.Errorf("%s%v did not move: %v → %v", c.name, c.labels, sum(before, c.name, c.labels...), sum(after, c.name, c.labels...))
		}
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"shianbao_outbox_rows", []string{`status="unreachable"`, `kind="digest.weekly"`}, 1},
		{"shianbao_dependency_up", []string{`dependency="database"`}, 1},
		{"shianbao_dependency_up", []string{`dependency="kv"`}, 1},
		{"shianbao_reminder_leader", nil, 0},
	} {
		if got := sum(after, c.name, c.labels...); got < c.want || (c.want == 0 && got != 0) {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"shianbao_photo_fetches_pending", "shianbao_photo_fetch_oldest_pending_seconds", "shianbao_outbox_oldest_due_seconds",
		"shianbao_notify_quiet_hours", "shianbao_kv_errors_total", "shianbao_callback_late_reply_errors_total", "go_sql_in_use_connections"} {
		if !names(after)[name] {
			t.Errorf("%s not exposed", name)
		}
	}
	for s := range after {
		if strings.Contains(s, openid) || strings.Contains(s, "media-metrics") {
			t.Errorf("a series carries a user's id: %s", s)
		}
	}

	exposed := names(after)
	t.Run("Dashboard", func(t *testing.T) { checkDashboard(t, exposed) })
	t.Run("Alerts", func(t *testing.T) { checkAlerts(t, exposed) })
}

// checkDashboard parses the Grafana dashboard and checks every query names
// only exposed metrics.
func checkDashboard(t *testing.T, exposed map[string]bool) {
	data, err := os.ReadFile("../../deploy/grafana/shianbao.json")
	if err != nil {
		t.Fatal(err)
	}
	type target struct {
		Expr string `json:"expr"`
	}
	type panel struct {
		Title   string   `json:"title"`
		Type    string   `json:"type"`
		Targets []target `json:"targets"`
		Panels  []panel  `json:"panels"`
	}
	var d struct {
		Title      string  `json:"title"`
		UID        string  `json:"uid"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("shianbao.json does not parse: %v", err)
	}
	if d.Title == "" || d.UID == "" {
		t.Error("the dashboard has no title or uid")
	}
	var exprs []string
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	labelValues := regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	for _, v := range d.Templating.List {
		for _, m := range labelValues.FindAllStringSubmatch(v.Definition, -1) {
			exprs = append(exprs, m[1])
		}
	}
	checkExprs(t, exprs, exposed, nil)
}

// checkAlerts parses the Prometheus rule file, checks each rule is whole,
// the alerts DEPLOY.md promises are there, and every expression names only
// exposed metrics (and `up`, which Prometheus records itself).
func checkAlerts(t *testing.T, exposed map[string]bool) {
	data, err := os.ReadFile("../../deploy/prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("alerts.yaml does not parse: %v", err)
	}
	var exprs, alerts []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q: needs alert, expr, labels.severity and annotations.summary", r.Alert)
			}
			alerts = append(alerts, r.Alert)
			exprs = append(exprs, r.Expr)
		}
	}
	for _, want := range []string{"ShianbaoNotReady", "ShianbaoHTTP5xx", "ShianbaoCallbackSlow", "ShianbaoDBPoolWaits",
		"ShianbaoOutboxBacklog", "ShianbaoOutboxGaveUp", "ShianbaoCallbackRefusals", "ShianbaoReminderLeaderMissing", "ShianbaoPhotoFetchesStuck"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("alert %s missing", want)
		}
	}
	checkExprs(t, exprs, exposed, map[string]bool{"up": true})
}

// checkExprs checks the metric names in PromQL expressions.
func checkExprs(t *testing.T, exprs []string, exposed, extra map[string]bool) {
	t.Helper()
	seen := 0
	for _, e := range exprs {
		ns := promqlMetrics(e)
		if len(ns) == 0 {
			t.Errorf("no metric found in %q", e)
		}
		for _, n := range ns {
			seen++
			if !exposed[n] && !extra[n] {
				t.Errorf("%s (in %q) is not a metric the service exposes", n, e)
			}
		}
	}
	if seen < len(exprs) {
		t.Fatalf("only %d metric names in %d expressions", seen, len(exprs))
	}
}

var (
	promqlStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promqlMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promqlKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true}
)

// promqlMetrics lists the metric names an expression selects: identifiers
// left once strings, label matchers, ranges and grouping clauses are gone,
// that are neither functions (followed by "("), keywords nor numbers.
func promqlMetrics(expr string) []string {
	e := promqlStrings.ReplaceAllString(expr, `""`)
	e = promqlMatchers.ReplaceAllString(e, " ")
	e = promqlRanges.ReplaceAllString(e, " ")
	e = promqlGrouping.ReplaceAllString(e, " ")
	var out []string
	for _, loc := range promqlIdent.FindAllStringIndex(e, -1) {
		word := e[loc[0]:loc[1]]
		if loc[0] > 0 && (e[loc[0]-1] >= '0' && e[loc[0]-1] <= '9' || e[loc[0]-1] == '.' || e[loc[0]-1] == '$') {
			continue // a number's exponent or unit, or a Grafana variable
		}
		if promqlKeywords[strings.ToLower(word)] || strings.HasPrefix(strings.TrimSpace(e[loc[1]:]), "(") {
			continue
		}
		out = append(out, word)
	}
	return out
}

func TestPromQLMetrics(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (le) (rate(a_bucket{route="/x", s=~"5.."}[5m])) / ignoring(x) b_total > 1e3`: {"a_bucket", "b_total"},
		`time() - max(c_seconds) > 26 * 3600 or absent(c_seconds)`:                           {"c_seconds", "c_seconds"},
		`x and on() max(y) == 0`:    {"x", "y"},
		`rate(z[$__rate_interval])`: {"z"},
		`histogram_quantile(0.95, sum by (le, op) (rate(k_bucket{instance=~"$instance"}[$__rate_interval])))`: {"k_bucket"},
	} {
		if got := promqlMetrics(expr); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", expr, got, want)
		}
	}
}
