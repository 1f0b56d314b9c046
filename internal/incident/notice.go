package incident

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Kinds of outbox message the incidents send.
const (
	KindReported  = "incident.reported"
	KindEscalated = "incident.escalated"
	KindState     = "incident.state"
)

// office is an office with its active managers, as a message names them.
type office struct {
	registry.Office
	managers []registry.Manager
}

func (o office) who() string {
	names := make([]string, len(o.managers))
	for i, m := range o.managers {
		names[i] = m.Name
	}
	if len(names) == 0 {
		return o.Name
	}
	return o.Name + "（" + strings.Join(names, "、") + "）"
}

func (s *Service) officeWithManagers(ctx context.Context, o *registry.Office) (office, error) {
	ms, err := s.d.Registry.Managers(ctx, o.ID)
	if err != nil {
		return office{}, err
	}
	return office{Office: *o, managers: ms}, nil
}

// officeAbove is the office nearest above o's region (the district's above
// a town's); nil when o is the top one.
func (s *Service) officeAbove(ctx context.Context, o registry.Office) (*registry.Office, error) {
	r, err := s.d.Registry.Region(ctx, o.RegionID)
	if err != nil {
		return nil, err
	}
	if r.ParentID == nil {
		return nil, nil
	}
	up, err := s.d.Registry.OfficeFor(ctx, *r.ParentID)
	if errs.Is(err, errs.NotFound) {
		return nil, nil
	}
	return up, err
}

// place is where the incident is, for messages: the business, or the
// region's name.
func (s *Service) place(ctx context.Context, inc *Incident) string {
	if inc.BusinessName != "" {
		return inc.BusinessName
	}
	if r, err := s.d.Registry.Region(ctx, inc.RegionID); err == nil {
		return r.Name
	}
	return ""
}

// reportedMessages are the urgent messages a new incident sends: to the
// town office's managers and group, and to the district's when the kind
// says so. Each says who must act and by when.
func (s *Service) reportedMessages(ctx context.Context, inc *Incident, first *registry.Office) ([]notify.Message, []registry.Office, error) {
	town, err := s.officeWithManagers(ctx, first)
	if err != nil {
		return nil, nil, err
	}
	offices := []registry.Office{town.Office}
	act := fmt.Sprintf(msgMustAccept, town.who(), chinaTime(*inc.DueAt))
	where := s.place(ctx, inc)
	title := fmt.Sprintf(msgReportedTitle, inc.Kind.Label())
	body := func() string {
		unverified := ""
		if !inc.Verified {
			unverified = msgUnverifiedMark
		}
		return fmt.Sprintf(msgReportedText, inc.Kind.Label(), unverified, where, inc.AffectedText(), inc.ReporterName,
			chinaTime(inc.CreatedAt), inc.Description, act)
	}
	out := s.toOffice(inc, town, town.Name, KindReported, "reported", title, body(), act, where)
	if s.d.Settings.Rule(inc.Kind).EscalateToDistrict {
		up, err := s.officeAbove(ctx, town.Office)
		if err != nil {
			return nil, nil, err
		}
		if up != nil {
			district, err := s.officeWithManagers(ctx, up)
			if err != nil {
				return nil, nil, err
			}
			offices = append(offices, district.Office)
			text := body() + "\n" + fmt.Sprintf(msgDistrictSupervise, district.Name)
			out = append(out, s.toOffice(inc, district, town.Name, KindReported, "reported", title, text, act, where)...)
		}
	}
	return out, offices, nil
}

// toOffice addresses one message to each active manager of o and, when it
// has a robot, to its WeCom group; all urgent. actor names the office that
// must act (the town's, also in the district's copy).
func (s *Service) toOffice(inc *Incident, o office, actor, kind, stage, title, text, act, where string) []notify.Message {
	// "act" is the short form for a template field (cut at 20 characters):
	// the office that must act, and what it must do.
	fields := map[string]string{"kind": inc.Kind.Label(), "business": where, "who": act, "act": actor + inc.State.Verb(), "office": o.Name,
		"time": chinaTime(inc.CreatedAt), "affected": inc.AffectedText(), "state": inc.State.Label()}
	if inc.DueAt != nil {
		fields["due"] = chinaTime(*inc.DueAt)
	}
	var out []notify.Message
	for _, m := range o.managers {
		out = append(out, notify.Message{Kind: kind, To: notify.Recipient{Kind: notify.ToManager, ID: m.ID},
			Channel: notify.ChannelTemplate, Stage: stage, Title: title, Fields: fields, Text: text, Urgent: true})
	}
	if s.d.Groups != nil && o.ShortName != "" && s.d.Groups(o.ShortName) {
		md := "**" + chat.MarkdownText(title) + "**\n" + chat.MarkdownText(text)
		out = append(out, notify.Message{Kind: kind, To: notify.Recipient{Kind: notify.ToGroup, Group: o.ShortName},
			Channel: notify.ChannelRobot, Stage: stage, Title: title, Text: md, Urgent: true})
	}
	return out
}

// addressed completes messages built before the incident had an id: its
// subject and the link — the H5 page signed for each reader (a manager;
// a group reads it as its office, found among offices), else the console
// page — also in a group post's text.
func (s *Service) addressed(msgs []notify.Message, id int64, state State, offices ...registry.Office) []notify.Message {
	groups := map[string]int64{}
	for _, o := range offices {
		groups[o.ShortName] = o.ID
	}
	for i := range msgs {
		m := &msgs[i]
		m.Subject = subject(id)
		m.URL = s.link(id, readerOf(m.To, groups))
		if m.To.Kind == notify.ToGroup && m.URL != "" {
			m.Text += "\n[查看详情](" + m.URL + ")"
		}
		if m.To.Kind == notify.ToManager && state.Verb() != "" {
			// A manager may act from the phone (the bot's 受理 12).
			m.Text += "\n" + fmt.Sprintf(msgReplyToAct, state.Verb(), id)
		}
	}
	return msgs
}

// readerOf is who opens a message's link: the person, or a group's office.
func readerOf(to notify.Recipient, groups map[string]int64) registry.Actor {
	if to.Kind == notify.ToGroup {
		return registry.ActorOf("office", groups[to.Group])
	}
	return registry.ActorOf(string(to.Kind), to.ID)
}

// link is the incident's page for reader: the H5 page when links are
// signed, else the console's.
func (s *Service) link(id int64, reader registry.Actor) string {
	if s.d.Links != nil {
		return s.d.Links.Incident(id, reader, s.d.Clock.Now().Add(s.d.LinkTTL))
	}
	return s.consoleURL(id)
}

func (s *Service) consoleURL(id int64) string {
	if s.d.BaseURL == "" {
		return ""
	}
	return strings.TrimRight(s.d.BaseURL, "/") + fmt.Sprintf("/console/incidents/%d", id)
}

// reporterMessage tells a bound reporter that their incident moved on,
// urgently: they reported it and wait for the answer, at night too;
// nil for a stranger, who can only be answered in chat.
func (s *Service) reporterMessage(inc *Incident, ev Event) *notify.Message {
	var kind notify.RecipientKind
	switch inc.ReporterKind {
	case "cadre":
		kind = notify.ToCadre
	case "manager":
		kind = notify.ToManager
	case "contact":
		kind = notify.ToContact
	default:
		return nil
	}
	note := ev.Note
	if note == "" {
		note = "—"
	}
	title := fmt.Sprintf(msgStateTitle, State(ev.ToState).Label())
	text := fmt.Sprintf(msgStateText, chinaTime(inc.CreatedAt), inc.Kind.Label(), orNone(inc.BusinessName),
		State(ev.ToState).Label(), ev.ActorName, chinaTime(ev.CreatedAt), note)
	to := notify.Recipient{Kind: kind, ID: inc.ReporterID}
	return &notify.Message{Kind: KindState, To: to, Channel: notify.ChannelCustom, URL: s.link(inc.ID, readerOf(to, nil)),
		Subject: subject(inc.ID), Stage: ev.ToState, Title: title, Text: text, Urgent: true,
		Fields: map[string]string{"kind": inc.Kind.Label(), "business": orNone(inc.BusinessName), "state": State(ev.ToState).Label(),
			"who": ev.ActorName, "time": chinaTime(ev.CreatedAt)}}
}

// chinaTime is a moment as messages show it: 12月2日 23:05.
func chinaTime(t time.Time) string { return t.In(clock.China).Format("1月2日 15:04") }
