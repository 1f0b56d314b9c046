package selfcheck

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// RateRow is the daily record-keeping of the operating businesses of one
// region (or all of them): Keeping of the Businesses recorded at least one
// day, Recorded business-days were recorded of Businesses × Days.
type RateRow struct {
	ID         int64
	Name       string
	Businesses int
	Keeping    int
	Recorded   int
	Percent    float64
}

// Rates are the daily record-keeping rates of a region subtree over a
// span of days.
type Rates struct {
	From, To time.Time
	Days     int
	Total    RateRow
	// ByVillage is by the region each business is registered in (its
	// village or community), in region order.
	ByVillage []RateRow
}

// maxRateDays bounds the span of a rate query.
const maxRateDays = 366

// RatesByVillage reports how well the operating businesses of a region
// subtree (scopePath is a Region.Path; "" means everywhere) keep their
// daily records from day from to day to (inclusive, China): in total and
// by village. One grouped query, whatever the number of businesses.
// Invalid for a malformed scope or span.
func (s *Service) RatesByVillage(ctx context.Context, scopePath string, from, to time.Time) (*Rates, error) {
	from, to = clock.Date(from), clock.Date(to)
	if scopePath != "" && (!strings.HasPrefix(scopePath, "/") || !strings.HasSuffix(scopePath, "/")) {
		return nil, errs.E(errs.Invalid, msgBadScope)
	}
	days := int(to.Sub(from).Hours()/24+0.5) + 1
	if to.Before(from) || days > maxRateDays {
		return nil, errs.E(errs.Invalid, msgBadSpan, maxRateDays)
	}
	var rows []struct {
		ID                           int64
		Name                         string
		Businesses, Keeping, Records int
	}
	err := s.d.DB.Gorm(ctx).Raw(`
SELECT r.id, r.name, COUNT(*) AS businesses,
	SUM(CASE WHEN d.n IS NULL THEN 0 ELSE 1 END) AS keeping, COALESCE(SUM(d.n), 0) AS records
FROM businesses b JOIN regions r ON r.id = b.region_id
LEFT JOIN (SELECT business_id, COUNT(*) AS n FROM selfcheck_records
	WHERE kind = ? AND period >= ? AND period <= ? AND revision > 0 GROUP BY business_id) d ON d.business_id = b.id
WHERE b.status = ? AND r.path LIKE ?
GROUP BY r.id, r.name`, Daily, from.Format(dayLayout), to.Format(dayLayout), registry.StatusOperating, scopePath+"%").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("selfcheck rates: %w", err)
	}
	out := &Rates{From: from, To: to, Days: days, Total: RateRow{Name: msgTotal}}
	for _, r := range rows {
		row := RateRow{ID: r.ID, Name: r.Name, Businesses: r.Businesses, Keeping: r.Keeping, Recorded: r.Records}
		row.percent(days)
		out.ByVillage = append(out.ByVillage, row)
		out.Total.Businesses += r.Businesses
		out.Total.Keeping += r.Keeping
		out.Total.Recorded += r.Records
	}
	out.Total.percent(days)
	sort.Slice(out.ByVillage, func(i, j int) bool { return out.ByVillage[i].ID < out.ByVillage[j].ID })
	return out, nil
}

func (r *RateRow) percent(days int) {
	if r.Businesses > 0 && days > 0 {
		r.Percent = float64(r.Recorded) * 100 / float64(r.Businesses*days)
	}
}
