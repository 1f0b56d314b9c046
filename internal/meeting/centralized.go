package meeting

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Result is the presiding cadre's short result for one business at a
// 集中督导.
type Result struct {
	BusinessID int64
	// Passed is 合格; otherwise ItemID names the quick-check item found
	// wanting and Note says what (it becomes the finding, with the rules'
	// default deadline).
	Passed bool
	ItemID string
	Note   string
}

// Outcome is what became of one result.
type Outcome struct {
	BusinessID int64
	Business   string
	VisitID    int64
	// Created is false when the result had been recorded before.
	Created bool
	// Err is why the business's result was not recorded, in words.
	Err string
}

// RecordResults turns a 集中督导's results into supervision visits of mode
// 集中督导, one per attending business, each through supervision's Submit
// with a key made of the meeting and the business — so recording again
// (a double click, a retry) stores nothing twice — and files each under
// the meeting, which is the visit's evidence. The visit is the business's
// packing cadre's (coverage is his), its remarks name the meeting and who
// presided. A business that did not check in, or that supervision refuses
// (deregistered, unassigned), gets its reason in the outcome; the others
// are recorded. Invalid for a meeting that is not a 集中督导 or has not
// begun; NotFound outside scopePath.
func (s *Service) RecordResults(ctx context.Context, scopePath string, meetingID int64, results []Result, by registry.Actor) ([]Outcome, error) {
	m, err := s.Get(ctx, scopePath, meetingID)
	if err != nil {
		return nil, err
	}
	if m.Kind != KindCentralized {
		return nil, errs.E(errs.Invalid, msgNotCentralized)
	}
	now := s.now()
	if now.Before(m.StartsAt) {
		return nil, errs.E(errs.Invalid, msgNotBegun)
	}
	presiding := ""
	if m.PresidingCadreID != nil {
		if c, err := s.d.Registry.Cadre(ctx, *m.PresidingCadreID); err == nil {
			presiding = c.Name
		}
	}
	quick := map[string]bool{}
	for _, it := range s.d.Visits.Checklists().Quick() {
		quick[it.ID] = true
	}
	out := make([]Outcome, 0, len(results))
	for _, r := range results {
		o := Outcome{BusinessID: r.BusinessID}
		b, err := s.d.Registry.Business(ctx, r.BusinessID)
		if err != nil {
			o.Err = errs.MessageOf(err)
			out = append(out, o)
			continue
		}
		o.Business = b.Name
		p, err := s.person(ctx, m.ID, subject{Kind: PersonBusiness, SubjectID: b.ID})
		if err != nil {
			return out, err
		}
		if p == nil || p.CheckedInAt == nil {
			o.Err = msgNotAttended
			out = append(out, o)
			continue
		}
		in, err := s.visitInput(ctx, m, b, r, quick, presiding, now)
		if err != nil {
			o.Err = errs.MessageOf(err)
			out = append(out, o)
			continue
		}
		v, created, err := s.d.Visits.Submit(ctx, in)
		if err != nil {
			if errs.KindOf(err) == errs.Internal {
				return out, err
			}
			o.Err = errs.MessageOf(err)
			out = append(out, o)
			continue
		}
		o.VisitID, o.Created = v.ID, created
		err = s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
			res := tx.Clauses(onConflictIgnore(tx)).Table("meeting_results").Create(map[string]any{
				"meeting_id": m.ID, "business_id": b.ID, "passed": r.Passed, "note": strings.TrimSpace(r.Note),
				"visit_id": v.ID, "recorded_by": string(by), "recorded_at": now,
			})
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			return audit.Record(tx, audit.Entry{Actor: string(by), Action: "meeting.result", SubjectType: "meeting", SubjectID: m.ID,
				Detail: fmt.Sprintf(msgAuditResult, m.Title, b.Name, resultWord(r.Passed)), ScopePath: m.RegionPath, At: now})
		})
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}

func resultWord(passed bool) string {
	if passed {
		return "合格"
	}
	return "发现问题"
}

// visitInput is the visit a result becomes: the quick check, every item
// in order but the one found wanting.
func (s *Service) visitInput(ctx context.Context, m *Meeting, b *registry.Business, r Result, quick map[string]bool, presiding string, now time.Time) (supervision.VisitInput, error) {
	a, err := s.d.Registry.CurrentAssignment(ctx, b.ID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return supervision.VisitInput{}, errs.E(errs.Invalid, msgNoPacker, b.Name)
		}
		return supervision.VisitInput{}, err
	}
	note := strings.TrimSpace(r.Note)
	if !r.Passed && (!quick[r.ItemID] || note == "") {
		return supervision.VisitInput{}, errs.E(errs.Invalid, msgResultNeedsIssue, b.Name)
	}
	in := supervision.VisitInput{
		SubmissionKey: fmt.Sprintf("meeting-%d-%d", m.ID, b.ID), BusinessID: b.ID, CadreID: a.CadreID,
		Mode: supervision.ModeCentralized, Check: supervision.CheckQuick, StartedAt: m.StartsAt,
		Source: registry.SourceConsole, Remarks: visitRemarks(m, presiding),
	}
	for _, it := range s.d.Visits.Checklists().Quick() {
		res := supervision.ResultOK
		if !r.Passed && it.ID == r.ItemID {
			res = supervision.ResultIssue
		}
		in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: res})
	}
	if !r.Passed {
		days := s.d.Visits.Rules().DeadlineDays
		in.Findings = []supervision.FindingInput{{ItemID: r.ItemID, Description: note, Requirement: msgResultRequirement,
			Deadline: now.AddDate(0, 0, days)}}
	}
	return in, nil
}

// visitRemarks names the meeting a 集中督导 visit was made at (its
// evidence) and who presided.
func visitRemarks(m *Meeting, presiding string) string {
	r := fmt.Sprintf(msgVisitRemarks, m.Title, m.When(), m.ID)
	if presiding != "" {
		r += fmt.Sprintf(msgVisitPresiding, presiding)
	}
	return r
}
