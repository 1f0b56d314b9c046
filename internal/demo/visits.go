package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The shape of the generated supervision history.
const (
	// pastCoverage is the share of businesses visited in each past cycle,
	// except the overdue ones.
	pastCoverage = 0.97
	// overdueShare of businesses missed the previous cycle and have not
	// been visited since.
	overdueShare = 0.04
	// Each village gets a share of its C and D businesses visited this
	// cycle between these bounds, so progress differs between villages.
	villageRateLow, villageRateHigh = 0.20, 0.60
	// upperRate is the share of A and B businesses visited this cycle.
	upperRate = 0.30
	// findingShare of visits found one or two problems.
	findingShare = 0.15
	// reviseShare of visits without findings were corrected once.
	reviseShare = 0.005
	// visitFlush is how many visits are written per batch.
	visitFlush = 2000
	// fullLoops is how many rectified findings show the whole loop: the
	// business's feedback first, then the cadre's 复查.
	fullLoops = 12
)

// seedVisits records the supervision history: visits in every cycle
// since the register began, most businesses covered in past cycles, some
// of them (varying by village) in the current one, a few overdue, findings
// with rectifications in every state (some open past their deadline,
// some extended) and a few corrected visits.
//
// It runs only where the supervision tables exist: callers that migrate
// the register alone (tools, other packages' tests) get the register alone.
func seedVisits(ctx context.Context, s *Seeder) error {
	if !s.Tx.Migrator().HasTable("visits") {
		return nil
	}
	lists, err := supervision.DefaultChecklists()
	if err != nil {
		return err
	}
	rules := supervision.DefaultRules()
	g := &visitGen{
		s: s, r: s.Rand, lists: lists, rules: rules,
		svc:    supervision.NewService(nil, s.Reg, lists, rules, clock.NewFixed(s.Now)),
		levels: map[int64]registry.CadreLevel{}, rates: map[int64]float64{},
		today: clock.Date(s.Now),
	}
	for _, c := range s.World.Cadres {
		g.levels[c.ID] = c.Level
	}
	g.start = g.historyStart()
	total := len(s.World.Businesses)
	s.Progress(0, total)
	for i, b := range s.World.Businesses {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if b.Status == registry.StatusOperating {
			g.business(b)
		}
		if len(g.batch) >= visitFlush {
			if err := g.flush(); err != nil {
				return err
			}
			s.Progress(i+1, total)
		}
	}
	if err := g.flush(); err != nil {
		return err
	}
	s.Progress(total, total)
	return nil
}

type visitGen struct {
	s      *Seeder
	r      *rand.Rand
	lists  *supervision.Checklists
	rules  supervision.Rules
	svc    *supervision.Service
	levels map[int64]registry.CadreLevel
	rates  map[int64]float64 // village → share visited this cycle
	today  time.Time
	start  time.Time // the history's first day
	n      int
	loops  int // findings given the whole loop so far

	batch  []*supervision.VisitRecord
	revise []*supervision.VisitRecord // in batch, to be corrected
}

// business draws the visits of one business, cycle by cycle from the
// start of the history to now.
func (g *visitGen) business(b BusinessRef) {
	now, since := g.s.Now, g.start
	overdue := g.r.Float64() < overdueShare
	for c := g.rules.CycleFor(b.Grade, since); c.Start.Before(now); c = c.Next() {
		from, to := maxTime(c.Start, since), minTime(c.End, now.Add(-time.Hour))
		current := c.Contains(now)
		p := pastCoverage
		switch {
		case overdue && (current || c.Next().Contains(now)):
			p = 0
		case current && (b.Grade == registry.GradeA || b.Grade == registry.GradeB):
			p = upperRate
		case current:
			p = g.rate(b.RegionID)
		}
		if g.r.Float64() >= p || !to.After(from) {
			continue
		}
		at := workTime(from.Add(time.Duration(g.r.Int64N(int64(to.Sub(from))))), from, to)
		g.visit(b, at)
	}
}

// historyStart is the register's start, or earlier by as many quarters
// as Options.Visits needs.
func (g *visitGen) historyStart() time.Time {
	since, now := g.s.Since, g.s.Now
	operating := 0
	for _, b := range g.s.World.Businesses {
		if b.Status == registry.StatusOperating {
			operating++
		}
	}
	if g.s.Options.Visits <= 0 || operating == 0 {
		return since
	}
	// Nearly every business is a quarterly D: estimate from quarters.
	natural := 0.0
	for c := supervision.CycleFor(supervision.PeriodQuarter, since); c.Start.Before(now); c = c.Next() {
		if c.Contains(now) {
			natural += (villageRateLow + villageRateHigh) / 2
		} else {
			natural += pastCoverage
		}
	}
	extra := math.Ceil((float64(g.s.Options.Visits)/float64(operating) - natural) / pastCoverage)
	if extra <= 0 {
		return since
	}
	return since.AddDate(0, -3*int(extra), 0)
}

func (g *visitGen) rate(village int64) float64 {
	r, ok := g.rates[village]
	if !ok {
		r = villageRateLow + (villageRateHigh-villageRateLow)*g.r.Float64()
		g.rates[village] = r
	}
	return r
}

// demoModes are the modes a cadre picks in chat (现场, 在线, 集中督导);
// 集中汇报 is not offered there, so the demo records none.
var demoModes = []supervision.Mode{supervision.ModeOnsite, supervision.ModeOnline, supervision.ModeCentralized}

// visit draws one visit to b at the given time.
func (g *visitGen) visit(b BusinessRef, at time.Time) {
	r := g.r
	g.n++
	mode := demoModes[weightedIndex(r, []float64{80, 10, 10})]
	check := supervision.CheckQuick
	if mode == supervision.ModeOnsite && r.IntN(4) == 0 {
		check = supervision.CheckFull
	}
	v := supervision.Visit{
		SubmissionKey: fmt.Sprintf("seed-%d", g.n), BusinessID: b.ID, CadreID: b.CadreID, CadreLevel: g.levels[b.CadreID],
		Grade: b.Grade, CycleKey: g.rules.CycleFor(b.Grade, at).Key, Mode: mode, CheckKind: check,
		StartedAt: at.Add(-time.Duration(10+r.IntN(40)) * time.Minute).UTC(), SubmittedAt: at.UTC(),
		ContactName: personName(r), Source: registry.SourceSeed, Current: true, CreatedAt: at.UTC(),
	}
	if r.IntN(10) < 3 {
		v.Remarks = pick(r, visitRemarks)
	}
	if mode == supervision.ModeOnsite {
		g.locate(&v, b)
	}
	rec := &supervision.VisitRecord{Visit: v}
	expected := g.lists.Expected(check, b.Category, b.Grade)
	for _, it := range expected {
		res := supervision.ResultOK
		if check == supervision.CheckFull && r.IntN(30) == 0 {
			res = supervision.ResultNA
		}
		rec.Items = append(rec.Items, supervision.ItemResult{ItemID: it.ID, Result: res})
	}
	if r.Float64() < findingShare {
		for range 1 + r.IntN(2) {
			i := r.IntN(len(rec.Items))
			if rec.Items[i].Result == supervision.ResultIssue {
				continue
			}
			rec.Items[i].Result = supervision.ResultIssue
			rec.Findings = append(rec.Findings, g.finding(rec.Items[i].ItemID, &rec.Visit))
		}
	}
	g.batch = append(g.batch, rec)
	if len(rec.Findings) == 0 && r.Float64() < reviseShare {
		rec.Visit.Current = false
		g.revise = append(g.revise, rec)
	}
}

// locate places an onsite report near the business, a few from afar.
func (g *visitGen) locate(v *supervision.Visit, b BusinessRef) {
	r := g.r
	meters := 10 + 70*r.Float64()
	if r.IntN(20) == 0 {
		meters = 600 + 900*r.Float64()
	}
	p := point{b.Lat, b.Lng}.offset(meters/1000*math.Cos(2*math.Pi*r.Float64()), meters/1000*math.Sin(2*math.Pi*r.Float64()))
	lat, lng := round6(p.lat), round6(p.lng)
	m, far, _ := g.svc.Distance(registry.Business{Latitude: &b.Lat, Longitude: &b.Lng}, supervision.Location{Lat: lat, Lng: lng})
	m = math.Round(m)
	v.Latitude, v.Longitude, v.DistanceM, v.Far = &lat, &lng, &m, far
}

// finding draws a problem at an item and how far its rectification got.
func (g *visitGen) finding(item string, v *supervision.Visit) supervision.FindingRecord {
	r := g.r
	text, ok := findingTexts[item]
	if !ok {
		text = findingText{"现场检查发现该项不符合要求", "对照要求立即整改，并留存整改记录"}
	}
	deadline := clock.Date(v.SubmittedAt).AddDate(0, 0, g.rules.DeadlineDays)
	f := supervision.FindingRecord{
		Finding: supervision.Finding{ItemID: item, Description: text.description, Requirement: text.requirement, Deadline: deadline.UTC()},
		Status:  supervision.StatusOpen,
	}
	actor := registry.ActorOf("cadre", v.CadreID)
	now := g.s.Now
	rectified := func(from time.Time) {
		to := minTime(deadline.Add(24*time.Hour), now)
		if !to.After(from) {
			return
		}
		at := workTime(from.Add(time.Duration(r.Int64N(int64(to.Sub(from))))), from, to).UTC()
		if g.loops < fullLoops && at.Sub(from) > 4*time.Hour {
			// The business reports its rectification, then the cadre checks it.
			g.loops++
			fb := workTime(from.Add(at.Sub(from)/2), from, at).UTC()
			f.Events = append(f.Events, supervision.RectificationEvent{Kind: supervision.EventFeedback,
				Note: feedbackNotes[g.loops%len(feedbackNotes)], Actor: registry.ActorOf("business", v.BusinessID), CreatedAt: fb})
		}
		note := pick(r, recheckNotes)
		f.Status, f.ClosedAt, f.ClosedBy = supervision.StatusRectified, &at, actor
		f.Events = append(f.Events, supervision.RectificationEvent{Kind: supervision.EventRectified, Note: note, Actor: actor, CreatedAt: at})
	}
	from := v.SubmittedAt.Add(time.Hour)
	switch past := deadline.Before(g.today); {
	case past && r.Float64() < 0.92:
		rectified(from)
	case past && r.Float64() < 0.4:
		// Extended once, a day before the deadline; may be overdue again.
		at := workTime(maxTime(deadline.Add(-10*time.Hour), from), from, deadline).UTC()
		nd := deadline.AddDate(0, 0, 7+r.IntN(8)).UTC()
		f.Deadline = nd
		f.Events = append(f.Events, supervision.RectificationEvent{Kind: supervision.EventExtended, Note: pick(r, extensionReasons),
			NewDeadline: &nd, Actor: actor, CreatedAt: at})
	case !past && r.Float64() < 0.2:
		rectified(from)
	}
	return f
}

// flush writes the batch, then corrections of the visits chosen for one.
func (g *visitGen) flush() error {
	if err := g.svc.InsertVisitsTx(g.s.Tx, g.batch); err != nil {
		return err
	}
	var revs []*supervision.VisitRecord
	for _, orig := range g.revise {
		v := orig.Visit
		id := v.ID
		v.ID, v.SubmissionKey, v.Revision, v.SupersedesID, v.Current = 0, fmt.Sprintf("rev:%d", id), 2, &id, true
		v.RevisedBy = registry.ActorOf("cadre", v.CadreID)
		v.CreatedAt = minTime(v.SubmittedAt.Add(time.Duration(1+g.r.IntN(48))*time.Hour), g.s.Now).UTC()
		fix := pick(g.r, revisionFixes)
		v.RevisionReason = fix.reason
		if fix.contact {
			v.ContactName = personName(g.r)
		} else {
			v.Remarks = fix.remarks
		}
		revs = append(revs, &supervision.VisitRecord{Visit: v, Items: orig.Items})
	}
	if err := g.svc.InsertVisitsTx(g.s.Tx, revs); err != nil {
		return err
	}
	g.batch, g.revise = g.batch[:0], g.revise[:0]
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// What the generated visits say: remarks, findings, follow-ups, corrections.

var visitRemarks = []string{
	"已发放“两个责任”知晓卡",
	"督促落实日管控、周排查、月调度",
	"现场开展食品安全宣传",
	"负责人配合良好，资料齐全",
	"提醒做好节假日食品安全防范",
	"已张贴督导公示牌",
}

type findingText struct{ description, requirement string }

var findingTexts = map[string]findingText{
	"licence_valid":         {"营业执照与食品经营许可证未在显著位置公示", "将证照原件悬挂于经营场所显著位置"},
	"two_resp_publicity":    {"“两个责任”公示牌未张贴", "在店内显著位置张贴公示牌"},
	"safety_staff":          {"未明确食品安全员", "明确食品安全员并报备"},
	"risk_control_list":     {"未制定风险管控清单", "对照清单模板制定并张贴"},
	"daily_weekly_monthly":  {"日管控记录缺失近一周", "补齐记录，每日如实填写"},
	"premises_hygiene":      {"后厨地面油污，防蝇设施破损", "清理油污，修补纱窗和挡鼠板"},
	"staff_health":          {"一名从业人员健康证过期", "立即暂停其接触直接入口食品的工作，办理健康证"},
	"purchase_inspection":   {"进货台账不全，缺少部分票据", "补齐索证索票，建立进货查验台账"},
	"storage":               {"食品贴地存放，冷藏柜内生熟混放", "离地离墙存放，生熟分区"},
	"training":              {"无培训记录", "组织从业人员培训并留存记录"},
	"cleaning_disinfection": {"消毒柜未正常使用", "餐饮具每餐清洗消毒并记录"},
	"raw_cooked_separation": {"刀具砧板生熟未分开", "配备生熟分开的刀具砧板并标识"},
	"sample_retention":      {"未按要求留样", "配备留样柜，每餐次留样不少于125克，保存48小时"},
	"additive_mgmt":         {"食品添加剂未专柜存放", "专人专柜管理并记录使用"},
	"open_kitchen":          {"明厨亮灶摄像头离线", "修复设备，保持正常运行"},
	"kitchen_waste":         {"餐厨废弃物未加盖", "使用带盖容器，交有资质单位收运"},
	"label_shelf_life":      {"货架上有两件临近保质期食品未标示", "设置临期食品专区并明示"},
	"expiry_handling":       {"发现过期食品一件", "立即下架销毁并登记"},
	"cold_chain_temp":       {"冷柜温度记录缺失", "每日记录冷藏冷冻温度"},
	"bulk_labeling":         {"散装食品未标明生产日期", "补全散装食品标签信息"},
}

var feedbackNotes = []string{"已按要求整改，附整改后照片", "问题已整改完毕，请复查", "已整改并建立台账，请干部复查"}

var recheckNotes = []string{"已整改，复查合格", "整改到位，照片已上传", "经复查已落实", "已按要求整改"}

var extensionReasons = []string{"需更换设备，设备尚未到货", "负责人外出，申请延期", "涉及装修改造，需延长整改时间"}

var revisionFixes = []struct {
	reason, remarks string
	contact         bool
}{
	{reason: "现场联系人姓名记录有误", contact: true},
	{reason: "补充督导小结", remarks: "补充：已督促建立进货查验台账"},
	{reason: "更正督导小结表述", remarks: "负责人配合良好，已发放知晓卡"},
}

// Office hours in China: a morning and an afternoon session.
const (
	morningStart   = 8*time.Hour + 30*time.Minute
	morningLength  = 3*time.Hour + 30*time.Minute
	afternoonStart = 13*time.Hour + 30*time.Minute
	workLength     = 7*time.Hour + 30*time.Minute
)

// workTime moves t into office hours on a working day (Monday to Friday,
// China time) within [from, to), as a cadre or a business would act: the
// time of day maps proportionally onto the working hours, a weekend onto
// the Friday before (or the Monday after). It draws nothing, so the rest
// of the generated district stays as it was. Where [from, to) holds no
// office hours it returns t.
func workTime(t, from, to time.Time) time.Time {
	c := t.In(clock.China)
	day := clock.Date(c)
	frac := float64(c.Sub(day)) / float64(24*time.Hour)
	in := time.Duration(frac * float64(workLength))
	offset := morningStart + in
	if in >= morningLength {
		offset = afternoonStart + in - morningLength
	}
	for _, shift := range []int{0, -1, -2, 1, 2, -3, 3, -4, 4} {
		d := day.AddDate(0, 0, shift)
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		if w := d.Add(offset); !w.Before(from) && w.Before(to) {
			return w.In(t.Location())
		}
	}
	return t
}
