package selfcheck

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Authorize says whether reader may read a business's records: one of its
// own contacts, or the cadre who packs it now. Forbidden for anyone else
// (another business, a former cadre); NotFound for an unknown business.
func (s *Service) Authorize(ctx context.Context, businessID int64, reader registry.Actor) error {
	if _, err := s.d.Registry.Business(ctx, businessID); err != nil {
		return err
	}
	kind, idText, _ := strings.Cut(string(reader), ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.Forbidden, msgForbidden)
	}
	switch kind {
	case "contact":
		c, err := s.d.Accounts.Contact(ctx, id)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil && c.BusinessID == businessID {
			return nil
		}
	case "cadre":
		a, err := s.d.Registry.CurrentAssignment(ctx, businessID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil && a.CadreID == id {
			return nil
		}
	}
	return errs.E(errs.Forbidden, msgForbidden)
}

// LedgerDay is one day of a month's daily records; Record is nil for a day
// without one.
type LedgerDay struct {
	Date   time.Time
	Record *Record
	// Future marks a day still to come.
	Future bool
}

// Ledger is a business's self-check ledger (台账) for one month, as the
// H5 page and its print show it.
type Ledger struct {
	Business registry.Business
	Month    Period
	Days     []LedgerDay
	// Weeks are the reviews of the weeks ending in the month.
	Weeks    []Record
	Dispatch *Record
	Figures  *MonthFigures
	// History lists every revision of the month's amended records, oldest
	// first, so an inspector sees what was changed and when.
	History []Revision
	// Photos are the month's photos by record id, of all its revisions.
	Photos map[int64][]Photo
	// PrevMonth and NextMonth are the neighbouring months' keys ("" for a
	// month still to come).
	PrevMonth, NextMonth string
}

// Ledger returns a business's records of month (a key like "2026-11";
// "" for this month). Invalid for a malformed month or one still to come;
// NotFound for an unknown business. A handful of queries.
func (s *Service) Ledger(ctx context.Context, businessID int64, month string) (*Ledger, error) {
	b, err := s.d.Registry.Business(ctx, businessID)
	if err != nil {
		return nil, err
	}
	p := PeriodOf(Monthly, s.clock.Now())
	if month != "" {
		if p, err = ParsePeriod(Monthly, month); err != nil {
			return nil, err
		}
	}
	today := s.today()
	if p.Start.After(today) {
		return nil, errs.E(errs.Invalid, msgFuture, "台账")
	}
	var recs []Record
	// Everything of the month: its days, the weeks ending in it, the month.
	err = s.d.DB.Gorm(ctx).Where("business_id = ? AND revision > 0 AND period_end >= ? AND period_end <= ?",
		businessID, p.startKey(), p.endKey()).Order("kind, period").Find(&recs).Error
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	l := &Ledger{Business: *b, Month: p, Photos: map[int64][]Photo{}, PrevMonth: p.Prev().Key}
	if !p.Next().Start.After(today) {
		l.NextMonth = p.Next().Key
	}
	byDay := map[string]*Record{}
	var amended []int64
	for i := range recs {
		r := &recs[i]
		switch r.Kind {
		case Daily:
			byDay[r.Period] = r
		case Weekly:
			l.Weeks = append(l.Weeks, *r)
		case Monthly:
			l.Dispatch = r
		}
		if r.Revision > 1 {
			amended = append(amended, r.ID)
		}
	}
	for d := p.Start; !d.After(p.End); d = d.AddDate(0, 0, 1) {
		l.Days = append(l.Days, LedgerDay{Date: d, Record: byDay[d.Format(dayLayout)], Future: d.After(today)})
	}
	if l.Figures, err = s.MonthFigures(ctx, businessID, p); err != nil {
		return nil, err
	}
	var revs []Revision
	ids := make([]int64, 0, len(recs))
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	if len(ids) > 0 {
		if err := s.d.DB.Gorm(ctx).Where("record_id IN ?", ids).Order("id").Find(&revs).Error; err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
	}
	revIDs := make([]int64, len(revs))
	isAmended := map[int64]bool{}
	for _, id := range amended {
		isAmended[id] = true
	}
	for i, r := range revs {
		revIDs[i] = r.ID
		if isAmended[r.RecordID] {
			l.History = append(l.History, r)
		}
	}
	photos, err := s.PhotosOf(ctx, revIDs)
	if err != nil {
		return nil, err
	}
	// A record shows the photos of its every revision: an amendment that
	// sends no new photo keeps the earlier ones.
	recOf := map[int64]int64{}
	for _, r := range revs {
		recOf[r.ID] = r.RecordID
	}
	for _, ph := range photos {
		l.Photos[recOf[ph.RevisionID]] = append(l.Photos[recOf[ph.RevisionID]], ph)
	}
	return l, nil
}
