package reminder

import (
	"context"
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

// The weekly digest is due from Monday to Wednesday of its ISO week, the
// monthly one on the first five days of the month after the one it covers:
// long enough to survive an outage, short enough never to post a stale one.
const (
	weeklyDays  = 3
	monthlyDays = 5
)

func weeklyDue(at time.Time) bool {
	wd := int(at.In(clock.China).Weekday()+6) % 7 // Monday 0
	return wd < weeklyDays
}

func monthlyDue(at time.Time) bool { return at.In(clock.China).Day() <= monthlyDays }

// tally counts operating businesses due and covered in their current cycle.
type tally struct{ due, covered int }

func (t *tally) add(covered bool) {
	t.due++
	if covered {
		t.covered++
	}
}

// officeCensus is the state of one office's area, the way
// supervision.Progress counts it.
type officeCensus struct {
	total    tally
	children map[int64]*tally
	// cadres says, per cadre with businesses in the area, whether all of
	// them are covered.
	cadres  map[int64]bool
	overdue int
	// Open rectifications, and how many of them are past their deadline.
	rectOpen, rectOverdue int
}

// census adds businesses up by office area.
type census struct {
	w       *world
	offices map[int64]*officeCensus
}

func newCensus(w *world) *census { return &census{w: w, offices: map[int64]*officeCensus{}} }

func (c *census) office(id int64) *officeCensus {
	oc := c.offices[id]
	if oc == nil {
		oc = &officeCensus{children: map[int64]*tally{}, cadres: map[int64]bool{}}
		c.offices[id] = oc
	}
	return oc
}

func (c *census) add(st supervision.AssignmentState) {
	for _, a := range c.w.areas[st.VillageID] {
		oc := c.office(a.office)
		oc.total.add(st.Covered)
		t := oc.children[a.child]
		if t == nil {
			t = &tally{}
			oc.children[a.child] = t
		}
		t.add(st.Covered)
		if st.CadreID != 0 {
			done, seen := oc.cadres[st.CadreID]
			oc.cadres[st.CadreID] = st.Covered && (done || !seen)
		}
		if st.Overdue {
			oc.overdue++
		}
	}
}

func (c *census) addRectifications(rc supervision.RectificationCount) {
	for _, a := range c.w.areas[rc.VillageID] {
		oc := c.office(a.office)
		oc.rectOpen += rc.Open
		oc.rectOverdue += rc.Overdue
	}
}

// byChild lists an office's area by the regions one level down, in region
// order; markdown makes the region names inert for a robot's message.
func (c *census) byChild(oc *officeCensus, markdown bool) []string {
	ids := make([]int64, 0, len(oc.children))
	for id := range oc.children {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	lines := make([]string, len(ids))
	for i, id := range ids {
		t := oc.children[id]
		name := c.w.regionName(id)
		if markdown {
			name = chat.MarkdownText(name)
		}
		lines[i] = fmt.Sprintf(msgWeeklyLine, name, t.covered, t.due, percent(t.covered, t.due))
	}
	return lines
}

// mainCycle is the cycle most businesses are counted in (grade D's), as
// supervision.Progress names it.
func (r *run) mainCycle(at time.Time) supervision.Cycle {
	return r.p.d.Supervision.Rules().CycleFor(registry.GradeD, at)
}

// weekly posts each office's progress to its WeCom contact group: thanks,
// the area's figure, the figure of each village (or town), how many
// cadres have finished, and a gentle request. It names no one: a contact
// group is no place to single out the slowest.
func (r *run) weekly() {
	y, wk := r.at.ISOWeek()
	cycle := r.mainCycle(r.at)
	for _, id := range r.w.order {
		o := r.w.offices[id]
		oc := r.census.offices[id]
		if !r.hasGroup(o) || oc == nil || oc.total.due == 0 {
			continue
		}
		region := r.w.regions[o.RegionID]
		done := 0
		for _, ok := range oc.cadres {
			if ok {
				done++
			}
		}
		// Posted as markdown: region names come from imports.
		name := chat.MarkdownText(region.Name)
		parts := []string{
			fmt.Sprintf(msgWeeklyHead, name, y, wk),
			fmt.Sprintf(msgWeeklyTotal, name, cycle.Label, oc.total.covered, oc.total.due,
				percent(oc.total.covered, oc.total.due), cycleEndsText(cycle.DaysLeft(r.at))),
		}
		if label, ok := childLabels[region.Level]; ok && len(oc.children) > 1 {
			parts = append(parts, fmt.Sprintf(msgWeeklyChildOf, label)+"\n"+strings.Join(r.census.byChild(oc, true), "\n"))
		}
		if done > 0 {
			parts = append(parts, fmt.Sprintf(msgWeeklyDone, done))
		}
		parts = append(parts, msgWeeklyClose)
		m := notify.Message{
			Kind: KindWeekly, To: notify.Recipient{Kind: notify.ToGroup, Group: o.ShortName}, Channel: notify.ChannelRobot,
			Subject: fmt.Sprintf("week:%d-W%02d", y, wk),
			Title:   fmt.Sprintf(msgWeeklyTitle, region.Name, wk),
			Fields: map[string]string{"region": region.Name, "progress": percent(oc.total.covered, oc.total.due),
				"covered": strconv.Itoa(oc.total.covered), "due": strconv.Itoa(oc.total.due)},
			Text: strings.Join(parts, "\n"),
		}
		r.out = append(r.out, Notice{Message: m})
	}
}

// monthly sends every manager the digest of the month before at's: the
// coverage of the cycle as it stood at the month's end, overdue
// businesses then, and rectifications open now.
func (r *run) monthly(ctx context.Context) error {
	first := time.Date(r.at.Year(), r.at.Month(), 1, 0, 0, 0, 0, clock.China)
	end := first.Add(-time.Second)
	// Counted at the month's last moment, not now: on 1 January the new
	// quarter has barely begun, and the digest is about December.
	c := newCensus(r.w)
	if err := r.p.d.Supervision.States(ctx, end, func(st supervision.AssignmentState) error {
		c.add(st)
		return nil
	}); err != nil {
		return err
	}
	counts, err := r.p.d.Supervision.OpenRectificationCounts(ctx, r.at)
	if err != nil {
		return err
	}
	for _, rc := range counts {
		c.addRectifications(rc)
	}
	cycle := r.mainCycle(end)
	for _, id := range r.w.order {
		o := r.w.offices[id]
		oc := c.offices[id]
		if oc == nil || oc.total.due == 0 {
			continue
		}
		ms, err := r.w.managersOf(ctx, id)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			continue
		}
		region := r.w.regions[o.RegionID]
		parts := []string{
			fmt.Sprintf(msgMonthlyHead, o.Name, end.Year(), end.Month()),
			fmt.Sprintf(msgMonthlyTotal, day(end), cycle.Label, oc.total.covered, oc.total.due, percent(oc.total.covered, oc.total.due)),
			fmt.Sprintf(msgMonthlyOverdue, oc.overdue),
			fmt.Sprintf(msgMonthlyRect, oc.rectOpen, oc.rectOverdue),
		}
		if label, ok := childLabels[region.Level]; ok && len(oc.children) > 1 {
			parts = append(parts, fmt.Sprintf(msgWeeklyChildOf, label)+"\n"+strings.Join(c.byChild(oc, false), "\n"))
		}
		m := notify.Message{
			Kind: KindMonthly, Channel: notify.ChannelTemplate,
			Subject: fmt.Sprintf("month:%d-%02d", end.Year(), end.Month()),
			Title:   fmt.Sprintf(msgMonthlyTitle, end.Year(), end.Month()),
			Fields: map[string]string{"office": o.Name, "month": fmt.Sprintf("%d年%d月", end.Year(), end.Month()),
				"progress": percent(oc.total.covered, oc.total.due), "overdue": strconv.Itoa(oc.overdue) + "家",
				"rectifications": strconv.Itoa(oc.rectOpen) + "项"},
			Text: strings.Join(parts, "\n"),
		}
		for _, mg := range ms {
			m.To = notify.Recipient{Kind: notify.ToManager, ID: mg.ID}
			m.URL = r.overdueLink(id, registry.ActorOf("manager", mg.ID))
			r.out = append(r.out, Notice{Message: m})
		}
	}
	return nil
}
