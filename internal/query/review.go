package query

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// The review queue (抽查复核): a cycle's visits that its sample drew or that
// carry flags, with their flags, why they were drawn and how they were
// judged. Flags and judgements are review's tables (visit_flags,
// review_samples, visit_reviews); kinds and outcomes are its words, as
// plain strings here — pages name them with review's labels.

// ReviewFilter selects the review queue.
type ReviewFilter struct {
	ScopePath string
	// CycleKey is the cycle whose sample and flags are listed (required).
	CycleKey string
	// Kind keeps the visits with this flag ("" any).
	Kind string
	// RegionPath keeps the visits of businesses in this region (a village
	// or town inside the scope), "" any.
	RegionPath string
	CadreID    int64
	// Outcome keeps the visits judged so ("confirmed", ...), or the ones
	// not judged yet (ReviewPending); "" any.
	Outcome string
	Limit   int
	Offset  int
}

// ReviewPending is ReviewFilter.Outcome for visits nobody judged yet.
const ReviewPending = "pending"

// ReviewLine is a visit of the queue.
type ReviewLine struct {
	VisitLine
	// Kinds are its flags' kinds, each once, in stored order of kind.
	Kinds []string
	// Sampled is why the sample drew it ("random", "flagged"), "" if not.
	Sampled string
	// Outcome is its latest judgement, "" when none.
	Outcome string
}

// reviewWhere selects the queue's visits (aliased v).
func reviewWhere(g *gorm.DB, f ReviewFilter, withKind, withOutcome bool) *gorm.DB {
	q := visitWhere(g, VisitFilter{ScopePath: f.ScopePath, CadreID: f.CadreID}).
		Where("v.cycle_key = ?", f.CycleKey).
		Where("(v.id IN (SELECT s.visit_id FROM review_samples s WHERE s.cycle_key = ?) OR v.id IN (SELECT fl.visit_id FROM visit_flags fl))", f.CycleKey)
	if f.RegionPath != "" {
		q = q.Where("v.business_id IN (SELECT b2.id FROM businesses b2 WHERE "+regionIn("b2.region_id")+")", subtreeArg(f.RegionPath))
	}
	if withKind && f.Kind != "" {
		q = q.Where("v.id IN (SELECT fk.visit_id FROM visit_flags fk WHERE fk.kind = ?)", f.Kind)
	}
	if withOutcome {
		switch f.Outcome {
		case "":
		case ReviewPending:
			q = q.Where("v.id NOT IN (SELECT r.visit_id FROM visit_reviews r)")
		default:
			q = q.Where("v.id IN (SELECT r.visit_id FROM visit_reviews r WHERE r.outcome = ?)", f.Outcome)
		}
	}
	return q
}

func checkReview(f ReviewFilter) error {
	if err := checkScope(f.ScopePath); err != nil {
		return err
	}
	if f.RegionPath != "" {
		return checkScope(f.RegionPath)
	}
	return nil
}

// ReviewQueue lists one page of the queue, the visits not judged yet
// first, then newest first, with the total.
func (r *Reader) ReviewQueue(ctx context.Context, f ReviewFilter) ([]ReviewLine, int64, error) {
	if err := checkReview(f); err != nil {
		return nil, 0, err
	}
	var total int64
	if err := reviewWhere(r.db.Gorm(ctx), f, true, true).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count review queue: %w", db.Translate(err))
	}
	if total == 0 {
		return nil, 0, nil
	}
	var ids []int64
	if err := reviewWhere(r.db.Gorm(ctx), f, true, true).
		Order("CASE WHEN v.id IN (SELECT r.visit_id FROM visit_reviews r) THEN 1 ELSE 0 END, v.submitted_at DESC, v.id DESC").
		Limit(pageLimit(f.Limit, 50, 1000)).Offset(max(f.Offset, 0)).Pluck("v.id", &ids).Error; err != nil {
		return nil, 0, fmt.Errorf("find review queue: %w", db.Translate(err))
	}
	lines, err := r.visitLines(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]ReviewLine, len(lines))
	at := make(map[int64]*ReviewLine, len(lines))
	for i, l := range lines {
		out[i] = ReviewLine{VisitLine: l}
		at[l.ID] = &out[i]
	}
	var flags []struct {
		VisitID int64
		Kind    string
	}
	if err := r.db.Gorm(ctx).Raw(`SELECT DISTINCT visit_id, kind FROM visit_flags WHERE visit_id IN ? ORDER BY visit_id, kind`, ids).
		Scan(&flags).Error; err != nil {
		return nil, 0, fmt.Errorf("find review queue: flags: %w", db.Translate(err))
	}
	for _, fl := range flags {
		at[fl.VisitID].Kinds = append(at[fl.VisitID].Kinds, fl.Kind)
	}
	var samples []struct {
		VisitID int64
		Reason  string
	}
	if err := r.db.Gorm(ctx).Raw(`SELECT visit_id, reason FROM review_samples WHERE cycle_key = ? AND visit_id IN ?`, f.CycleKey, ids).
		Scan(&samples).Error; err != nil {
		return nil, 0, fmt.Errorf("find review queue: samples: %w", db.Translate(err))
	}
	for _, s := range samples {
		at[s.VisitID].Sampled = s.Reason
	}
	var judged []struct {
		VisitID int64
		Outcome string
	}
	if err := r.db.Gorm(ctx).Raw(`SELECT visit_id, outcome FROM visit_reviews WHERE visit_id IN ?`, ids).Scan(&judged).Error; err != nil {
		return nil, 0, fmt.Errorf("find review queue: judgements: %w", db.Translate(err))
	}
	for _, j := range judged {
		at[j.VisitID].Outcome = j.Outcome
	}
	return out, total, nil
}

// ReviewFigures are the queue's figures for the page's head.
type ReviewFigures struct {
	// ByKind counts the flagged visits per kind (kinds with none left out).
	ByKind map[string]int
	// ByCadre are the cadres with the most flagged visits, most first.
	ByCadre []CadreFlagged
	// ByVillage are the villages with the most flagged visits, most first.
	ByVillage []VillageFlagged
	Queue     int
	Judged    int
	False     int
}

// CadreFlagged is a cadre and how many of their visits carry flags.
type CadreFlagged struct {
	CadreID int64
	Name    string
	Flagged int
}

// VillageFlagged is a village and how many visits to its businesses carry
// flags.
type VillageFlagged struct {
	RegionID int64
	Name     string
	Flagged  int
}

// ReviewFigures counts the queue f selects (its Kind and Outcome aside):
// six queries.
func (r *Reader) ReviewFigures(ctx context.Context, f ReviewFilter) (ReviewFigures, error) {
	out := ReviewFigures{ByKind: map[string]int{}}
	if err := checkReview(f); err != nil {
		return out, err
	}
	g := r.db.Gorm(ctx)
	ids := reviewWhere(g, f, false, false).Select("v.id")
	var kinds []struct {
		Kind string
		N    int
	}
	if err := g.Raw(`SELECT kind, COUNT(DISTINCT visit_id) AS n FROM visit_flags WHERE visit_id IN (?) GROUP BY kind`, ids).
		Scan(&kinds).Error; err != nil {
		return out, fmt.Errorf("count flags: %w", db.Translate(err))
	}
	for _, k := range kinds {
		out.ByKind[k.Kind] = k.N
	}
	if err := g.Raw(`SELECT v.cadre_id, COALESCE(c.name, '') AS name, COUNT(*) AS flagged FROM visits v
		LEFT JOIN cadres c ON c.id = v.cadre_id
		WHERE v.id IN (?) AND v.id IN (SELECT visit_id FROM visit_flags)
		GROUP BY v.cadre_id, c.name ORDER BY flagged DESC, v.cadre_id LIMIT 10`, reviewWhere(g, f, false, false).Select("v.id")).
		Scan(&out.ByCadre).Error; err != nil {
		return out, fmt.Errorf("count flags by cadre: %w", db.Translate(err))
	}
	if err := g.Raw(`SELECT b.region_id, r.name, COUNT(*) AS flagged FROM visits v
		JOIN businesses b ON b.id = v.business_id JOIN regions r ON r.id = b.region_id
		WHERE v.id IN (?) AND v.id IN (SELECT visit_id FROM visit_flags)
		GROUP BY b.region_id, r.name ORDER BY flagged DESC, b.region_id LIMIT 10`, reviewWhere(g, f, false, false).Select("v.id")).
		Scan(&out.ByVillage).Error; err != nil {
		return out, fmt.Errorf("count flags by village: %w", db.Translate(err))
	}
	var n int64
	if err := reviewWhere(g, f, false, false).Count(&n).Error; err != nil {
		return out, fmt.Errorf("count review queue: %w", db.Translate(err))
	}
	out.Queue = int(n)
	var judged []struct {
		Outcome string
		N       int
	}
	if err := g.Raw(`SELECT outcome, COUNT(*) AS n FROM visit_reviews WHERE visit_id IN (?) GROUP BY outcome`,
		reviewWhere(g, f, false, false).Select("v.id")).Scan(&judged).Error; err != nil {
		return out, fmt.Errorf("count judgements: %w", db.Translate(err))
	}
	for _, j := range judged {
		out.Judged += j.N
		if j.Outcome == "false" {
			out.False = j.N
		}
	}
	return out, nil
}

// DayStop is one visit of a cadre's day, with where it was reported from
// and where its business is registered.
type DayStop struct {
	VisitID     int64
	BusinessID  int64
	Business    string
	Mode        string
	SubmittedAt time.Time
	Lat, Lng    *float64
	BizLat      *float64
	BizLng      *float64
	DistanceM   *float64
	Far         bool
}

// CadreDay lists the current visits of a cadre between from and to (a
// day), oldest first, in the scope: the timeline a reviewer reads a
// flagged visit against. One query.
func (r *Reader) CadreDay(ctx context.Context, scopePath string, cadreID int64, from, to time.Time) ([]DayStop, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	var rows []DayStop
	err := visitWhere(r.db.Gorm(ctx), VisitFilter{ScopePath: scopePath, CadreID: cadreID, From: from, To: to}).
		Select(`v.id AS visit_id, v.business_id, b.name AS business, v.mode, v.submitted_at, v.latitude AS lat, v.longitude AS lng,
		b.latitude AS biz_lat, b.longitude AS biz_lng, v.distance_m, v.far`).
		Joins("JOIN businesses b ON b.id = v.business_id").
		Order("v.submitted_at, v.id").Limit(200).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("cadre's day: %w", db.Translate(err))
	}
	return rows, nil
}

// FlagLine is one flag of a visit with the other visit it points at, when
// that one lies in the reader's scope (else Other is set and OtherInScope
// false: the page says "another office's visit" and shows nothing of it).
type FlagLine struct {
	Kind         string
	Detail       string
	Other        int64
	OtherInScope bool
	OtherLine    VisitLine
}

// VisitFlags lists a visit's flags with the other visits they point at.
// The caller has checked the visit itself is in the scope.
func (r *Reader) VisitFlags(ctx context.Context, scopePath string, visitID int64) ([]FlagLine, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	var stored []struct {
		Kind, Detail string
		Other        int64
	}
	if err := r.db.Gorm(ctx).Raw(`SELECT kind, detail, other_visit_id AS other FROM visit_flags WHERE visit_id = ? ORDER BY kind, other_visit_id`, visitID).
		Scan(&stored).Error; err != nil {
		return nil, fmt.Errorf("flags of visit: %w", db.Translate(err))
	}
	rows := make([]FlagLine, len(stored))
	for i, f := range stored {
		rows[i] = FlagLine{Kind: f.Kind, Detail: f.Detail, Other: f.Other}
	}
	var others []int64
	for _, f := range rows {
		if f.Other != 0 {
			others = append(others, f.Other)
		}
	}
	if len(others) > 0 {
		var in []int64
		if err := visitWhere(r.db.Gorm(ctx), VisitFilter{ScopePath: scopePath, All: true}).Where("v.id IN ?", others).
			Pluck("v.id", &in).Error; err != nil {
			return nil, fmt.Errorf("flags of visit: %w", db.Translate(err))
		}
		lines, err := r.visitLines(ctx, in)
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]VisitLine, len(lines))
		for _, l := range lines {
			byID[l.ID] = l
		}
		for i := range rows {
			if l, ok := byID[rows[i].Other]; ok {
				rows[i].OtherInScope, rows[i].OtherLine = true, l
			}
		}
	}
	return rows, nil
}

// VisitReview is a visit's place in the re-check: why a sample drew it
// and its latest judgement.
type VisitReview struct {
	Sampled    string
	Cycle      string
	Outcome    string
	Note       string
	Reviewer   string
	ReviewedAt time.Time
}

// ReviewOf reads a visit's sample and judgement (the caller has checked
// its scope). Two queries.
func (r *Reader) ReviewOf(ctx context.Context, visitID int64) (VisitReview, error) {
	var out VisitReview
	var s []struct{ Reason, CycleKey string }
	if err := r.db.Gorm(ctx).Raw(`SELECT reason, cycle_key FROM review_samples WHERE visit_id = ? ORDER BY drawn_at`, visitID).
		Scan(&s).Error; err != nil {
		return out, fmt.Errorf("review of visit: %w", db.Translate(err))
	}
	if len(s) > 0 {
		out.Sampled, out.Cycle = s[0].Reason, s[0].CycleKey
	}
	var j []struct {
		Outcome, Note, Reviewer string
		ReviewedAt              time.Time
	}
	if err := r.db.Gorm(ctx).Raw(`SELECT outcome, note, reviewer, reviewed_at FROM visit_reviews WHERE visit_id = ?`, visitID).
		Scan(&j).Error; err != nil {
		return out, fmt.Errorf("review of visit: %w", db.Translate(err))
	}
	if len(j) > 0 {
		out.Outcome, out.Note, out.Reviewer = j[0].Outcome, j[0].Note, j[0].Reviewer
		out.ReviewedAt = j[0].ReviewedAt
	}
	return out, nil
}

// FlagKinds returns the kinds of the flags of each of the visits (each
// kind once, by name), for lists that show them beside each visit. One
// query; the caller has scoped the ids.
func (r *Reader) FlagKinds(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := make(map[int64][]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		VisitID int64
		Kind    string
	}
	if err := r.db.Gorm(ctx).Raw(`SELECT DISTINCT visit_id, kind FROM visit_flags WHERE visit_id IN ? ORDER BY visit_id, kind`, ids).
		Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("flags of visits: %w", db.Translate(err))
	}
	for _, f := range rows {
		out[f.VisitID] = append(out[f.VisitID], f.Kind)
	}
	return out, nil
}
