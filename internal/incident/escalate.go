package incident

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/kv"
)

// escalateBatch bounds one sweep; the next sweep takes the rest.
const escalateBatch = 100

// EscalateDue escalates every open incident whose step is past its
// deadline and not yet escalated in that state: the office that must act
// is told again, and the office above it is told to see to it, urgently;
// each incident once per state (a conditional update in the same
// transaction as the messages, whose keys also name the state). With a kv
// store it runs under a leader lock, so one instance sweeps at a time;
// Skipped says another held it. err is for the stores failing.
func (s *Service) EscalateDue(ctx context.Context, store kv.Store) (escalated int, skipped bool, err error) {
	if store != nil {
		lock, err := kv.TryLock(ctx, store, "incident:escalate:leader", time.Minute)
		if errors.Is(err, kv.ErrLocked) {
			return 0, true, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("incident escalation lock: %w", err)
		}
		defer lock.Release(context.WithoutCancel(ctx))
	}
	now := s.now()
	var due []Incident
	err = s.d.DB.Gorm(ctx).Where("state IN ? AND due_at <= ? AND escalated_state <> state",
		[]string{string(Reported), string(Accepted), string(Handling)}, now).Order("due_at, id").Limit(escalateBatch).Find(&due).Error
	if err != nil {
		return 0, false, fmt.Errorf("incidents due: %w", db.Translate(err))
	}
	for i := range due {
		ok, err := s.escalate(ctx, &due[i])
		if err != nil {
			return escalated, false, err
		}
		if ok {
			escalated++
		}
	}
	return escalated, false, nil
}

func (s *Service) escalate(ctx context.Context, inc *Incident) (bool, error) {
	first, err := s.d.Registry.Office(ctx, inc.OfficeID)
	if err != nil {
		return false, err
	}
	town, err := s.officeWithManagers(ctx, first)
	if err != nil {
		return false, err
	}
	up, err := s.officeAbove(ctx, *first)
	if err != nil {
		return false, err
	}
	where := s.place(ctx, inc)
	verb := inc.State.Verb()
	act := fmt.Sprintf(msgMustActNow, town.who(), verb)
	supervisor := town
	if up != nil {
		if supervisor, err = s.officeWithManagers(ctx, up); err != nil {
			return false, err
		}
		act += fmt.Sprintf(msgSupervise, supervisor.Name)
	}
	title := fmt.Sprintf(msgEscalatedTitle, inc.Kind.Label())
	text := fmt.Sprintf(msgEscalatedText, where, inc.Kind.Label(), inc.State.Label(), chinaTime(inc.StateAt),
		chinaTime(*inc.DueAt), verb, act)
	stage := "overdue-" + string(inc.State)
	msgs := s.toOffice(inc, town, town.Name, KindEscalated, stage, title, text, act, where)
	if up != nil {
		msgs = append(msgs, s.toOffice(inc, supervisor, town.Name, KindEscalated, stage, title, text, act, where)...)
	}
	msgs = s.addressed(msgs, inc.ID, inc.State, town.Office, supervisor.Office)
	done := false
	err = s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Incident{}).Where("id = ? AND state = ? AND escalated_state <> ?", inc.ID, string(inc.State), string(inc.State)).
			Update("escalated_state", string(inc.State))
		if res.Error != nil || res.RowsAffected != 1 {
			// Moved on or escalated meanwhile: nothing to say.
			return res.Error
		}
		done = true
		if err := s.auditTx(tx, inc, "system", "incident.escalate",
			fmt.Sprintf("%s：%s超过时限未%s，已督办", inc.Kind.Label(), inc.State.Label(), verb)); err != nil {
			return err
		}
		_, err := s.d.Outbox.EnqueueTx(tx, msgs...)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("escalate incident %d: %w", inc.ID, db.Translate(err))
	}
	return done, nil
}
