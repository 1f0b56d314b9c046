package selfcheck

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// DemoDays is how many days of history the demo district gets: the span
// of the console's and the chat's rates. Not more, because the history is
// written at the first start: on SQLite each day of it (some 900 records
// of the district, each written with its revision, about 4 KB together)
// adds 0.1–0.2 s.
const DemoDays = 7

// demoBatch is how many records one INSERT carries.
const demoBatch = 32

// DemoSummary counts what SeedDemo wrote.
type DemoSummary struct {
	// Businesses is how many businesses got records; Daily and Weekly
	// count the records.
	Businesses, Daily, Weekly int
}

// habit is how often a business records its daily control.
type habit int

const (
	habitEveryDay habit = iota
	habitMostDays
	habitRarely
)

// SeedDemo gives the operating businesses of the register a recent history
// of their own records, so the demo district's rates, progress and ledgers
// are not empty on the first run: daily records for the days days before
// today (today is left for the person trying the simulator to record),
// and weekly reviews of the last completed week when it lies inside that
// span (with DemoDays, only on a Monday). Everything is drawn from rnd, so the same source over the same
// register gives the same history. About six businesses in ten keep
// records, each with its own habit (every day, most days, rarely) and
// villages differing; most days are 全部正常, some find one problem, some
// records are made late. Records are written as SubmitDaily and
// SubmitWeekly would (same bodies, one revision each, keyed
// "demo:<business>:<period>") but in bulk, in one transaction; the
// officer's contact is created for each business that gets records.
// Conflict when there are self-check records already: demo history is
// never mixed into real records. Invalid for days outside 1…maxRateDays.
func (s *Service) SeedDemo(ctx context.Context, rnd *rand.Rand, days int) (*DemoSummary, error) {
	if days < 1 || days > maxRateDays {
		return nil, errs.E(errs.Invalid, msgBadSpan, maxRateDays)
	}
	if err := checkNoRecords(s.d.DB.Gorm(ctx), false); err != nil {
		return nil, fmt.Errorf("demo self-check history: %w", err)
	}
	var bs []demoBusiness
	err := s.d.DB.Gorm(ctx).Raw(`SELECT id, region_id, category FROM businesses WHERE status = ? ORDER BY id`,
		registry.StatusOperating).Scan(&bs).Error
	if err != nil {
		return nil, fmt.Errorf("demo self-check history: %w", err)
	}
	g := &demoGen{s: s, rnd: rnd, now: s.now(), today: s.today(), days: days,
		bodies: map[registry.Category]string{}, sum: &DemoSummary{}}
	g.villages(bs)
	var drawn []drawnBusiness
	for i := range bs {
		if d, ok := g.business(&bs[i]); ok {
			drawn = append(drawn, d)
		}
	}
	// The officers' contacts, made in bulk for the businesses with any
	// record (one by one, they were a third of the seeding time).
	ids := make([]int64, len(drawn))
	for i, d := range drawn {
		ids[i] = d.b.ID
	}
	contacts, err := s.d.Accounts.EnsureContacts(ctx, ids, account.ContactOfficer)
	if err != nil {
		return nil, fmt.Errorf("demo self-check history: %w", err)
	}
	for _, d := range drawn {
		c := contacts[d.b.ID]
		if c == nil {
			// Nobody is registered in the post: no records, as with a
			// business that keeps none.
			continue
		}
		for i := range d.rows {
			d.rows[i].contact = c
		}
		g.rows = append(g.rows, d.rows...)
		g.sum.Businesses++
		g.sum.Daily += len(d.rows)
		if err := g.weekly(d.b, c, d.h, d.rows); err != nil {
			return nil, err
		}
	}
	err = s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		// On MySQL the locking read keeps the table empty of other
		// records (a gap lock) until the history is in.
		if err := checkNoRecords(tx, tx.Dialector.Name() == "mysql"); err != nil {
			return err
		}
		return insertDemo(tx, g.rows)
	})
	if err != nil {
		return nil, fmt.Errorf("demo self-check history: %w", err)
	}
	return g.sum, nil
}

// checkNoRecords is Conflict when there is any self-check record.
func checkNoRecords(q *gorm.DB, lock bool) error {
	q = q.Model(&Record{})
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var ids []int64
	if err := q.Limit(1).Pluck("id", &ids).Error; err != nil {
		return err
	}
	if len(ids) > 0 {
		return errs.E(errs.Conflict, msgDemoNotEmpty)
	}
	return nil
}

// demoBusiness is an operating business as SeedDemo needs it.
type demoBusiness struct {
	ID       int64
	RegionID int64
	Category registry.Category
}

// demoRow is one record to write, with its only revision.
type demoRow struct {
	businessID     int64
	period         Period
	contact        *account.Contact
	late           bool
	problems, open int
	body           string
	at             time.Time
	// problem is a daily record's point found wrong, if any.
	problem *ItemResult
}

// demoGen draws the history.
type demoGen struct {
	s     *Service
	rnd   *rand.Rand
	now   time.Time
	today time.Time
	days  int
	// keen is each village's keenness, 0…1: how many of its businesses
	// keep records and how regularly.
	keen map[int64]float64
	// bodies are each category's all-normal daily body, as JSON.
	bodies map[registry.Category]string
	rows   []demoRow
	sum    *DemoSummary
}

func (g *demoGen) villages(bs []demoBusiness) {
	var ids []int64
	for _, b := range bs {
		ids = append(ids, b.RegionID)
	}
	slices.Sort(ids)
	g.keen = map[int64]float64{}
	for _, id := range slices.Compact(ids) {
		g.keen[id] = g.rnd.Float64()
	}
}

// drawnBusiness is a business's drawn daily records, before its contact
// is known.
type drawnBusiness struct {
	b    *demoBusiness
	h    habit
	rows []demoRow
}

// business draws one business's daily history: whether it keeps records,
// its habit, then each day. False when it has none.
func (g *demoGen) business(b *demoBusiness) (drawnBusiness, bool) {
	keen := g.keen[b.RegionID]
	// 35% to 79% of a village's businesses keep records, 57% on average
	// (a few of those keeping them rarely have none in a short span).
	if g.rnd.Float64() >= 0.35+0.44*keen {
		return drawnBusiness{}, false
	}
	h, pDay, pProblem, pLate := g.habit(keen)
	points := g.s.risks.For(b.Category)
	var rows []demoRow
	for back := g.days; back >= 1; back-- {
		day := g.today.AddDate(0, 0, -back)
		if g.rnd.Float64() >= pDay {
			continue
		}
		r := demoRow{businessID: b.ID, period: PeriodOf(Daily, day), body: g.normalBody(b.Category, points)}
		if g.rnd.Float64() < pProblem {
			item := g.problem(points)
			r.problem, r.problems, r.body = &item, 1, dailyBody(points, item)
			if !item.Resolved {
				r.open = 1
			}
		}
		r.at = g.dayTime(day, 7*60+30, 21*60+30)
		// A late record is made a day or more after, within LateDays and
		// before today.
		if back >= 2 && g.rnd.Float64() < pLate {
			r.late = true
			r.at = g.dayTime(day.AddDate(0, 0, 1+g.rnd.IntN(min(LateDays, back-1))), 8*60, 12*60)
		}
		rows = append(rows, r)
	}
	return drawnBusiness{b: b, h: h, rows: rows}, len(rows) > 0
}

// habit draws a business's habit in a village of keenness keen, and with
// it the chances of recording a day, of finding a problem and of recording
// late.
func (g *demoGen) habit(keen float64) (h habit, pDay, pProblem, pLate float64) {
	x := g.rnd.Float64()
	switch {
	case x < 0.25+0.30*keen:
		h, pDay, pLate = habitEveryDay, 0.95+0.05*g.rnd.Float64(), 0.02
	case x < 0.85-0.05*keen:
		h, pDay, pLate = habitMostDays, 0.65+0.25*g.rnd.Float64(), 0.10
	default:
		h, pDay, pLate = habitRarely, 0.12+0.25*g.rnd.Float64(), 0.30
	}
	return h, pDay, 0.03 + 0.09*g.rnd.Float64(), pLate
}

// problem draws the point found wrong on a day, with its note.
func (g *demoGen) problem(points []Risk) ItemResult {
	r := points[g.rnd.IntN(len(points))]
	notes, ok := demoNotes[r.ID]
	if !ok {
		notes = demoNoteAny
	}
	resolved := g.rnd.Float64() < 0.75
	note := notes[1]
	if resolved {
		note = notes[0]
	}
	return ItemResult{ID: r.ID, Label: r.Label, Problem: true, Note: note, Resolved: resolved}
}

// weekly draws the review of the last completed week from the business's
// daily records, when the week lies inside the span: most businesses
// recording every day make one, some recording most days, none of those
// recording rarely.
func (g *demoGen) weekly(b *demoBusiness, c *account.Contact, h habit, daily []demoRow) error {
	p := PeriodOf(Weekly, g.today).Prev()
	chance := 0.0
	switch h {
	case habitEveryDay:
		chance = 0.7
	case habitMostDays:
		chance = 0.35
	}
	if p.Start.Before(g.today.AddDate(0, 0, -g.days)) || g.rnd.Float64() >= chance {
		return nil
	}
	sum := &WeekSummary{}
	have := map[string]bool{}
	var open []string
	for _, r := range daily {
		if !p.Contains(r.period.Start) {
			continue
		}
		have[r.period.Key] = true
		if it := r.problem; it != nil {
			sum.Problems = append(sum.Problems, ProblemLine{Day: r.period.Key, Label: it.Label, Note: it.Note, Resolved: it.Resolved})
			if !it.Resolved {
				sum.Open++
				open = append(open, it.Note)
			}
		}
	}
	for _, d := range p.Days(g.today) {
		sum.Days++
		if k := d.Format(dayLayout); have[k] {
			sum.Recorded++
		} else {
			sum.Missing = append(sum.Missing, k)
		}
	}
	body := Body{Week: sum, Resolved: true, NextRisks: demoNextRisks[g.rnd.IntN(len(demoNextRisks))]}
	r := demoRow{businessID: b.ID, period: p, contact: c, problems: len(sum.Problems)}
	// Open problems are confirmed dealt with by the review, or listed.
	if sum.Open > 0 && g.rnd.Float64() < 0.5 {
		body.Resolved, body.OpenItems = false, strings.Join(open, "；")
		r.open = sum.Open
	}
	// Reviewed on Sunday evening, or late on Monday morning.
	r.at = g.dayTime(p.End, 17*60, 21*60)
	if monday := g.dayTime(p.End.AddDate(0, 0, 1), 8*60, 11*60); g.rnd.Float64() < 0.3 && monday.Before(g.now) {
		r.at, r.late = monday, true
	}
	v, err := body.Value()
	if err != nil {
		return err
	}
	r.body = v.(string)
	g.rows = append(g.rows, r)
	g.sum.Weekly++
	return nil
}

// dayTime is a time on day between minutes from and to after midnight
// (China), in UTC as stored, never after now.
func (g *demoGen) dayTime(day time.Time, from, to int) time.Time {
	t := day.Add(time.Duration(from+g.rnd.IntN(to-from)) * time.Minute).UTC()
	if t.After(g.now) {
		return g.now
	}
	return t
}

// normalBody is the all-normal (零风险) daily body of a category.
func (g *demoGen) normalBody(c registry.Category, points []Risk) string {
	if b, ok := g.bodies[c]; ok {
		return b
	}
	g.bodies[c] = dailyBody(points, ItemResult{})
	return g.bodies[c]
}

// dailyBody is a daily body as SubmitDaily builds it: every point, normal
// but for problem (when it has an ID).
func dailyBody(points []Risk, problem ItemResult) string {
	body := Body{Items: make([]ItemResult, len(points))}
	for i, r := range points {
		body.Items[i] = ItemResult{ID: r.ID, Label: r.Label}
		if r.ID == problem.ID {
			body.Items[i] = problem
		}
	}
	v, _ := body.Value()
	return v.(string)
}

// insertDemo writes the records in batches, then one revision for each,
// copied from the records in one statement (the table held nothing else).
// Batches stay small: SQLite's driver binds in time quadratic in a
// statement's values.
func insertDemo(tx *gorm.DB, rows []demoRow) error {
	full := demoInsert(demoBatch)
	args := make([]any, 0, 14*demoBatch)
	for start := 0; start < len(rows); start += demoBatch {
		batch := rows[start:min(start+demoBatch, len(rows))]
		stmt := full
		if len(batch) < demoBatch {
			stmt = demoInsert(len(batch))
		}
		args = args[:0]
		for _, r := range batch {
			args = append(args, r.businessID, r.period.Kind, r.period.Key, r.period.startKey(), r.period.endKey(),
				r.contact.ID, r.contact.Name, r.contact.Role, r.late, r.problems, r.open, r.body, r.at, r.at)
		}
		if err := tx.Exec(stmt, args...).Error; err != nil {
			return err
		}
	}
	key := `'demo:' || business_id || ':' || period`
	if tx.Dialector.Name() == "mysql" {
		key = `CONCAT('demo:', business_id, ':', period)`
	}
	return tx.Exec(`INSERT INTO selfcheck_revisions (record_id, business_id, kind, period, revision,
	submission_key, contact_id, contact_name, contact_role, late, problems, open_items, body, created_at)
SELECT id, business_id, kind, period, revision, ` + key + `, contact_id, contact_name, contact_role, late, problems,
	open_items, body, created_at FROM selfcheck_records`).Error
}

// demoInsert is the INSERT of n records.
func demoInsert(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO selfcheck_records (business_id, kind, period, period_start, period_end, revision,
	contact_id, contact_name, contact_role, late, problems, open_items, body, created_at, updated_at) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	return b.String()
}

// demoNotes are what a demo day found at each point: dealt with on the
// day, and not yet.
var demoNotes = map[string][2]string{
	"staff_health":           {"一名帮厨手部有小伤口，已包扎并调离直接接触食品岗位", "一名员工健康证即将到期，已预约体检"},
	"purchase_inspection":    {"一批蔬菜缺供货单，已向供应商补索", "一批调味品合格证明未随货，已联系供应商补交"},
	"raw_storage":            {"两袋面粉直接放在地上，已移至货架", "库房货架不够，部分原料贴墙存放，已订购货架"},
	"cold_storage_temp":      {"冷藏柜温度10℃，已调整温控，复测5℃", "冷冻柜温度偏高，已报修，食品暂存备用冰柜"},
	"raw_cooked_separation":  {"生熟砧板标识脱落，已重新标识", "熟食容器不够用，已申请添置"},
	"thorough_cooking":       {"一份隔餐米饭未彻底加热，已重新加热", "中心温度计损坏，已购买新的，待到货"},
	"tableware_disinfection": {"消毒记录漏记一次，已补记", "消毒柜加热异常，已报修，暂用煮沸消毒"},
	"sample_retention":       {"一样菜品留样不足125克，已补足", "留样冰箱空间不足，已申请添置"},
	"additive_control":       {"添加剂柜未上锁，已上锁", "添加剂专用量勺遗失，已申购"},
	"special_room":           {"专间紫外线灯未按时开启，已补做消毒", "专间空调制冷不足，温度27℃，已报修"},
	"meal_accompany":         {"陪餐记录漏填，已补记", "学生反映菜品偏咸，已反馈厨师，跟踪改进"},
	"label_shelf_life":       {"货架上发现1件过期饮料，已下架销毁并登记", "两件商品标签模糊，已联系供应商更换"},
	"expiry_handling":        {"临期食品未集中陈列，已移到临期专区", "过期食品销毁登记未完成，明日补齐"},
	"bulk_food":              {"散装糖果标签缺生产日期，已补标", "散装食品防尘盖破损，已申购新盖"},
	"cold_chain_temp":        {"冷冻柜温度漏记一次，已补记", "冷藏柜温度偏高，已报修"},
	"warehouse_storage":      {"洗洁精与食品混放，已分开存放", "仓库货架不足，部分货物贴墙码放，待整理"},
	"special_food_zone":      {"保健食品提示牌缺失，已重新张贴", "专柜标识褪色，已订制新标识"},
	"agri_product_cert":      {"一批蔬菜缺承诺达标合格证，已向供应商补索", "一批水果缺检测证明，已暂停销售待补"},
	"production_env":         {"车间地面有积水，已清理", "车间纱窗破损，已报修"},
	"raw_material_check":     {"一批原料缺检验报告，已隔离，供应商已补交", "一批原料检验报告未到，原料已隔离待检"},
	"equipment_cleaning":     {"搅拌机清洗不彻底，已重新清洗消毒", "一台电子秤超过检定期，已送检"},
	"process_control":        {"杀菌温度漏记一次，已补记并复核", "灌装机参数波动，已停机检修"},
	"additive_use":           {"添加剂称量未复核，已复核无误并补签", "添加剂领用记录不全，待核对"},
	"release_testing":        {"一个批次留样标签不全，已补标", "出厂检验设备故障，已送修，暂委托检验"},
	"finished_storage":       {"成品与包材混放，已分区存放", "成品库温度偏高，已报修"},
	"nonconforming":          {"不合格品未标识，已标识并隔离", "一批不合格品待供应商退回"},
	"premises_hygiene":       {"排水沟有积垢，已清理", "后厨地面瓷砖破损，已报修"},
	"pest_control":           {"后门纱帘破损，已更换", "发现鼠迹，已联系灭鼠公司上门处理"},
	"kitchen_waste":          {"餐厨垃圾桶未加盖，已加盖", "餐厨废弃物收运记录未签字，待收运单位补签"},
}

// demoNoteAny is for a point demoNotes does not know.
var demoNoteAny = [2]string{"发现问题，已当场整改", "发现问题，已安排整改，待复查"}

// demoNextRisks are what demo weekly reviews name to watch next week.
var demoNextRisks = []string{
	"无",
	"注意冷藏设备运行，做好温度记录",
	"加强进货查验和索证索票",
	"做好防鼠防蝇，检查纱窗纱帘",
	"天气变化，注意原料防潮防霉",
	"关注从业人员健康，落实晨检",
}
