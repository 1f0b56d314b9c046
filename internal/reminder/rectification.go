package reminder

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// rectStage is the stage of a rectification daysLeft days from its
// deadline: "d-1" the day before and on the day, "overdue" from the day
// after for CatchUp days, "" otherwise.
func (s Settings) rectStage(daysLeft int) string {
	switch {
	case daysLeft == 0 || daysLeft == 1:
		return StageDayBefore
	case daysLeft < 0 && daysLeft >= -s.CatchUp:
		return StageOverdue
	}
	return ""
}

// rectKey groups rectifications into one message: a cadre's (or a
// business's) falling due on one deadline, at one stage. A deadline that
// is extended is a new deadline, with its own reminders.
type rectKey struct {
	to       int64
	deadline int64
	stage    string
}

// rectifications reminds the cadre who packs a business, and the
// business's contacts, of rectifications due tomorrow and of those that
// have just passed their deadline.
func (r *run) rectifications(ctx context.Context, rects []supervision.RectificationState) error {
	cadres := map[rectKey][]supervision.RectificationState{}
	businesses := map[rectKey][]supervision.RectificationState{}
	for _, rs := range rects {
		stage := r.p.set.rectStage(rs.DaysLeft)
		if stage == "" {
			continue
		}
		if rs.CadreID != 0 && rs.CadreActive {
			k := rectKey{to: rs.CadreID, deadline: rs.Deadline.Unix(), stage: stage}
			cadres[k] = append(cadres[k], rs)
		}
		if r.p.d.Contacts != nil {
			k := rectKey{to: rs.BusinessID, deadline: rs.Deadline.Unix(), stage: stage}
			businesses[k] = append(businesses[k], rs)
		}
	}
	for _, k := range sortedRectKeys(cadres) {
		r.cadreRectification(k, cadres[k])
	}
	for _, k := range sortedRectKeys(businesses) {
		cs, err := r.p.d.Contacts.ContactsOf(ctx, k.to)
		if err != nil {
			return err
		}
		for _, c := range cs {
			r.contactRectification(c.ID, k, businesses[k])
		}
	}
	return nil
}

func sortedRectKeys(m map[rectKey][]supervision.RectificationState) []rectKey {
	keys := make([]rectKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b rectKey) int {
		return cmp.Or(cmp.Compare(a.to, b.to), cmp.Compare(a.deadline, b.deadline), cmp.Compare(a.stage, b.stage))
	})
	return keys
}

func rectNames(rs []supervision.RectificationState) []string {
	var out []string
	for _, x := range rs {
		if !slices.Contains(out, x.BusinessName) {
			out = append(out, x.BusinessName)
		}
	}
	return out
}

func (r *run) cadreRectification(k rectKey, rs []supervision.RectificationState) {
	first := rs[0]
	lines := make([]string, len(rs))
	for i, x := range rs {
		lines[i] = fmt.Sprintf(msgRectCadreLine, x.BusinessName, x.ItemLabel, x.Description)
	}
	n := len(rs)
	m := notify.Message{
		Kind: KindRectification, To: notify.Recipient{Kind: notify.ToCadre, ID: k.to}, Channel: notify.ChannelTemplate,
		Subject: "deadline:" + first.Deadline.Format("2006-01-02"), Stage: k.stage,
		Fields: map[string]string{"name": first.CadreName, "count": strconv.Itoa(n) + "项", "due": day(first.Deadline),
			"business": first.BusinessName},
		URL: r.rectLink(first.ID, registry.ActorOf("cadre", k.to)),
	}
	if k.stage == StageDayBefore {
		soon := soonText(first.DaysLeft)
		m.Title = fmt.Sprintf(msgRectTitleSoon, n, soon)
		m.Text = fmt.Sprintf(msgRectCadreSoon, first.CadreName, n, soon, day(first.Deadline), numbered(lines, "项"))
	} else {
		m.Title = fmt.Sprintf(msgRectTitleOverdue, n)
		m.Text = fmt.Sprintf(msgRectCadreOverdue, first.CadreName, n, day(first.Deadline), numbered(lines, "项"))
	}
	r.out = append(r.out, Notice{Message: m, Businesses: rectNames(rs)})
}

func (r *run) contactRectification(contactID int64, k rectKey, rs []supervision.RectificationState) {
	first := rs[0]
	lines := make([]string, len(rs))
	for i, x := range rs {
		line := fmt.Sprintf(msgRectBizLine, x.ItemLabel, x.Description)
		if x.Requirement != "" {
			line += "（" + x.Requirement + "）"
		}
		lines[i] = line
	}
	n := len(rs)
	m := notify.Message{
		Kind: KindRectification, To: notify.Recipient{Kind: notify.ToContact, ID: contactID}, Channel: notify.ChannelTemplate,
		Subject: "business:" + strconv.FormatInt(k.to, 10) + ":deadline:" + first.Deadline.Format("2006-01-02"), Stage: k.stage,
		Fields: map[string]string{"business": first.BusinessName, "count": strconv.Itoa(n) + "项", "due": day(first.Deadline)},
		URL:    r.rectLink(first.ID, registry.ActorOf("contact", contactID)),
	}
	if k.stage == StageDayBefore {
		soon := soonText(first.DaysLeft)
		m.Title = fmt.Sprintf(msgRectTitleSoon, n, soon)
		m.Text = fmt.Sprintf(msgRectBizSoon, first.BusinessName, day(first.Deadline), soon, numbered(lines, "项"))
	} else {
		m.Title = fmt.Sprintf(msgRectTitleOverdue, n)
		m.Text = fmt.Sprintf(msgRectBizOverdue, first.BusinessName, day(first.Deadline), numbered(lines, "项"))
	}
	r.out = append(r.out, Notice{Message: m, Businesses: []string{first.BusinessName}})
}
