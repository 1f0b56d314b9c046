package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The incident report (应急上报): anyone may report, bound or not. Kind,
// business (a cadre's own list, or a few characters of the name; a
// stranger may skip it and name the town), what happened, how many
// people, photos, location, confirm. The report is keyed by the
// conversation, so a confirmation delivered again stores nothing new.

const (
	flowIncident      = "incident"
	sIncidentKind     = "incident_kind"
	sIncidentBiz      = "incident_business"
	sIncidentTown     = "incident_town"
	sIncidentWhat     = "incident_what"
	sIncidentAffected = "incident_affected"
	sIncidentPhotos   = "incident_photos"
	sIncidentLocation = "incident_location"
	sIncidentConfirm  = "incident_confirm"
)

// incidentCommands start the report.
var incidentCommands = map[string]bool{cmdIncident: true, "突发": true, "应急上报": true, "突发事件": true, "应急处置": true}

// incidentState is what the incident flow knows besides the answers.
type incidentState struct {
	// Reporter is "cadre:12", "manager:3" or "contact:7"; "" for a
	// stranger, named by Stranger (a hash of the WeChat id).
	Reporter string `dialog:"reporter"`
	Stranger string `dialog:"stranger"`
	CadreID  int64  `dialog:"cadre_id"`
	// BusinessID is the business picked; Preselected when it came with
	// the start (a contact's own business).
	BusinessID   int64  `dialog:"business_id"`
	BusinessName string `dialog:"business_name"`
	Preselected  bool   `dialog:"preselected"`
	// Listed is the businesses the business step numbered.
	Listed []int64 `dialog:"listed"`
}

func incidentOf(s *dialog.Session) *incidentState { return dialog.StateOf[incidentState](s) }

// startIncident begins 应急上报 for anyone: a bound person reports under
// their role (a cadre first, then a manager, then a business contact, for
// whom the business is their own); a stranger under a hash of their id.
func (b *Bot) startIncident(ctx context.Context, u user) (dialog.Reply, error) {
	st := &incidentState{Stranger: userHash(u.in.UserID)}
	if u.bound() {
		st.Stranger = ""
		if id := u.cadreID(); id != 0 {
			st.Reporter, st.CadreID = string(registry.ActorOf("cadre", id)), id
		} else if id := u.managerID(); id != 0 {
			st.Reporter = string(registry.ActorOf("manager", id))
		} else if c, err := b.contact(ctx, u); err != nil {
			return dialog.Reply{}, err
		} else if c != nil {
			st.Reporter = string(registry.ActorOf("contact", c.ID))
			if biz, err := b.registry.Business(ctx, c.BusinessID); err == nil {
				st.BusinessID, st.BusinessName, st.Preselected = biz.ID, biz.Name, true
			}
		}
	}
	return b.start(ctx, u, flowIncident, st, cmdIncident)
}

func (b *Bot) incidentFlow() *dialog.Flow {
	return &dialog.Flow{
		Name:    flowIncident,
		Noun:    "应急上报",
		Command: cmdIncident,
		Label:   func(s *dialog.Session) string { return incidentOf(s).BusinessName },
		Steps: func(ctx context.Context, s *dialog.Session) ([]dialog.Step, error) {
			return b.incidentSteps(s), nil
		},
		Submit: b.submitIncident,
	}
}

func (b *Bot) incidentSteps(s *dialog.Session) []dialog.Step {
	stranger := func(s *dialog.Session) bool { return incidentOf(s).Reporter == "" }
	return []dialog.Step{
		{Key: sIncidentKind, Kind: dialog.KindChoice, Help: msgHelpIncidentKind,
			Prompt: func(context.Context, *dialog.Session) (string, error) { return msgIncidentKind, nil },
			Choices: func(context.Context, *dialog.Session) ([]dialog.Choice, error) {
				return []dialog.Choice{
					{Key: string(incident.Poisoning), Label: incident.Poisoning.Label(), Aliases: []string{"食物中毒", "中毒"}},
					{Key: string(incident.Complaint), Label: incident.Complaint.Label(), Aliases: []string{"投诉", "举报"}},
					{Key: string(incident.Accident), Label: incident.Accident.Label(), Aliases: []string{"事故"}},
					{Key: string(incident.Other), Label: incident.Other.Label()},
				}, nil
			}},
		b.incidentBusinessStep(stranger, stranger(s)),
		{Key: sIncidentTown, Kind: dialog.KindChoice, Help: msgHelpIncidentTown,
			When:   func(s *dialog.Session) bool { v, ok := s.Answer(sIncidentBiz); return ok && v.Skipped },
			Prompt: func(context.Context, *dialog.Session) (string, error) { return msgIncidentTown, nil },
			Choices: func(ctx context.Context, _ *dialog.Session) ([]dialog.Choice, error) {
				rs, err := b.registry.Regions(ctx)
				if err != nil {
					return nil, err
				}
				var out []dialog.Choice
				for _, r := range rs {
					if r.Level == registry.LevelTown {
						out = append(out, dialog.Choice{Key: strconv.FormatInt(r.ID, 10), Label: r.Name,
							Aliases: []string{strings.TrimRight(r.Name, "镇街道")}})
					}
				}
				return out, nil
			}},
		{Key: sIncidentWhat, Kind: dialog.KindText, Title: "事件情况", Help: msgHelpIncidentWhat,
			Prompt: func(context.Context, *dialog.Session) (string, error) { return msgIncidentWhat, nil }},
		{Key: sIncidentAffected, Kind: dialog.KindNumber, Skippable: true, Help: msgHelpIncidentCount,
			Prompt: func(context.Context, *dialog.Session) (string, error) { return msgIncidentAffected, nil },
			Validate: func(_ context.Context, _ *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
				if !v.Skipped && (v.Number < 0 || v.Number > 100000 || v.Number != float64(int(v.Number))) {
					return v, msgIncidentBadCount, nil
				}
				return v, "", nil
			}},
		{Key: sIncidentPhotos, Kind: dialog.KindPhoto, Multi: true, Skippable: true, Help: msgHelpIssuePhoto,
			Prompt: func(context.Context, *dialog.Session) (string, error) { return msgIncidentPhotos, nil }},
		{Key: sIncidentLocation, Kind: dialog.KindLocation, Skippable: true, Help: msgHelpIncidentLoc,
			Prompt: func(context.Context, *dialog.Session) (string, error) { return msgIncidentLocation, nil }},
		{Key: sIncidentConfirm, Kind: dialog.KindYesNo, Help: msgHelpIncidentConf, Menu: []string{"确认", "返回", "取消"},
			Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return b.incidentSummary(ctx, s), nil },
			Validate: func(_ context.Context, _ *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
				if !v.Bool {
					return v, msgIncidentConfirmNo, nil
				}
				return v, "", nil
			}},
	}
}

// incidentBusinessStep asks where: a cadre sees their own businesses
// numbered; anyone may type a few characters of the name; a stranger may
// skip (the town is asked next).
func (b *Bot) incidentBusinessStep(stranger func(*dialog.Session) bool, skippable bool) dialog.Step {
	return dialog.Step{
		Key: sIncidentBiz, Kind: dialog.KindText, Title: "主体名称", Help: msgHelpIncidentBiz,
		// Only a stranger may leave the business out (and name the town).
		Skippable: skippable,
		When:      func(s *dialog.Session) bool { return !incidentOf(s).Preselected },
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			st := incidentOf(s)
			if len(st.Listed) == 0 && st.CadreID != 0 {
				mine, _, err := b.query.Businesses(ctx, query.BusinessFilter{CadreID: st.CadreID, Limit: maxListed})
				if err != nil {
					return "", err
				}
				for _, m := range mine {
					st.Listed = append(st.Listed, m.ID)
				}
			}
			text := msgIncidentBizType
			if len(st.Listed) > 0 {
				lines, err := b.numberedBusinesses(ctx, st.Listed)
				if err != nil {
					return "", err
				}
				text = msgIncidentBizMine + "\n" + lines
			}
			if stranger(s) {
				text += msgIncidentBizSkip
			}
			return text, nil
		},
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			st := incidentOf(s)
			if v.Skipped {
				if !stranger(s) {
					return v, msgIncidentBizType, nil
				}
				st.BusinessID, st.BusinessName = 0, ""
				return v, "", nil
			}
			text := strings.TrimSpace(v.Text)
			if n, err := strconv.Atoi(toASCIIDigits(text)); err == nil {
				if n < 1 || n > len(st.Listed) {
					return v, fmt.Sprintf(msgIncidentBizNumber, max(len(st.Listed), 1)), nil
				}
				return b.pickIncidentBusiness(ctx, st, st.Listed[n-1])
			}
			found, _, err := b.query.Businesses(ctx, query.BusinessFilter{Query: text, Limit: maxPick + 1})
			if err != nil {
				return v, "", err
			}
			switch {
			case len(found) == 0:
				return v, fmt.Sprintf(msgIncidentBizNone, text), nil
			case len(found) == 1:
				return b.pickIncidentBusiness(ctx, st, found[0].ID)
			}
			st.Listed = st.Listed[:0]
			for i, f := range found {
				if i == maxPick {
					break
				}
				st.Listed = append(st.Listed, f.ID)
			}
			return v, msgIncidentBizPick, nil
		},
	}
}

func (b *Bot) pickIncidentBusiness(ctx context.Context, st *incidentState, id int64) (dialog.Value, string, error) {
	biz, err := b.registry.Business(ctx, id)
	if err != nil {
		return dialog.Value{}, "", err
	}
	st.BusinessID, st.BusinessName, st.Listed = biz.ID, biz.Name, nil
	return dialog.Value{Text: strconv.FormatInt(biz.ID, 10)}, "", nil
}

// numberedBusinesses lists businesses as "1. 名称（村）".
func (b *Bot) numberedBusinesses(ctx context.Context, ids []int64) (string, error) {
	lines := make([]string, 0, len(ids))
	for i, id := range ids {
		biz, err := b.registry.Business(ctx, id)
		if err != nil {
			return "", err
		}
		place := ""
		if r, err := b.registry.Region(ctx, biz.RegionID); err == nil {
			place = "（" + r.Name + "）"
		}
		lines = append(lines, fmt.Sprintf("%d. %s%s", i+1, biz.Name, place))
	}
	return strings.Join(lines, "\n"), nil
}

// incidentPlace names where the report says it happened.
func (b *Bot) incidentPlace(ctx context.Context, s *dialog.Session) string {
	if st := incidentOf(s); st.BusinessName != "" {
		return st.BusinessName
	}
	if v, ok := s.Answer(sIncidentTown); ok {
		if id, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
			if r, err := b.registry.Region(ctx, id); err == nil {
				return r.Name + "（" + msgIncidentNoPlace + "）"
			}
		}
	}
	return msgIncidentNoPlace
}

func (b *Bot) incidentSummary(ctx context.Context, s *dialog.Session) string {
	kind := incident.Kind(answerText(s, sIncidentKind)).Label()
	affected := msgIncidentUnknown
	if v, ok := s.Answer(sIncidentAffected); ok && !v.Skipped {
		affected = fmt.Sprintf("%d人", int(v.Number))
	}
	photos := 0
	if v, ok := s.Answer(sIncidentPhotos); ok {
		photos = len(v.Photos)
	}
	loc := msgIncidentNotSent
	if v, ok := s.Answer(sIncidentLocation); ok && v.Location != nil {
		loc = msgIncidentSent
		if v.Location.Label != "" {
			loc = v.Location.Label
		}
	}
	return fmt.Sprintf(msgIncidentConfirm, kind, b.incidentPlace(ctx, s), answerText(s, sIncidentWhat), affected, photos, loc)
}

// submitIncident stores the report under the conversation's id and says
// which office was told.
func (b *Bot) submitIncident(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
	st := incidentOf(s)
	r := incident.Report{Key: "chat:" + s.ID, Kind: incident.Kind(answerText(s, sIncidentKind)), BusinessID: st.BusinessID,
		Description: answerText(s, sIncidentWhat), Affected: -1, Reporter: registry.Actor(st.Reporter), StrangerRef: st.Stranger}
	if st.BusinessID == 0 {
		r.RegionID, _ = strconv.ParseInt(answerText(s, sIncidentTown), 10, 64)
	}
	if v, ok := s.Answer(sIncidentAffected); ok && !v.Skipped {
		r.Affected = int(v.Number)
	}
	if v, ok := s.Answer(sIncidentPhotos); ok {
		for _, p := range v.Photos {
			r.Photos = append(r.Photos, supervision.PhotoInput{MediaID: p.MediaID, PicURL: p.PicURL, ReceivedAt: p.At})
		}
	}
	if v, ok := s.Answer(sIncidentLocation); ok && v.Location != nil {
		r.Location = &supervision.Location{Lat: v.Location.Lat, Lng: v.Location.Lng, Label: v.Location.Label}
		r.Place = v.Location.Label
	}
	inc, created, err := b.incidents.Report(ctx, r)
	if err != nil {
		return dialog.Reply{}, err
	}
	if !created {
		return dialog.Reply{Text: fmt.Sprintf(msgIncidentAgain, inc.ID), Done: true}, nil
	}
	office, phone := "食安办", ""
	if o, err := b.registry.Office(ctx, inc.OfficeID); err == nil {
		office, phone = o.Name, o.Phone
	}
	if r.Reporter == "" {
		return dialog.Reply{Text: fmt.Sprintf(msgIncidentDoneAnon, inc.ID, office, office, phone), Done: true}, nil
	}
	return dialog.Reply{Text: fmt.Sprintf(msgIncidentDone, inc.ID, office), Done: true}, nil
}

// isIncidentCommand reports whether text starts an incident report.
func isIncidentCommand(text string) bool { return incidentCommands[strings.TrimSpace(text)] }
