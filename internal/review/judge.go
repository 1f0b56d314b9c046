package review

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Outcome is a reviewer's judgement of a visit.
type Outcome string

// Outcomes (抽查复核).
const (
	Confirmed Outcome = "confirmed" // 属实
	Doubtful  Outcome = "doubtful"  // 存疑
	False     Outcome = "false"     // 不属实: the visit stops counting towards coverage
)

// Outcomes lists them in the order the form offers them.
var Outcomes = []Outcome{Confirmed, Doubtful, False}

// Label is the outcome in the office's words.
func (o Outcome) Label() string {
	switch o {
	case Confirmed:
		return "属实"
	case Doubtful:
		return "存疑"
	case False:
		return "不属实"
	}
	return "未复核"
}

// ParseOutcome reads an outcome by its name or its Chinese label.
func ParseOutcome(s string) (Outcome, bool) {
	s = strings.TrimSpace(s)
	for _, o := range Outcomes {
		if s == string(o) || s == o.Label() {
			return o, true
		}
	}
	return "", false
}

// Counter takes a visit off coverage or puts it back, in a transaction
// (supervision owns the visits; supervision.Service implements it).
type Counter interface {
	SetCountedTx(tx *gorm.DB, visitID int64, counted bool, by registry.Actor, reason string) error
}

// Judgement is the latest review of a visit.
type Judgement struct {
	VisitID  int64
	Outcome  Outcome
	Note     string
	Reviewer string
}

const maxNote = 500

// Judge records a reviewer's judgement of a visit. 不属实 needs a note (the
// reason) and takes the visit off coverage; 属实 or 存疑 after an earlier
// 不属实 puts it back. The judgement and the coverage change are one
// transaction and audited. The caller has checked the visit is in the
// reviewer's scope.
func (s *Service) Judge(ctx context.Context, counter Counter, visitID int64, o Outcome, note string, by registry.Actor) error {
	note = strings.TrimSpace(note)
	switch {
	case !isOutcome(o):
		return errs.E(errs.Invalid, msgBadOutcome)
	case o == False && note == "":
		return errs.E(errs.Invalid, msgFalseNeedsNote)
	case utf8.RuneCountInString(note) > maxNote:
		return errs.E(errs.Invalid, msgNoteTooLong, maxNote)
	}
	now := s.clock.Now().UTC()
	return db.Translate(s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM visit_reviews WHERE visit_id = ?", visitID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO visit_reviews (visit_id, outcome, note, reviewer, reviewed_at) VALUES (?, ?, ?, ?, ?)`,
			visitID, string(o), note, string(by), now).Error; err != nil {
			return err
		}
		reason := o.Label()
		if note != "" {
			reason += "：" + note
		}
		// Every judgement is audited, not only the ones that change
		// coverage: an office must be able to show who checked what.
		var biz []int64
		if err := tx.Raw("SELECT business_id FROM visits WHERE id = ?", visitID).Scan(&biz).Error; err != nil {
			return err
		}
		if len(biz) == 0 {
			return errs.E(errs.NotFound, msgVisitNotFound)
		}
		if err := registry.AuditTx(tx, audit.Entry{At: now, Actor: string(by), Action: "visit.review",
			SubjectType: registry.AuditBusiness, SubjectID: biz[0], Detail: fmt.Sprintf("reviews visit %d: %s", visitID, reason)}); err != nil {
			return err
		}
		return counter.SetCountedTx(tx, visitID, o != False, by, reason)
	}))
}

// JudgementOf returns the latest judgement of a visit; ok is false when
// it has none.
func (s *Service) JudgementOf(ctx context.Context, visitID int64) (Judgement, bool, error) {
	var rows []struct {
		Outcome, Note, Reviewer string
	}
	if err := s.db.Gorm(ctx).Raw(`SELECT outcome, note, reviewer FROM visit_reviews WHERE visit_id = ?`, visitID).
		Scan(&rows).Error; err != nil {
		return Judgement{}, false, db.Translate(err)
	}
	if len(rows) == 0 {
		return Judgement{}, false, nil
	}
	return Judgement{VisitID: visitID, Outcome: Outcome(rows[0].Outcome), Note: rows[0].Note, Reviewer: rows[0].Reviewer}, true, nil
}

// FlagsOf returns the flags of a visit, in the order of Kinds.
func (s *Service) FlagsOf(ctx context.Context, visitID int64) ([]Flag, error) {
	var rows []struct {
		Kind         string
		OtherVisitID int64
		Detail       string
	}
	if err := s.db.Gorm(ctx).Raw(`SELECT kind, other_visit_id, detail FROM visit_flags WHERE visit_id = ?`, visitID).
		Scan(&rows).Error; err != nil {
		return nil, db.Translate(err)
	}
	var out []Flag
	for _, k := range Kinds {
		for _, r := range rows {
			if r.Kind == string(k) {
				out = append(out, Flag{Kind: k, Other: r.OtherVisitID, Detail: r.Detail})
			}
		}
	}
	return out, nil
}

func isOutcome(o Outcome) bool {
	for _, x := range Outcomes {
		if o == x {
			return true
		}
	}
	return false
}

// Messages.
const (
	msgBadOutcome     = "请选择复核结果：属实、存疑或不属实。"
	msgFalseNeedsNote = "认定“不属实”时请写明理由。"
	msgNoteTooLong    = "复核说明最多%d字。"
	msgVisitNotFound  = "没有这条督导记录。"
)
