package meeting

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// DemoSummary says what SeedDemo wrote.
type DemoSummary struct {
	Meetings, Invited, CheckedIn, Attempts, Visits int
}

// demoTown is a town of the demo district with where its businesses are.
type demoTown struct {
	ID       int64
	Path     string
	Lat, Lng float64
}

// SeedDemo gives the demo district its meetings, drawn from rnd (the same
// source over the same register gives the same meetings): a 干部培训 of
// 胡埭镇's cadres a week ago, most checked in by the QR code and most of
// them through the quiz, a few excused; a 主体培训 of 蠡湖街道's catering
// businesses in three days, its invitations in the outbox and some
// replies in; and a 集中督导 in one village of 胡埭镇 a few days ago,
// each attending business's result stored as a visit of mode 集中督导
// (written as the bulk loader writes the demo's visits, keyed as
// RecordResults keys them), so they are covered. Conflict when there are
// meetings already; nothing when the register has no such towns.
func (s *Service) SeedDemo(ctx context.Context, rnd *rand.Rand, visits *supervision.Service) (*DemoSummary, error) {
	var n int64
	if err := s.d.DB.Gorm(ctx).Model(&Meeting{}).Count(&n).Error; err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, errs.E(errs.Conflict, "demo meetings: there are meetings already")
	}
	hudai, ok1, err := s.demoTown(ctx, "胡埭镇")
	if err != nil {
		return nil, err
	}
	lihu, ok2, err := s.demoTown(ctx, "蠡湖街道")
	if err != nil || !ok1 || !ok2 {
		return &DemoSummary{}, err
	}
	sum := &DemoSummary{}
	now := s.now()
	err = s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		g := &demoGen{s: s, tx: tx, r: rnd, now: now, sum: sum}
		if err := g.training(hudai); err != nil {
			return err
		}
		if err := g.batch(lihu); err != nil {
			return err
		}
		return g.centralized(hudai, visits)
	})
	if err != nil {
		return nil, fmt.Errorf("demo meetings: %w", err)
	}
	return sum, nil
}

func (s *Service) demoTown(ctx context.Context, name string) (demoTown, bool, error) {
	var t demoTown
	q := s.d.DB.Gorm(ctx)
	err := q.Raw(`SELECT id, path FROM regions WHERE name = ? AND level = ? ORDER BY id LIMIT 1`, name, registry.LevelTown).Scan(&t).Error
	if err != nil || t.ID == 0 {
		return t, false, err
	}
	// The venue is put at the middle of the town's businesses.
	var mid struct{ Lat, Lng float64 }
	err = q.Raw(`SELECT COALESCE(AVG(b.latitude), 0) AS lat, COALESCE(AVG(b.longitude), 0) AS lng FROM businesses b
		JOIN regions r ON r.id = b.region_id WHERE r.path LIKE ?`, t.Path+"%").Scan(&mid).Error
	t.Lat, t.Lng = math.Round(mid.Lat*1e6)/1e6, math.Round(mid.Lng*1e6)/1e6
	return t, true, err
}

type demoGen struct {
	s   *Service
	tx  *gorm.DB
	r   *rand.Rand
	now time.Time
	sum *DemoSummary
}

// dayAt is a China wall-clock time days from now.
func (g *demoGen) dayAt(days, hh, mm int) time.Time {
	d := clock.Date(g.now).AddDate(0, 0, days)
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, clock.China).UTC()
}

func (g *demoGen) meeting(m *Meeting) error {
	office, err := g.officeOf(m.RegionID)
	if err != nil {
		return err
	}
	m.OfficeID, m.CreatedBy = office, "user:admin"
	m.OpensBeforeMin, m.ClosesAfterMin = int(g.s.d.Config.OpensBefore/time.Minute), int(g.s.d.Config.ClosesAfter/time.Minute)
	if m.CreatedAt.IsZero() {
		m.CreatedAt = m.StartsAt.Add(-5 * 24 * time.Hour)
	}
	if m.CreatedAt.After(g.now) {
		m.CreatedAt = g.now
	}
	g.sum.Meetings++
	return g.tx.Create(m).Error
}

func (g *demoGen) officeOf(regionID int64) (int64, error) {
	var ids []int64
	err := g.tx.Raw(`SELECT id FROM offices WHERE region_id = ?`, regionID).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return 0, errs.E(errs.Invalid, "demo meetings: region %d has no office", regionID)
	}
	return ids[0], nil
}

// arrive is a check-in time near the start, and the distance from the venue.
func (g *demoGen) arrive(m *Meeting) (time.Time, *float64) {
	at := m.StartsAt.Add(-time.Duration(g.r.IntN(40)) * time.Minute).Add(time.Duration(g.r.IntN(60)) * time.Second)
	if g.r.IntN(10) > 0 {
		d := math.Round(5 + 75*g.r.Float64())
		return at, &d
	}
	return at, nil
}

var demoExcuses = []string{"外出参加区里培训", "身体不适", "村里有防汛值班", "家中有事"}

func (g *demoGen) training(t demoTown) error {
	start := g.dayAt(-7, 14, 30)
	m := &Meeting{Kind: KindCadreTraining, Title: "包保干部轮训（第四期）", StartsAt: start, EndsAt: start.Add(2 * time.Hour),
		Place: "胡埭镇人民政府三楼会议室", Latitude: &t.Lat, Longitude: &t.Lng, RegionID: t.ID, RegionPath: t.Path,
		Agenda:    "一、关键控制点：场所环境卫生、人员健康管理、采购验收贮存、清洗消毒；二、督导流程与记录要求；三、工作纪律",
		Materials: "督导关键控制点讲义\n包保督导工作纪律十条", RuleText: "胡埭镇全部包保干部", QuizID: "cadre_key_points"}
	m.InvitedAt, m.RemindedDayAt, m.RemindedHoursAt = ptr(start.Add(-5*24*time.Hour)), ptr(start.Add(-20*time.Hour)), ptr(start.Add(-2*time.Hour))
	m.FollowedUpAt = ptr(m.EndsAt.Add(time.Minute))
	if err := g.meeting(m); err != nil {
		return err
	}
	var cadres []int64
	if err := g.tx.Raw(`SELECT c.id FROM cadres c JOIN regions r ON r.id = c.region_id WHERE c.active = ? AND r.path LIKE ? ORDER BY c.id`,
		true, t.Path+"%").Scan(&cadres).Error; err != nil {
		return err
	}
	quiz, _ := g.s.d.Quizzes.Get(m.QuizID)
	var rows []Person
	var attempts []Attempt
	for _, id := range cadres {
		p := Person{MeetingID: m.ID, Kind: PersonCadre, SubjectID: id, Invited: true, CreatedAt: m.CreatedAt}
		replied := ptr(m.CreatedAt.Add(time.Duration(1+g.r.IntN(48)) * time.Hour))
		switch x := g.r.IntN(20); {
		case x < 17:
			at, d := g.arrive(m)
			p.CheckedInAt, p.CheckinVia, p.DistanceM = &at, ViaQR, d
			if x < 14 {
				p.Reply, p.RepliedAt = ReplyAccept, replied
			}
			if quiz != nil && g.r.IntN(5) > 0 {
				attempts = append(attempts, g.attempt(m, quiz, PersonCadre, id))
			}
		case x < 19:
			p.Reply, p.Reason, p.RepliedAt = ReplyExcused, demoExcuses[g.r.IntN(len(demoExcuses))], replied
		}
		rows = append(rows, p)
	}
	return g.insert(rows, attempts)
}

func (g *demoGen) attempt(m *Meeting, q *Quiz, kind PersonKind, id int64) Attempt {
	b := make([]byte, len(q.Questions))
	for i, qu := range q.Questions {
		b[i] = qu.Answer[0]
		if g.r.IntN(7) == 0 {
			b[i] = byte('A' + (int(qu.Answer[0]-'A')+1+g.r.IntN(len(qu.Options)-1))%len(qu.Options))
		}
	}
	_, right, passed, _ := q.Score(string(b))
	return Attempt{MeetingID: m.ID, QuizID: q.ID, Kind: kind, SubjectID: id, Answers: string(b), Score: right,
		Total: len(q.Questions), Passed: passed, TakenAt: m.EndsAt.Add(time.Duration(g.r.IntN(600)) * time.Minute)}
}

func (g *demoGen) insert(rows []Person, attempts []Attempt) error {
	g.sum.Invited += len(rows)
	for _, p := range rows {
		if p.CheckedInAt != nil {
			g.sum.CheckedIn++
		}
	}
	if len(rows) > 0 {
		if err := g.tx.CreateInBatches(rows, 200).Error; err != nil {
			return err
		}
	}
	g.sum.Attempts += len(attempts)
	if len(attempts) > 0 {
		return g.tx.CreateInBatches(attempts, 200).Error
	}
	return nil
}

// batch is the upcoming 主体培训: invitations out through the outbox.
func (g *demoGen) batch(t demoTown) error {
	start := g.dayAt(3, 14, 0)
	m := &Meeting{Kind: KindBusinessTraining, Title: "餐饮服务主体食品安全培训（第二批）", StartsAt: start, EndsAt: start.Add(90 * time.Minute),
		Place: "蠡湖街道社区服务中心二楼多功能厅", Latitude: &t.Lat, Longitude: &t.Lng, RegionID: t.ID, RegionPath: t.Path,
		Agenda:    "一、食品安全主体责任与“日管控、周排查、月调度”；二、进货查验与贮存；三、餐饮具清洗消毒",
		Materials: "餐饮服务食品安全操作规范要点\n日管控记录怎么填", RuleText: "蠡湖街道餐饮服务主体", QuizID: "business_main_duty",
		CreatedAt: g.now.Add(-time.Hour), InvitedAt: ptr(g.now.Add(-time.Hour))}
	if err := g.meeting(m); err != nil {
		return err
	}
	var biz []int64
	if err := g.tx.Raw(`SELECT b.id FROM businesses b JOIN regions r ON r.id = b.region_id WHERE b.status = ? AND b.category = ? AND r.path LIKE ? ORDER BY b.id`,
		registry.StatusOperating, registry.CategoryCatering, t.Path+"%").Scan(&biz).Error; err != nil {
		return err
	}
	rows := make([]Person, 0, len(biz))
	for _, id := range biz {
		p := Person{MeetingID: m.ID, Kind: PersonBusiness, SubjectID: id, Invited: true, CreatedAt: m.CreatedAt}
		switch x := g.r.IntN(10); {
		case x < 3:
			p.Reply, p.RepliedAt = ReplyAccept, ptr(g.now.Add(-time.Duration(g.r.IntN(50))*time.Minute))
		case x < 4:
			p.Reply, p.Reason, p.RepliedAt = ReplyExcused, "店里人手不够，申请下一批", ptr(g.now.Add(-time.Duration(g.r.IntN(50))*time.Minute))
		}
		rows = append(rows, p)
	}
	if err := g.insert(rows, nil); err != nil {
		return err
	}
	if err := g.tx.Where("meeting_id = ?", m.ID).Order("id").Find(&rows).Error; err != nil {
		return err
	}
	var short string
	g.tx.Raw(`SELECT short_name FROM offices WHERE id = ?`, m.OfficeID).Scan(&short)
	return g.s.inviteTx(g.tx, m, short, rows)
}

// centralized is the past 集中督导 in the first village of the town with
// enough businesses: the attending ones covered by visits of mode 集中督导.
func (g *demoGen) centralized(t demoTown, visits *supervision.Service) error {
	start := g.dayAt(-3, 9, 0)
	rules := visits.Rules()
	if rules.CycleFor(registry.GradeD, start).Key != rules.CycleFor(registry.GradeD, g.now).Key {
		start = g.now.Add(-3 * time.Hour)
	}
	type biz struct {
		ID, RegionID, CadreID int64
		Grade                 registry.Grade
		Level                 registry.CadreLevel
		Village               string
	}
	var bs []biz
	if err := g.tx.Raw(`SELECT b.id, b.region_id, a.cadre_id, b.grade, c.level, v.name AS village FROM businesses b
		JOIN regions v ON v.id = b.region_id JOIN assignments a ON a.active_business_id = b.id JOIN cadres c ON c.id = a.cadre_id
		WHERE b.status = ? AND b.grade IN ? AND v.path LIKE ? ORDER BY v.id, b.id`,
		registry.StatusOperating, []registry.Grade{registry.GradeC, registry.GradeD}, t.Path+"%").Scan(&bs).Error; err != nil {
		return err
	}
	if len(bs) == 0 {
		return nil
	}
	village := bs[0].RegionID
	var chosen []biz
	for _, b := range bs {
		if b.RegionID == village && len(chosen) < 12 {
			chosen = append(chosen, b)
		}
	}
	var presiding []struct {
		ID   int64
		Name string
	}
	if err := g.tx.Raw(`SELECT id, name FROM cadres WHERE region_id = ? AND active = ? ORDER BY id LIMIT 1`, t.ID, true).Scan(&presiding).Error; err != nil {
		return err
	}
	who := ""
	m := &Meeting{Kind: KindCentralized, Title: chosen[0].Village + "集中督导", StartsAt: start, EndsAt: start.Add(2 * time.Hour),
		Place: chosen[0].Village + "村民委员会会议室", Latitude: &t.Lat, Longitude: &t.Lng, RegionID: t.ID, RegionPath: t.Path,
		Agenda: "逐户听取主体汇报，查看台账与照片，现场反馈问题", Materials: "集中督导检查要点", RuleText: chosen[0].Village + "小餐饮、小超市（C、D级）",
		InvitedAt: ptr(start.Add(-3 * 24 * time.Hour)), RemindedDayAt: ptr(start.Add(-20 * time.Hour)), RemindedHoursAt: ptr(start.Add(-2 * time.Hour)),
		FollowedUpAt: ptr(start.Add(2*time.Hour + time.Minute)), CreatedAt: start.Add(-4 * 24 * time.Hour)}
	if len(presiding) > 0 {
		m.PresidingCadreID, who = &presiding[0].ID, presiding[0].Name
	}
	if err := g.meeting(m); err != nil {
		return err
	}
	var rows []Person
	var recs []*supervision.VisitRecord
	quick := g.s.d.Visits.Checklists().Quick()
	for i, b := range chosen {
		p := Person{MeetingID: m.ID, Kind: PersonBusiness, SubjectID: b.ID, Invited: true, CreatedAt: m.CreatedAt}
		if i%6 != 5 {
			at, d := g.arrive(m)
			p.CheckedInAt, p.CheckinVia, p.DistanceM = &at, ViaQR, d
			v := supervision.Visit{SubmissionKey: fmt.Sprintf("meeting-%d-%d", m.ID, b.ID), BusinessID: b.ID, CadreID: b.CadreID,
				CadreLevel: b.Level, Grade: b.Grade, CycleKey: rules.CycleFor(b.Grade, m.StartsAt).Key,
				Mode: supervision.ModeCentralized, CheckKind: supervision.CheckQuick, StartedAt: m.StartsAt,
				SubmittedAt: m.EndsAt.Add(-time.Duration(10+i) * time.Minute), Source: registry.SourceSeed, Current: true,
				Remarks: visitRemarks(m, who)}
			rec := &supervision.VisitRecord{Visit: v}
			for _, it := range quick {
				rec.Items = append(rec.Items, supervision.ItemResult{ItemID: it.ID, Result: supervision.ResultOK})
			}
			recs = append(recs, rec)
		}
		rows = append(rows, p)
	}
	if err := g.insert(rows, nil); err != nil {
		return err
	}
	if err := visits.InsertVisitsTx(g.tx, recs); err != nil {
		return err
	}
	g.sum.Visits += len(recs)
	for _, r := range recs {
		err := g.tx.Table("meeting_results").Create(map[string]any{"meeting_id": m.ID, "business_id": r.Visit.BusinessID,
			"passed": true, "note": "", "visit_id": r.Visit.ID, "recorded_by": "user:admin", "recorded_at": r.Visit.SubmittedAt}).Error
		if err != nil {
			return err
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
