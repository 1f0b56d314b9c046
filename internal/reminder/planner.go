package reminder

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Deps are what a Planner works from.
type Deps struct {
	Supervision *supervision.Service
	Registry    *registry.Service
	// Contacts, when set, also receive the rectification reminders of
	// their business.
	Contacts Contacts
	// Links, when set, gives each message its H5 page.
	Links Links
	// LinkTTL is how long those links stay valid (30 days when 0).
	LinkTTL time.Duration
	// Groups reports whether an office's WeCom contact group, named by the
	// office's short name, has a robot to post through; nil means none has.
	Groups func(shortName string) bool
	// Sources are other features' reminders, planned along with these.
	Sources []Source
	// Settings default to DefaultSettings when Stages is empty.
	Settings Settings
}

// Planner works out the messages due at a moment.
type Planner struct {
	d   Deps
	set Settings
}

// NewPlanner returns a planner, or an error for invalid settings.
func NewPlanner(d Deps) (*Planner, error) {
	set := d.Settings
	if len(set.Stages) == 0 {
		set = DefaultSettings()
	}
	if err := set.Validate(); err != nil {
		return nil, err
	}
	if d.Supervision == nil || d.Registry == nil {
		return nil, fmt.Errorf("reminder planner: supervision and registry are required")
	}
	return &Planner{d: d, set: set.normalized()}, nil
}

// Plan returns the messages due at at (China time decides the day),
// sorted by kind, recipient, subject, cycle and stage. With a
// *SourceError it also returns everything the other sources planned.
func (p *Planner) Plan(ctx context.Context, at time.Time) ([]notify.Message, error) {
	ns, err := p.Notices(ctx, at)
	out := make([]notify.Message, len(ns))
	for i, n := range ns {
		out[i] = n.Message
	}
	return out, err
}

// Notices is Plan with the businesses each message is about. What is due
// depends on at's day only: the scheduler decides the hour. It reads the
// register in a fixed number of queries: one streamed pass over the
// businesses (two, and a count of open rectifications, on the first days
// of a month for the monthly digest), one for the rectifications falling
// due, and small lookups of regions, offices and the managers of offices
// that get a message, plus one contacts lookup per business with a
// rectification falling due.
func (p *Planner) Notices(ctx context.Context, at time.Time) ([]Notice, error) {
	at = at.In(clock.China)
	w, err := p.loadWorld(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan reminders: %w", err)
	}
	r := &run{p: p, w: w, at: at, cadres: map[bucketKey]*bucket{}, overdue: map[bucketKey]*bucket{},
		escalate: map[bucketKey]*bucket{}, cadreCycles: map[int64][]supervision.Cycle{},
		officeCycles: map[int64][]supervision.Cycle{}, census: newCensus(w)}
	if err := p.d.Supervision.States(ctx, at, r.add); err != nil {
		return nil, fmt.Errorf("plan reminders: %w", err)
	}
	r.cadreNotices()
	r.overdueNotices()
	if err := r.escalations(ctx); err != nil {
		return nil, fmt.Errorf("plan reminders: %w", err)
	}
	// Deadlines from the catch-up window's first day to tomorrow.
	today := clock.Date(at)
	rects, err := p.d.Supervision.OpenRectificationStates(ctx, at, today.AddDate(0, 0, -p.set.CatchUp), today.AddDate(0, 0, 2))
	if err != nil {
		return nil, fmt.Errorf("plan reminders: %w", err)
	}
	if err := r.rectifications(ctx, rects); err != nil {
		return nil, fmt.Errorf("plan reminders: %w", err)
	}
	if weeklyDue(at) {
		r.weekly()
	}
	if monthlyDue(at) {
		if err := r.monthly(ctx); err != nil {
			return nil, fmt.Errorf("plan reminders: %w", err)
		}
	}
	var failed []error
	for _, s := range p.d.Sources {
		msgs, err := s.Due(ctx, at)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		for _, m := range msgs {
			r.out = append(r.out, Notice{Message: m})
		}
	}
	slices.SortStableFunc(r.out, func(a, b Notice) int { return compareMessages(a.Message, b.Message) })
	if len(failed) > 0 {
		return r.out, &SourceError{Errs: failed}
	}
	return r.out, nil
}

// SourceError reports the sources that failed. A failing source does not
// hold back the rest: the messages returned with it are everything else
// that was due, and the scheduler enqueues them before reporting it.
type SourceError struct{ Errs []error }

func (e *SourceError) Error() string {
	return "plan reminders: source: " + errors.Join(e.Errs...).Error()
}

// Unwrap returns the sources' errors.
func (e *SourceError) Unwrap() []error { return e.Errs }

func compareMessages(a, b notify.Message) int {
	return cmp.Or(
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.To.Kind, b.To.Kind),
		cmp.Compare(a.To.ID, b.To.ID),
		cmp.Compare(a.To.Group, b.To.Group),
		cmp.Compare(a.Subject, b.Subject),
		cmp.Compare(a.Cycle, b.Cycle),
		cmp.Compare(a.Stage, b.Stage),
	)
}

// world is the small, slowly changing part of the register: regions,
// offices and which offices' areas each region lies in.
type world struct {
	regions map[int64]registry.Region
	offices map[int64]registry.Office
	// order lists office ids in id order.
	order []int64
	// areas lists, for each region, the offices whose area holds it, each
	// with the region one level below the office's on the way down.
	areas map[int64][]area
	// managers is filled as offices need them.
	managers map[int64][]registry.Manager
	reg      *registry.Service
}

type area struct{ office, child int64 }

func (p *Planner) loadWorld(ctx context.Context) (*world, error) {
	regions, err := p.d.Registry.Regions(ctx)
	if err != nil {
		return nil, err
	}
	offices, err := p.d.Registry.Offices(ctx)
	if err != nil {
		return nil, err
	}
	w := &world{regions: make(map[int64]registry.Region, len(regions)), offices: map[int64]registry.Office{},
		areas: make(map[int64][]area, len(regions)), managers: map[int64][]registry.Manager{}, reg: p.d.Registry}
	for _, r := range regions {
		w.regions[r.ID] = r
	}
	byRegion := map[int64]int64{}
	for _, o := range offices {
		w.offices[o.ID] = o
		w.order = append(w.order, o.ID)
		byRegion[o.RegionID] = o.ID
	}
	for _, r := range regions {
		ids := pathIDs(r.Path)
		for i, id := range ids {
			o, ok := byRegion[id]
			if !ok {
				continue
			}
			child := r.ID
			if i+1 < len(ids) {
				child = ids[i+1]
			}
			w.areas[r.ID] = append(w.areas[r.ID], area{office: o, child: child})
		}
	}
	return w, nil
}

func pathIDs(path string) []int64 {
	var ids []int64
	for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// managersOf returns an office's active managers, reading each office once per run.
func (w *world) managersOf(ctx context.Context, officeID int64) ([]registry.Manager, error) {
	if ms, ok := w.managers[officeID]; ok {
		return ms, nil
	}
	ms, err := w.reg.Managers(ctx, officeID)
	if err != nil {
		return nil, err
	}
	w.managers[officeID] = ms
	return ms, nil
}

func (w *world) regionName(id int64) string { return w.regions[id].Name }

// bucketKey groups businesses into one message: a cadre's (or an
// office's) businesses due on one day.
type bucketKey struct {
	to  int64
	due int64 // Unix seconds of the due day
}

type bucket struct {
	to    int64
	name  string
	due   time.Time
	days  int // days left, or days overdue
	items []item
}

// item is a business listed in a message.
type item struct {
	id        int64
	name      string
	villageID int64
	village   string
	cadre     string
	overdue   bool
}

func (b *bucket) add(it item) { b.items = append(b.items, it) }

func (b *bucket) names() []string {
	out := make([]string, len(b.items))
	for i, it := range b.items {
		out[i] = it.name
	}
	return out
}

// run is one planning pass.
type run struct {
	p  *Planner
	w  *world
	at time.Time

	cadres, overdue, escalate map[bucketKey]*bucket
	// cadreCycles and officeCycles hold every cycle (current and previous)
	// of the grades a cadre packs or an office's area holds: they name
	// the cycle of a message stably, whatever gets covered between runs.
	cadreCycles, officeCycles map[int64][]supervision.Cycle
	census                    *census

	out []Notice
}

func (r *run) add(st supervision.AssignmentState) error {
	set := r.p.set
	it := item{id: st.BusinessID, name: st.BusinessName, villageID: st.VillageID, village: r.w.regionName(st.VillageID),
		cadre: st.CadreName, overdue: st.Overdue}
	if st.CadreID != 0 && !st.CadreActive {
		it.cadre += msgCadreInactive
	}
	r.census.add(st)
	if st.CadreID != 0 {
		r.cadreCycles[st.CadreID] = addCycles(r.cadreCycles[st.CadreID], st.Cycle, st.Prev)
	}
	if st.OfficeID != 0 {
		r.officeCycles[st.OfficeID] = addCycles(r.officeCycles[st.OfficeID], st.Cycle, st.Prev)
	}
	// Deactivated cadres get nothing; their businesses still count and
	// still escalate.
	personal := st.CadreID != 0 && st.CadreActive
	if personal && !st.Covered && set.stage(st.DaysLeft) != "" {
		into(r.cadres, st.CadreID, st.CadreName, st.Cycle.Due, st.DaysLeft).add(it)
	}
	if !st.Overdue {
		return nil
	}
	if personal && st.DaysOverdue >= 1 && st.DaysOverdue <= set.CatchUp {
		into(r.overdue, st.CadreID, st.CadreName, st.Prev.Due, st.DaysOverdue).add(it)
	}
	if st.OfficeID != 0 && st.DaysOverdue >= set.EscalateAfter && st.DaysOverdue < set.EscalateAfter+set.CatchUp {
		into(r.escalate, st.OfficeID, r.w.offices[st.OfficeID].Name, st.Prev.Due, st.DaysOverdue).add(it)
	}
	return nil
}

func into(m map[bucketKey]*bucket, to int64, name string, due time.Time, days int) *bucket {
	k := bucketKey{to: to, due: due.Unix()}
	b := m[k]
	if b == nil {
		b = &bucket{to: to, name: name, due: due, days: days}
		m[k] = b
	}
	return b
}

func addCycles(list []supervision.Cycle, cs ...supervision.Cycle) []supervision.Cycle {
	for _, c := range cs {
		if !slices.ContainsFunc(list, func(x supervision.Cycle) bool { return x.Key == c.Key }) {
			list = append(list, c)
		}
	}
	return list
}

// cyclesDue returns the cycles in list due on due: the shortest first,
// whose key names the message (the quarter, for a cadre packing both
// half-yearly and quarterly businesses at the end of June).
func cyclesDue(list []supervision.Cycle, due time.Time) []supervision.Cycle {
	var out []supervision.Cycle
	for _, c := range list {
		if c.Due.Equal(due) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b supervision.Cycle) int { return b.Start.Compare(a.Start) })
	return out
}

func cycleLabels(cs []supervision.Cycle) string {
	labels := make([]string, len(cs))
	for i, c := range cs {
		labels[len(cs)-1-i] = c.Label
	}
	return strings.Join(labels, "、")
}

// sorted returns a map's buckets in a stable order: by recipient, then due day.
func sorted(m map[bucketKey]*bucket) []*bucket {
	out := make([]*bucket, 0, len(m))
	for _, b := range m {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *bucket) int { return cmp.Or(cmp.Compare(a.to, b.to), a.due.Compare(b.due)) })
	return out
}

// defaultLinkTTL is how long a message's link stays valid unless set.
const defaultLinkTTL = 30 * 24 * time.Hour

// link is a message's H5 page for its reader. It expires LinkTTL after the
// start of the run's day, so every run of a day plans the same message.
func (r *run) link(f func(l Links, expires time.Time) string) string {
	if r.p.d.Links == nil {
		return ""
	}
	ttl := r.p.d.LinkTTL
	if ttl <= 0 {
		ttl = defaultLinkTTL
	}
	return f(r.p.d.Links, clock.Date(r.at).Add(ttl))
}

// cadreLink is the cadre's own task list.
func (r *run) cadreLink(cadreID int64) string {
	return r.link(func(l Links, exp time.Time) string {
		return l.CadreTasks(cadreID, registry.ActorOf("cadre", cadreID), exp)
	})
}

// overdueLink is an office's overdue list for one reader.
func (r *run) overdueLink(officeID int64, reader registry.Actor) string {
	return r.link(func(l Links, exp time.Time) string { return l.OfficeOverdue(officeID, reader, exp) })
}

// rectLink is a rectification's page for one reader.
func (r *run) rectLink(id int64, reader registry.Actor) string {
	return r.link(func(l Links, exp time.Time) string { return l.Rectification(id, reader, exp) })
}

// cadreNotices makes one message per cadre and due day listing the
// cadre's uncovered businesses: overdue ones first, then by name.
func (r *run) cadreNotices() {
	for _, b := range sorted(r.cadres) {
		slices.SortFunc(b.items, func(x, y item) int {
			if x.overdue != y.overdue {
				if x.overdue {
					return -1
				}
				return 1
			}
			return cmp.Or(cmp.Compare(x.name, y.name), cmp.Compare(x.id, y.id))
		})
		cs := cyclesDue(r.cadreCycles[b.to], b.due)
		lines := make([]string, len(b.items))
		for i, it := range b.items {
			note := it.village
			if it.overdue {
				note += "，" + msgMissedPrev
			}
			lines[i] = fmt.Sprintf("%s（%s）", it.name, note)
		}
		labels := cycleLabels(cs)
		n := len(b.items)
		when := fmt.Sprintf(msgDueWhen, day(b.due))
		m := notify.Message{
			Kind: KindDue, To: notify.Recipient{Kind: notify.ToCadre, ID: b.to}, Channel: notify.ChannelTemplate,
			Subject: "tasks", Cycle: cs[0].Key, Stage: r.p.set.stage(b.days),
			Title: fmt.Sprintf(msgDueTitle, n),
			Fields: map[string]string{"name": b.name, "count": strconv.Itoa(n) + "家", "due": day(b.due),
				"cycle": labels, "days": daysLeftText(b.days)},
			Text: fmt.Sprintf(msgDueText, b.name, labels, when, daysLeftText(b.days), n, numbered(lines, "家")),
			URL:  r.cadreLink(b.to),
		}
		r.out = append(r.out, Notice{Message: m, Businesses: b.names()})
	}
}

// overdueNotices tells each cadre, the morning after a cycle ends, which
// of their businesses it passed without a visit.
func (r *run) overdueNotices() {
	for _, b := range sorted(r.overdue) {
		slices.SortFunc(b.items, func(x, y item) int { return cmp.Or(cmp.Compare(x.name, y.name), cmp.Compare(x.id, y.id)) })
		cs := cyclesDue(r.cadreCycles[b.to], b.due)
		lines := make([]string, len(b.items))
		for i, it := range b.items {
			lines[i] = fmt.Sprintf("%s（%s）", it.name, it.village)
		}
		n, labels := len(b.items), cycleLabels(cs)
		m := notify.Message{
			Kind: KindOverdue, To: notify.Recipient{Kind: notify.ToCadre, ID: b.to}, Channel: notify.ChannelTemplate,
			Subject: "overdue", Cycle: cs[0].Key, Stage: StageOverdue,
			Title: fmt.Sprintf(msgOverdueTitle, n),
			Fields: map[string]string{"name": b.name, "count": strconv.Itoa(n) + "家", "due": day(b.due),
				"cycle": labels, "days": fmt.Sprintf("逾期%d天", b.days)},
			Text: fmt.Sprintf(msgOverdueText, b.name, labels, day(b.due), n, b.days, numbered(lines, "家"),
				fmt.Sprintf(msgOverdueNext, r.p.set.EscalateAfter)),
			URL: r.cadreLink(b.to),
		}
		r.out = append(r.out, Notice{Message: m, Businesses: b.names()})
	}
}

// escalations tell every manager of an office (and its contact group)
// which businesses in its area are still overdue some days on: one
// message per office and missed due day, naming each business's cadre.
func (r *run) escalations(ctx context.Context) error {
	for _, b := range sorted(r.escalate) {
		slices.SortFunc(b.items, func(x, y item) int {
			return cmp.Or(cmp.Compare(x.villageID, y.villageID), cmp.Compare(x.name, y.name), cmp.Compare(x.id, y.id))
		})
		office := r.w.offices[b.to]
		cs := cyclesDue(r.officeCycles[b.to], b.due)
		// The group's copy is markdown: the names in it are people's text
		// and must not become markup (a business named **…** or <font …>).
		lines, mdLines := make([]string, len(b.items)), make([]string, len(b.items))
		for i, it := range b.items {
			cadre := it.cadre
			if cadre == "" {
				cadre = msgNoCadre
			}
			lines[i] = fmt.Sprintf(msgEscalationLine, it.name, it.village, cadre)
			mdLines[i] = fmt.Sprintf(msgEscalationLine, chat.MarkdownText(it.name), chat.MarkdownText(it.village), chat.MarkdownText(cadre))
		}
		n, labels := len(b.items), cycleLabels(cs)
		m := notify.Message{
			Kind: KindEscalation, Subject: "office:" + strconv.FormatInt(office.ID, 10), Cycle: cs[0].Key, Stage: StageEscalation,
			Title: fmt.Sprintf(msgEscalationTitle, n),
			Fields: map[string]string{"office": office.Name, "count": strconv.Itoa(n) + "家", "due": day(b.due),
				"cycle": labels, "days": fmt.Sprintf("逾期%d天", b.days)},
			Text: fmt.Sprintf(msgEscalationText, office.Name, labels, day(b.due), n, b.days, numbered(lines, "家")),
		}
		ms, err := r.w.managersOf(ctx, office.ID)
		if err != nil {
			return err
		}
		for _, mg := range ms {
			m.To, m.Channel = notify.Recipient{Kind: notify.ToManager, ID: mg.ID}, notify.ChannelTemplate
			m.URL = r.overdueLink(office.ID, registry.ActorOf("manager", mg.ID))
			r.out = append(r.out, Notice{Message: m, Businesses: b.names()})
		}
		if r.p.set.EscalateToGroup && r.hasGroup(office) {
			// The office's contact group reads the link as the office.
			m.To, m.Channel = notify.Recipient{Kind: notify.ToGroup, Group: office.ShortName}, notify.ChannelRobot
			m.URL = r.overdueLink(office.ID, registry.ActorOf("office", office.ID))
			m.Text = fmt.Sprintf(msgEscalationText, chat.MarkdownText(office.Name), labels, day(b.due), n, b.days, numbered(mdLines, "家"))
			r.out = append(r.out, Notice{Message: m, Businesses: b.names()})
		}
	}
	return nil
}

func (r *run) hasGroup(o registry.Office) bool {
	return r.p.d.Groups != nil && o.ShortName != "" && r.p.d.Groups(o.ShortName)
}
