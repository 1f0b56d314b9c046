package query

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
)

// The audit log as people read it: each entry one sentence in Chinese
// with names — "胡埭镇食安办 秦文梅 将 6 家主体从 林峰玉 移交给 郭华（原因：
// 调岗）" — never the stored codes ("user:hudai cadre.handover … to cadre
// 14"). Entries keep what the writers stored (actor, action, subject and a
// short detail in a fixed form per action); the read side names the people,
// businesses and places they refer to, a page at a time, in one query per
// kind of record.

// AuditLine is an audit entry with the words a page or export shows.
type AuditLine struct {
	AuditEntry
	// Who is the actor by name and role.
	Who Person `json:"who"`
	// ActionLabel names the action ("干部离岗移交").
	ActionLabel string `json:"action_label"`
	// Subject names the record ("华记饺子馆", "林峰玉（包保干部）").
	Subject string `json:"subject"`
	// Sentence is the whole entry: who did what to whom, and why.
	Sentence string `json:"sentence"`
}

// AuditActions are the actions of the audit log with their Chinese names,
// in the order a filter lists them.
var AuditActions = []struct{ Code, Label string }{
	{"visit.submit", "提交督导记录"}, {"visit.revise", "更正督导记录"},
	{"visit.uncount", "抽查不属实，不计入覆盖"}, {"visit.count", "恢复计入覆盖"},
	{"rectification.close", "复查确认已整改"}, {"rectification.extend", "延长整改期限"},
	{"letter.issue", "签发提示函"}, {"letter.ack", "签收提示函"}, {"letter.feedback", "提交整改反馈"},
	{"pledge.sign", "签署承诺书"},
	{"assignment.change", "调整包保干部"}, {"cadre.handover", "干部离岗移交"},
	{"relocation.approved", "同意搬迁"}, {"relocation.rejected", "驳回搬迁"},
	{"code.issue", "生成绑定码"}, {"code.revoke", "撤销绑定码"},
	{"bind", "绑定微信"}, {"unbind", "解除绑定"}, {"unsubscribe", "取消关注公众号"},
	{"register.import", "导入登记表"}, {"notification.retry", "重发通知"},
	{"apitoken.create", "创建接口令牌"}, {"apitoken.revoke", "撤销接口令牌"},
	{"incident.report", "上报应急事件"}, {"incident.accepted", "受理应急事件"}, {"incident.handling", "开始处置应急事件"},
	{"incident.closed", "办结应急事件"}, {"incident.note", "补充应急事件记录"}, {"incident.escalate", "应急事件超时督办"},
}

// AuditActionLabel is the Chinese name of an action; an unknown one is
// "其他操作", never its code.
func AuditActionLabel(code string) string {
	for _, a := range AuditActions {
		if a.Code == code {
			return a.Label
		}
	}
	return msgOtherAction
}

// AuditLines is AuditEntries in words.
func (r *Reader) AuditLines(ctx context.Context, f AuditFilter, s AuditScope) ([]AuditLine, int64, error) {
	es, total, err := r.AuditEntries(ctx, f, s)
	if err != nil {
		return nil, 0, err
	}
	lines, err := r.describe(ctx, es)
	return lines, total, err
}

// EachAuditLine is EachAuditEntry in words.
func (r *Reader) EachAuditLine(ctx context.Context, f AuditFilter, s AuditScope, fn func([]AuditLine) error) error {
	return r.EachAuditEntry(ctx, f, s, func(es []AuditEntry) error {
		lines, err := r.describe(ctx, es)
		if err != nil {
			return err
		}
		return fn(lines)
	})
}

// The detail forms the writers use (see each feature's audit call).
var (
	reCadreChange = regexp.MustCompile(`^cadre (\d+) → (\d+); (handover: )?(.*)$`)
	reHandover    = regexp.MustCompile(`^to cadre (\d+), (\d+) businesses; (.*)$`)
	reVisit       = regexp.MustCompile(`^visit (\d+): (\w+) (\S+), (\d+) findings(?:, status seen (\w+))?(?:; corrects visit (\d+): (.*))?`)
	reRectClose   = regexp.MustCompile(`^rectification (\d+) \(finding \d+\) rectified, (\d+) photos`)
	reRectExtend  = regexp.MustCompile(`^rectification (\d+) \(finding \d+\) deadline to (\S+); (.*)$`)
	reLetter      = regexp.MustCompile(`^letter \d+ (\S+)(?:,| acknowledged,) (?:(\d+) findings|feedback (\d+) characters, (\d+) photos|(\d+) open rectifications, (\d+) photos)`)
	reRelocation  = regexp.MustCompile(`^request \d+ (approved|rejected)(?:, moved to region (\d+))?(, assignment ended)?(?:, cadre (\d+))?(?:; (.*))?$`)
	reKeyValue    = regexp.MustCompile(`(\w+)=(\S+)`)
	reToken       = regexp.MustCompile(`^token \S+ (.*)$`)
	reCounted     = regexp.MustCompile(`^(?:takes visit \d+ off coverage|counts visit \d+ again): (.*)$`)
	reRetry       = regexp.MustCompile(`^\S+ to (\w+:\d+|group:\S+), was (\w+)`)
)

// refs are the records a page of entries refers to, looked up together.
type refs struct {
	people     map[string]Person
	businesses map[int64]string
	regions    map[int64]string
}

func (r *Reader) describe(ctx context.Context, es []AuditEntry) ([]AuditLine, error) {
	actors := []string{}
	var businessIDs, regionIDs, identityIDs, codeIDs, userIDs, notifIDs []int64
	for _, e := range es {
		actors = append(actors, e.Actor)
		switch e.SubjectType {
		case "business":
			businessIDs = append(businessIDs, e.SubjectID)
		case "cadre":
			actors = append(actors, "cadre:"+strconv.FormatInt(e.SubjectID, 10))
		case "identity":
			identityIDs = append(identityIDs, e.SubjectID)
		case "binding_code":
			codeIDs = append(codeIDs, e.SubjectID)
		case "console_user":
			userIDs = append(userIDs, e.SubjectID)
		case "notification":
			notifIDs = append(notifIDs, e.SubjectID)
		}
		for _, m := range [][]string{reCadreChange.FindStringSubmatch(e.Detail), reHandover.FindStringSubmatch(e.Detail)} {
			if m != nil {
				actors = append(actors, "cadre:"+m[1])
				if m[0][0] == 'c' {
					actors = append(actors, "cadre:"+m[2])
				}
			}
		}
		if m := reRelocation.FindStringSubmatch(e.Detail); m != nil {
			if id, _ := strconv.ParseInt(m[2], 10, 64); id > 0 {
				regionIDs = append(regionIDs, id)
			}
			if m[4] != "" {
				actors = append(actors, "cadre:"+m[4])
			}
		}
		if kv := keyValues(e.Detail); kv["role"] != "" && kv["subject"] != "" {
			actors = append(actors, kv["role"]+":"+kv["subject"])
		}
		if m := reRetry.FindStringSubmatch(e.Detail); m != nil {
			actors = append(actors, m[1])
		}
	}
	g := r.db.Gorm(ctx)
	subjectActors := map[string]string{}
	lookups := []struct {
		ids  []int64
		sql  string
		kind string
	}{
		{identityIDs, `SELECT id, role AS a, subject_id AS b FROM identities WHERE id IN ?`, "identity"},
		{codeIDs, `SELECT id, role AS a, subject_id AS b FROM binding_codes WHERE id IN ?`, "binding_code"},
		{userIDs, `SELECT id, 'user' AS a, username AS b FROM console_users WHERE id IN ?`, "console_user"},
		{notifIDs, `SELECT id, recipient_kind AS a, recipient_id AS b FROM outbox WHERE id IN ?`, "notification"},
	}
	for _, l := range lookups {
		if len(l.ids) == 0 {
			continue
		}
		var rows []struct {
			ID   int64
			A, B string
		}
		if err := g.Raw(l.sql, l.ids).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("audit log: %s: %w", l.kind, db.Translate(err))
		}
		for _, row := range rows {
			a := row.A + ":" + row.B
			subjectActors[l.kind+":"+strconv.FormatInt(row.ID, 10)] = a
			actors = append(actors, a)
		}
	}
	people, err := r.People(ctx, actors)
	if err != nil {
		return nil, err
	}
	rf := refs{people: people, businesses: map[int64]string{}, regions: map[int64]string{}}
	for _, n := range []struct {
		ids []int64
		sql string
		to  map[int64]string
	}{
		{businessIDs, `SELECT id, name FROM businesses WHERE id IN ?`, rf.businesses},
		{regionIDs, `SELECT id, name FROM regions WHERE id IN ?`, rf.regions},
	} {
		if len(n.ids) == 0 {
			continue
		}
		var rows []struct {
			ID   int64
			Name string
		}
		if err := g.Raw(n.sql, n.ids).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("audit log: names: %w", db.Translate(err))
		}
		for _, row := range rows {
			n.to[row.ID] = row.Name
		}
	}
	out := make([]AuditLine, len(es))
	for i, e := range es {
		l := AuditLine{AuditEntry: e, Who: people[e.Actor], ActionLabel: AuditActionLabel(e.Action)}
		switch e.SubjectType {
		case "business":
			l.Subject = rf.business(e.SubjectID)
		case "cadre":
			l.Subject = rf.name("cadre:" + strconv.FormatInt(e.SubjectID, 10))
		case "import":
			l.Subject = msgRegister
		default:
			if a, ok := subjectActors[e.SubjectType+":"+strconv.FormatInt(e.SubjectID, 10)]; ok {
				l.Subject = people[a].Label()
			}
		}
		l.Sentence = rf.sentence(l)
		out[i] = l
	}
	return out, nil
}

func (rf refs) business(id int64) string {
	if n, ok := rf.businesses[id]; ok {
		return "「" + n + "」"
	}
	return msgSomeBusiness
}

// name is a person's name alone, as a sentence uses it.
func (rf refs) name(actor string) string {
	if p, ok := rf.people[actor]; ok {
		return p.Name
	}
	kind, rest, _ := strings.Cut(actor, ":")
	return fixedPerson(kind, rest).Name
}

// sentence says what l records.
func (rf refs) sentence(l AuditLine) string {
	who, d := l.Who.Name, l.Detail
	subject := l.Subject
	if subject == "" {
		subject = msgSomeRecord
	}
	reason := func(s string) string {
		if s = strings.TrimSpace(s); s == "" {
			return ""
		}
		return "（原因：" + s + "）"
	}
	switch l.Action {
	case "cadre.handover":
		if m := reHandover.FindStringSubmatch(d); m != nil {
			return fmt.Sprintf("%s 将 %s 家主体从 %s 移交给 %s%s", who, m[2], rf.name("cadre:"+strconv.FormatInt(l.SubjectID, 10)), rf.name("cadre:"+m[1]), reason(m[3]))
		}
	case "assignment.change":
		if m := reCadreChange.FindStringSubmatch(d); m != nil {
			from := rf.name("cadre:" + m[1])
			if m[1] == "0" {
				return fmt.Sprintf("%s 指定 %s 包保 %s%s", who, rf.name("cadre:"+m[2]), subject, reason(m[4]))
			}
			verb := "调整为"
			if m[3] != "" {
				verb = "移交给"
			}
			return fmt.Sprintf("%s 将 %s 的包保干部从 %s %s %s%s", who, subject, from, verb, rf.name("cadre:"+m[2]), reason(m[4]))
		}
	case "visit.submit", "visit.revise":
		if m := reVisit.FindStringSubmatch(d); m != nil {
			s := fmt.Sprintf("%s %s %s 的%s（%s）", who, map[bool]string{true: "更正了", false: "提交了"}[l.Action == "visit.revise"],
				subject, modeLabel(m[2]), cycleWords(m[3]))
			if n, _ := strconv.Atoi(m[4]); n > 0 {
				s += fmt.Sprintf("，发现问题 %d 项", n)
			} else {
				s += "，未发现问题"
			}
			if m[5] != "" {
				s += "，现场所见：" + statusSeenLabel(m[5])
			}
			if m[7] != "" {
				s += reason(m[7])
			}
			return s
		}
	case "visit.uncount", "visit.count":
		if m := reCounted.FindStringSubmatch(d); m != nil {
			if l.Action == "visit.uncount" {
				return fmt.Sprintf("%s 抽查认定 %s 的一次督导记录不属实，不计入覆盖%s", who, subject, reason(m[1]))
			}
			return fmt.Sprintf("%s 将 %s 的一次督导记录恢复计入覆盖%s", who, subject, reason(m[1]))
		}
	case "rectification.close":
		if m := reRectClose.FindStringSubmatch(d); m != nil {
			return fmt.Sprintf("%s 复查确认 %s 的问题已整改（照片 %s 张）", who, subject, m[2])
		}
	case "rectification.extend":
		if m := reRectExtend.FindStringSubmatch(d); m != nil {
			return fmt.Sprintf("%s 将 %s 的整改期限延至 %s%s", who, subject, chinaDay(m[2]), reason(m[3]))
		}
	case "letter.issue", "letter.ack", "letter.feedback":
		if m := reLetter.FindStringSubmatch(d); m != nil {
			switch {
			case m[2] != "":
				return fmt.Sprintf("%s 向 %s 签发提示函 %s（问题 %s 项）", who, subject, m[1], m[2])
			case m[3] != "":
				s := fmt.Sprintf("%s 签收了 %s 的提示函 %s", who, subject, m[1])
				if m[3] != "0" || m[4] != "0" {
					s += fmt.Sprintf("，附整改反馈（%s 字，照片 %s 张）", m[3], m[4])
				}
				return s
			default:
				return fmt.Sprintf("%s 就提示函 %s 提交整改反馈（%s 的 %s 项整改，照片 %s 张）", who, m[1], subject, m[5], m[6])
			}
		}
	case "relocation.approved", "relocation.rejected":
		if m := reRelocation.FindStringSubmatch(d); m != nil {
			if m[1] == "rejected" {
				return fmt.Sprintf("%s 驳回了 %s 的搬迁申请%s", who, subject, note(m[5]))
			}
			s := fmt.Sprintf("%s 同意 %s 搬迁", who, subject)
			if id, _ := strconv.ParseInt(m[2], 10, 64); id > 0 {
				s += "至" + rf.regions[id]
			}
			if m[4] != "" {
				s += "，由 " + rf.name("cadre:"+m[4]) + " 包保"
			} else if m[3] != "" {
				s += "，原包保关系结束"
			}
			return s + note(m[5])
		}
	case "code.issue", "code.revoke":
		kv := keyValues(d)
		target := rf.people[kv["role"]+":"+kv["subject"]].Label()
		if target == "" {
			target = subject
		}
		if l.Action == "code.revoke" {
			return fmt.Sprintf("%s 撤销了 %s 的绑定码", who, target)
		}
		s := fmt.Sprintf("%s 为 %s 生成绑定码", who, target)
		if t, err := time.Parse(time.RFC3339, kv["expires"]); err == nil {
			s += "，有效期至 " + t.In(clock.China).Format("2006年1月2日 15:04")
		}
		return s
	case "bind", "unbind", "unsubscribe":
		return fmt.Sprintf("%s %s（%s）", msgWeChatUser, AuditActionLabel(l.Action), subject)
	case "register.import":
		if file, summary, ok := strings.Cut(d, ": "); ok {
			return fmt.Sprintf("%s 导入登记表「%s」：%s", who, file, summary)
		}
	case "notification.retry":
		if m := reRetry.FindStringSubmatch(d); m != nil {
			return fmt.Sprintf("%s 重新发送了给 %s 的通知（原状态：%s）", who, rf.people[m[1]].Label(), outboxStatusWords(m[2]))
		}
	case "pledge.sign":
		if strings.HasPrefix(d, "签署") {
			return fmt.Sprintf("%s 为 %s %s", who, subject, d)
		}
	case "incident.report", "incident.accepted", "incident.handling", "incident.closed", "incident.note", "incident.escalate":
		// The incidents write their detail in words already.
		return fmt.Sprintf("%s %s（%s）", who, l.ActionLabel, d)
	case "apitoken.create", "apitoken.revoke":
		if m := reToken.FindStringSubmatch(d); m != nil {
			return fmt.Sprintf("%s %s「%s」", who, AuditActionLabel(l.Action), m[1])
		}
	}
	// A detail in a form this reader does not know is left out rather than
	// shown in its stored codes.
	return fmt.Sprintf("%s %s（%s）", who, l.ActionLabel, subject)
}

func note(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	return "（说明：" + s + "）"
}

func keyValues(s string) map[string]string {
	out := map[string]string{}
	for _, m := range reKeyValue.FindAllStringSubmatch(s, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func modeLabel(m string) string {
	if l, ok := map[string]string{"onsite": "现场督导", "online": "在线督导", "centralized": "集中督导", "report": "集中汇报"}[m]; ok {
		return l
	}
	return "督导记录"
}

func statusSeenLabel(k string) string {
	if l, ok := map[string]string{"changed": "信息变更", "relocated": "搬迁", "suspended": "停产停业", "deregistered": "注销",
		"resumed": "恢复经营"}[k]; ok {
		return l
	}
	return "经营状态变化"
}

// cycleWords names a cycle key ("2026Q4" → "2026年第四季度", "2026H1",
// "2026-11", "2026"), as supervision keys them.
func cycleWords(key string) string {
	switch {
	case len(key) == 4:
		return key + "年"
	case len(key) == 6 && key[4] == 'Q' && key[5] >= '1' && key[5] <= '4':
		return key[:4] + "年第" + string([]rune("一二三四")[key[5]-'1']) + "季度"
	case len(key) == 6 && key[4] == 'H' && (key[5] == '1' || key[5] == '2'):
		return key[:4] + "年" + map[byte]string{'1': "上半年", '2': "下半年"}[key[5]]
	case len(key) == 7 && key[4] == '-':
		m, _ := strconv.Atoi(key[5:])
		return fmt.Sprintf("%s年%d月", key[:4], m)
	}
	return "本周期"
}

func chinaDay(s string) string {
	t, err := time.ParseInLocation("2006-01-02", s, clock.China)
	if err != nil {
		return s
	}
	return t.Format("2006年1月2日")
}

func outboxStatusWords(s string) string {
	if l, ok := map[string]string{"pending": "待发送", "sending": "发送中", "sent": "已发送", "delivered": "已送达", "failed": "发送失败",
		"dead": "多次失败已停止", "unreachable": "无法送达"}[s]; ok {
		return l
	}
	return "其他"
}
