package incident

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// SeedDemo adds the demo's incidents, so the pages have something to show
// on the first start: an open suspected poisoning at the first operating
// business of the first town (reported by its cadre two hours ago,
// accepted, being handled), and a closed complaint from a stranger at the
// first operating business of the second town (three days ago, every
// step). Deterministic: the businesses are the lowest ids, the times count
// back from now. They are history, so nobody is notified. Conflict when
// the register has incidents already.
func (s *Service) SeedDemo(ctx context.Context) (int, error) {
	var n int64
	if err := s.d.DB.Gorm(ctx).Model(&Incident{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("demo incidents: %w", err)
	}
	if n > 0 {
		return 0, errs.E(errs.Conflict, "已有应急事件，不再生成演示数据。")
	}
	rs, err := s.d.Registry.Regions(ctx)
	if err != nil {
		return 0, err
	}
	var towns []registry.Region
	for _, r := range rs {
		if r.Level == registry.LevelTown {
			towns = append(towns, r)
		}
	}
	if len(towns) < 2 {
		return 0, nil
	}
	now := s.now().Truncate(time.Minute)
	open, err := s.demoIncident(ctx, towns[0], demoCase{key: "demo:open", kind: Poisoning, desc: "午饭后4名顾客出现腹泻、呕吐，已送医观察。",
		affected: 4, byCadre: true, at: now.Add(-2 * time.Hour), steps: []demoStep{
			{to: Accepted, after: 12 * time.Minute, note: "已受理，通知市场监管所和卫生院。"},
			{to: Handling, after: 40 * time.Minute, note: "执法人员到场，留样已封存送检，后厨暂停供餐。"},
		}})
	if err != nil {
		return 0, err
	}
	closed, err := s.demoIncident(ctx, towns[1], demoCase{key: "demo:closed", kind: Complaint, desc: "顾客反映购买的熟食有异味。",
		affected: 1, at: now.Add(-72 * time.Hour), steps: []demoStep{
			{to: Accepted, after: 3 * time.Hour, note: "已电话联系举报人核实情况。"},
			{to: Handling, after: 5 * time.Hour, note: "现场检查，问题批次已下架。"},
			{to: Closed, after: 26 * time.Hour, note: "问题批次下架销毁，经营者已整改并承诺加强进货查验，已回复举报人。"},
		}})
	if err != nil {
		return 0, err
	}
	return open + closed, nil
}

type demoStep struct {
	to    State
	after time.Duration
	note  string
}

type demoCase struct {
	key      string
	kind     Kind
	desc     string
	affected int
	byCadre  bool
	at       time.Time
	steps    []demoStep
}

func (s *Service) demoIncident(ctx context.Context, town registry.Region, c demoCase) (int, error) {
	var biz registry.Business
	err := s.d.DB.Gorm(ctx).Where("status = ? AND region_id IN (?)", registry.StatusOperating,
		s.d.DB.Gorm(ctx).Model(&registry.Region{}).Select("id").Where("path LIKE ?", escapeLike(town.Path)+"%")).
		Order("id").Take(&biz).Error
	if err != nil {
		return 0, db.NotFoundAs(err, "演示主体不存在")
	}
	office, err := s.d.Registry.OfficeFor(ctx, biz.RegionID)
	if err != nil {
		return 0, err
	}
	ms, err := s.d.Registry.Managers(ctx, office.ID)
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	inc := &Incident{ReportKey: c.key, Kind: c.kind, State: Reported, RegionID: biz.RegionID, BusinessID: biz.ID, BusinessName: biz.Name,
		Description: c.desc, Affected: c.affected, ReporterKind: ReporterStranger, ReporterName: msgStrangerName, ReporterRef: "demo",
		OfficeID: office.ID, StateAt: c.at, CreatedAt: c.at, UpdatedAt: c.at}
	actor := "openid:demo"
	if c.byCadre {
		a, err := s.d.Registry.CurrentAssignment(ctx, biz.ID)
		if err != nil {
			return 0, err
		}
		name, err := s.personName(ctx, "cadre", a.CadreID)
		if err != nil {
			return 0, err
		}
		inc.ReporterKind, inc.ReporterID, inc.ReporterName, inc.Verified, inc.ReporterRef = "cadre", a.CadreID, name, true, ""
		actor = string(registry.ActorOf("cadre", a.CadreID))
	}
	manager := ms[0].Name + "（" + office.Name + "）"
	err = s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(inc).Error; err != nil {
			return err
		}
		evs := []Event{{IncidentID: inc.ID, ToState: string(Reported), Actor: actor, ActorName: inc.ReporterName, Note: c.desc, CreatedAt: c.at}}
		at, state := c.at, Reported
		for _, st := range c.steps {
			at = c.at.Add(st.after)
			evs = append(evs, Event{IncidentID: inc.ID, FromState: string(state), ToState: string(st.to),
				Actor: string(registry.ActorOf("manager", ms[0].ID)), ActorName: manager, Note: st.note, CreatedAt: at})
			state = st.to
		}
		if err := tx.Create(&evs).Error; err != nil {
			return err
		}
		set := map[string]any{"state": string(state), "state_at": at, "updated_at": at, "verified": true}
		if state == Closed {
			set["due_at"], set["closed_at"] = nil, at
		} else {
			set["due_at"] = at.Add(s.d.Settings.Rule(c.kind).Deadline(state))
		}
		return tx.Model(&Incident{}).Where("id = ?", inc.ID).Updates(set).Error
	})
	if err != nil {
		return 0, fmt.Errorf("demo incident: %w", db.Translate(err))
	}
	return 1, nil
}
