package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/visitform"
)

// The visit report's H5 form (全面检查 on one page) runs on the chat's own
// visit flow: the same session and draft, the same checks on each answer
// (dialog.Engine.Fill), and the same Submit with the conversation's id as
// the key, so the chat and the page fill one report and store one visit.

// formLinker is what the bot's Links offer for the form: a signed link to
// the page for a business, for a reader.
type formLinker interface {
	VisitForm(businessID int64, reader registry.Actor, expires time.Time) string
}

// formLinkTTL is how long a form link sent in the chat is good for.
const formLinkTTL = 7 * 24 * time.Hour

// withFormLink adds the link to the form to the first question of a full
// check: the cadre may answer the rest on one page instead.
func (b *Bot) withFormLink(prompt func(context.Context, *dialog.Session) (string, error)) func(context.Context, *dialog.Session) (string, error) {
	fl, ok := b.links.(formLinker)
	if !ok {
		return prompt
	}
	return func(ctx context.Context, s *dialog.Session) (string, error) {
		p, err := prompt(ctx, s)
		if err != nil {
			return "", err
		}
		st := visitOf(s)
		link := fl.VisitForm(st.BusinessID, registry.ActorOf("cadre", st.CadreID), b.clock.Now().Add(formLinkTTL))
		return fmt.Sprintf(msgFormLinkFirst, link) + p, nil
	}
}

// UserLock takes the per-user lock the chat's turns run under and
// returns its release.
type UserLock func(ctx context.Context, channel chat.Channel, userID string) (release func(), err error)

// VisitForms serves the visit form on the chat's visit flow.
type VisitForms struct {
	b    *Bot
	lock UserLock
}

// VisitForms returns the form's service; lock serialises it with the
// user's chat turns.
func (b *Bot) VisitForms(lock UserLock) *VisitForms { return &VisitForms{b: b, lock: lock} }

// Open is the page for who's report on a business: the chat's draft for
// it when there is one. Forbidden when the cadre may not report on it.
func (v *VisitForms) Open(ctx context.Context, who visitform.Who, businessID int64) (*visitform.Page, error) {
	biz, err := v.b.supervision.CheckCanReport(ctx, who.CadreID, businessID)
	if err != nil {
		return nil, err
	}
	p := v.page(biz)
	s, err := v.b.dialog.Peek(ctx, formUser(who))
	if err != nil {
		return nil, err
	}
	switch {
	case s != nil && s.Flow == flowVisit && v.mine(s, who, biz.ID):
		p.Conv, p.Form = s.ID, visitform.Read(s, v.items(biz))
	case s != nil:
		p.Other = v.b.dialog.Label(s)
		if p.Other == "" {
			p.Other = msgFormOtherUnnamed
		}
	}
	return p, nil
}

// Post saves the page's form into the draft (the chat then resumes at
// what is left) and, with Submit, stores the report when it is complete.
func (v *VisitForms) Post(ctx context.Context, who visitform.Who, businessID int64, req visitform.Request) (*visitform.Page, error) {
	biz, err := v.b.supervision.CheckCanReport(ctx, who.CadreID, businessID)
	if err != nil {
		return nil, err
	}
	release, err := v.lock(ctx, who.Channel, who.UserID)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, msgFormBusy)
	}
	defer release()
	p := v.page(biz)
	items := v.items(biz)
	answers, problems := req.Form.Answers(items, req.Submit, clock.China)
	st := &visitState{CadreID: who.CadreID, Preselected: true}
	st.setBusiness(biz)
	res, err := v.b.dialog.Fill(withFormSubmit(ctx), formUser(who), flowVisit, dialog.FillOptions{
		State: st, Conv: req.Conv, Replace: req.Replace,
		Match:   func(s *dialog.Session) bool { return s.Flow == flowVisit && v.mine(s, who, biz.ID) },
		Answers: answers, Submit: req.Submit && len(problems) == 0, Confirm: sConfirm,
	})
	if err != nil {
		return nil, err
	}
	switch {
	case res.Gone:
		// Submitted in the chat (or on another page) meanwhile?
		visit, err := v.b.supervision.VisitByKey(ctx, req.Conv)
		if err != nil {
			return nil, err
		}
		if visit != nil && visit.CadreID == who.CadreID && visit.BusinessID == biz.ID {
			p.Conv, p.Done = req.Conv, &visitform.Done{VisitID: visit.ID}
			return p, nil
		}
		return nil, errs.E(errs.Conflict, msgFormGone)
	case res.Other != nil:
		p.Other = v.b.dialog.Label(res.Other)
		if p.Other == "" {
			p.Other = msgFormOtherUnnamed
		}
		p.Form = req.Form
		return p, nil
	}
	p.Conv, p.Form = res.Session.ID, visitform.Read(res.Session, items)
	if res.Submitted {
		visit, err := v.b.supervision.VisitByKey(ctx, res.Session.ID)
		if err != nil || visit == nil {
			return nil, fmt.Errorf("visit form: stored visit not found: %w", err)
		}
		p.Done = &visitform.Done{VisitID: visit.ID, Receipt: res.Reply.Text}
		return p, nil
	}
	label := func(id string) string { return v.b.supervision.Checklists().Label(id, supervision.CheckFull) }
	p.Problems = problems
	for key, reason := range res.Problems {
		p.Problems = append(p.Problems, visitform.Problem{Field: visitform.Field(key), Text: reason})
	}
	if req.Submit {
		for _, key := range res.Missing {
			if key == sConfirm {
				continue // the page's 提交 is the confirmation
			}
			p.Missing = append(p.Missing, visitform.Problem{Field: visitform.Field(key), Text: visitform.Missing(key, label)})
		}
	}
	return p, nil
}

func (v *VisitForms) page(biz *registry.Business) *visitform.Page {
	p := &visitform.Page{Business: *biz, Letters: v.b.lettersSvc != nil,
		DeadlineDays: v.b.supervision.Rules().DeadlineDays, Today: clock.Date(v.b.clock.Now())}
	p.Form = visitform.Form{Mode: string(supervision.ModeOnsite), Status: visitform.StatusNormal, Items: map[string]visitform.Item{}}
	for i, it := range v.items(biz) {
		p.Items = append(p.Items, visitform.PageItem{N: i + 1, ID: it.ID, Label: it.LabelFor(supervision.CheckFull), PhotoExpected: it.PhotoExpected})
	}
	return p
}

func (v *VisitForms) items(biz *registry.Business) []supervision.Item {
	return v.b.supervision.Checklists().Expected(supervision.CheckFull, biz.Category, biz.Grade)
}

// mine reports whether a visit conversation is who's report on the business.
func (v *VisitForms) mine(s *dialog.Session, who visitform.Who, businessID int64) bool {
	st := visitOf(s)
	return st.CadreID == who.CadreID && st.BusinessID == businessID
}

// formUser is the chat's key for who: the same draft as their chat.
func formUser(who visitform.Who) string {
	return dialogUser(user{in: chat.Inbound{Channel: who.Channel, UserID: who.UserID}})
}

// formSubmitKey marks a report submitted from the form, for submitVisit.
type formSubmitKey struct{}

func withFormSubmit(ctx context.Context) context.Context {
	return context.WithValue(ctx, formSubmitKey{}, true)
}

func fromForm(ctx context.Context) bool {
	v, _ := ctx.Value(formSubmitKey{}).(bool)
	return v
}
