package app

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// demoLettersPerTown is how many of each town's visits with open findings
// get the prompt letter a cadre would have sent with them.
const demoLettersPerTown = 6

// seedDemoLoops gives the demo district what an office that has worked in
// the product for a while has on its pages besides visits: prompt letters
// sent with visits that found problems, and one relocation a cadre found
// that waits for the office's decision in each town. They go through the
// features' own paths (IssueForVisit, Submit), so the letters are numbered,
// the requests filed and the audit log written as in real use.
func (s *Services) seedDemoLoops(ctx context.Context) (letters, relocations int, err error) {
	towns, err := s.demoTowns(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, town := range towns {
		n, err := s.seedDemoLetters(ctx, town)
		if err != nil {
			return letters, relocations, fmt.Errorf("letters of %s: %w", town.Name, err)
		}
		letters += n
		ok, err := s.seedDemoRelocation(ctx, town)
		if err != nil {
			return letters, relocations, fmt.Errorf("relocation in %s: %w", town.Name, err)
		}
		if ok {
			relocations++
		}
	}
	return letters, relocations, nil
}

func (s *Services) demoTowns(ctx context.Context) ([]registry.Region, error) {
	regions, err := s.Registry.Regions(ctx)
	if err != nil {
		return nil, err
	}
	var towns []registry.Region
	for _, r := range regions {
		if r.Level == registry.LevelTown {
			towns = append(towns, r)
		}
	}
	return towns, nil
}

// seedDemoLetters issues letters for the town's latest visits that left a
// rectification open, by the cadre who made them (as a cadre who did not
// send it from the visit would from the business's page).
func (s *Services) seedDemoLetters(ctx context.Context, town registry.Region) (int, error) {
	if s.Letters == nil {
		return 0, nil
	}
	var visits []struct {
		ID      int64
		CadreID int64
	}
	err := s.DB.Gorm(ctx).Raw(`
SELECT v.id, v.cadre_id FROM visits v
JOIN businesses b ON b.id = v.business_id
JOIN regions r ON r.id = b.region_id
JOIN findings f ON f.visit_id = v.id
JOIN rectifications x ON x.finding_id = f.id
WHERE v.is_current = ? AND x.status = ? AND r.path LIKE ?
GROUP BY v.id, v.cadre_id, v.submitted_at ORDER BY v.submitted_at DESC, v.id LIMIT ?`,
		true, supervision.StatusOpen, town.Path+"%", demoLettersPerTown).Scan(&visits).Error
	if err != nil {
		return 0, err
	}
	for _, v := range visits {
		if _, err := s.Letters.IssueForVisit(ctx, v.ID, registry.ActorOf("cadre", v.CadreID)); err != nil {
			return 0, err
		}
	}
	return len(visits), nil
}

// seedDemoRelocation has a cadre of the town report, from a quick on-site
// visit, that a business not yet visited this cycle moved to a new
// address: the request then waits on the office's 搬迁 page.
func (s *Services) seedDemoRelocation(ctx context.Context, town registry.Region) (bool, error) {
	var picks []struct {
		BusinessID int64
		CadreID    int64
		Village    string
	}
	err := s.DB.Gorm(ctx).Raw(`
SELECT b.id AS business_id, a.cadre_id, r.name AS village FROM businesses b
JOIN regions r ON r.id = b.region_id
JOIN assignments a ON a.active_business_id = b.id
WHERE r.path LIKE ? AND b.status = ? AND b.latitude IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.business_id = b.id AND v.submitted_at >= ?)
ORDER BY b.id LIMIT 1`,
		town.Path+"%", registry.StatusOperating, s.Clock.Now().AddDate(0, -3, 0).UTC()).Scan(&picks).Error
	if err != nil || len(picks) == 0 {
		return false, err
	}
	p := picks[0]
	biz, err := s.Registry.Business(ctx, p.BusinessID)
	if err != nil {
		return false, err
	}
	var items []supervision.ItemResult
	for _, it := range s.Supervision.Checklists().Quick() {
		items = append(items, supervision.ItemResult{ItemID: it.ID, Result: supervision.ResultOK})
	}
	now := s.Clock.Now()
	_, _, err = s.Supervision.Submit(ctx, supervision.VisitInput{
		SubmissionKey: fmt.Sprintf("demo-relocation-%d", p.BusinessID),
		BusinessID:    p.BusinessID,
		CadreID:       p.CadreID,
		Mode:          supervision.ModeOnsite,
		Check:         supervision.CheckQuick,
		StartedAt:     now.Add(-25 * time.Minute),
		Items:         items,
		// The cadre stood at the new shop, a few hundred metres away.
		Location:   &supervision.Location{Lat: *biz.Latitude + 0.003, Lng: *biz.Longitude + 0.002},
		StatusSeen: registry.EventRelocated,
		StatusNote: fmt.Sprintf("已搬至%s新街%d号，原址已停止经营", p.Village, 10+p.BusinessID%80),
		Source:     registry.SourceSeed,
	})
	return err == nil, err
}
