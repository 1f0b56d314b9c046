package letter

import "time"

// Text users see, in one place. The letter itself is templates/letters.
const (
	msgNotFound        = "提示函不存在。"
	msgNoFindings      = "该次督导未发现问题，无需发送提示函。"
	msgVisitSuperseded = "该督导记录已有更正版本，请在最新版本上发送提示函。"
	msgNotVisitCadre   = "只有该次督导的包保干部可以为其发送提示函。"
	msgNoOffice        = "该主体所在区域尚未设置食安办，无法编号发函，请联系区食安办。"
	msgManagerScope    = "「%s」不在您所在食安办的管辖范围内。"
	msgManagerInactive = "您的食安办人员身份已停用。"
	msgBadIssuer       = "发函人无效。"
	msgNoIssueFindings = "请至少填写一项问题或整改要求。"
	msgFindingEmpty    = "第%d项问题的描述不能为空。"
	msgFindingTooLong  = "第%d项问题的描述或整改要求过长（各最多500字）。"
	msgDeadlinePast    = "第%d项整改期限不能早于今天。"
	msgTooManyFindings = "问题过多（最多%d项）。"
	msgRemarksTooLong  = "附言过长（最多500字）。"
	msgNumberTooLong   = "提示函编号过长，请检查食安办简称。"
	msgDeregistered    = "「%s」已注销，不能发送提示函。"
	msgAlreadyAcked    = "该提示函已于%s签收，无需重复签收。"
	msgNotContactOf    = "您不是该主体的联系人，不能签收此提示函。"
	msgContactNotBound = "请先在公众号绑定主体联系人身份，再签收提示函。"
	msgFeedbackEmpty   = "请填写整改情况或上传整改照片。"
	msgFeedbackTooLong = "整改反馈过长（最多500字）。"
	msgTooManyPhotos   = "照片过多（最多%d张）。"
	msgForbiddenReader = "您无权查看此提示函。"

	// Notifications: titles (template fields are cut at 20 characters)
	// and full texts.
	titleIssued       = "督导提示函"
	titleKnowledge    = "食品安全知识"
	textKnowledge     = "%s：针对提示函（%s）所列问题，请阅读以下知识，对照整改：\n%s全文见提示函页面。"
	textKnowledgeItem = "《%s》%s\n"
	textKnowledgeMore = "另有%d篇，"
	textIssued        = "%s：您单位收到%s发出的责任督导提示函（%s），涉及%d项问题，请点击查看并签收回执。"
	textIssuedCadre   = "已向「%s」发出责任督导提示函（%s），请跟进整改。"
	titleRemind       = "提示函待签收"
	textRemind        = "%s：责任督导提示函（%s）已发出%d天，尚未签收，请点击查看并签收回执。"
	textRemindCadre   = "「%s」的责任督导提示函（%s）已发出%d天仍未签收，请联系主体督促签收。"
	titleAcked        = "提示函已签收"
	textAcked         = "「%s」已签收责任督导提示函（%s），签收人：%s。"
	textAckedFeedback = "「%s」已签收责任督导提示函（%s），签收人：%s。整改反馈：%s%s"
	textPhotos        = "（附照片%d张）"
	titleFeedback     = "整改反馈"
	textFeedback      = "「%s」就责任督导提示函（%s）反馈整改情况，反馈人：%s。%s"
)

// Seasonal notes, by season. A letter carries the note of the month it
// was issued in (China time).
var seasons = []struct {
	months []time.Month
	season Season
}{
	{[]time.Month{12, 1, 2}, Season{Name: "冬季", Notes: []string{
		"冬季是诺如病毒感染高发期：严格落实从业人员晨检，出现呕吐、腹泻等症状的人员立即离岗；加强餐饮具和环境的清洗消毒。",
		"火锅、涮煮类食材从正规渠道采购并查验票证，生熟分开，烧熟煮透；元旦、春节期间加强节日食品进货查验。",
	}}},
	{[]time.Month{3, 4, 5}, Season{Name: "春季", Notes: []string{
		"春季气温回升，注意食品贮存温度，冷藏冷冻设施定期检查并记录。",
		"不采购、不加工野生蘑菇和不认识的野菜，谨防误食中毒。",
	}}},
	{[]time.Month{6, 7, 8}, Season{Name: "夏季", Notes: []string{
		"夏季高温高湿，食品易腐败变质：冷藏食品及时入库，熟食常温存放不超过2小时，剩饭剩菜彻底加热。",
		"做好防蝇、防鼠、防虫设施；四季豆、豆浆须烧熟煮透，预防细菌性食物中毒。",
	}}},
	{[]time.Month{9, 10, 11}, Season{Name: "秋季", Notes: []string{
		"秋季开学及中秋、国庆期间，加强学校食堂和节日食品（月饼等）的进货查验，注意标签和保质期。",
		"四季豆、豆浆须烧熟煮透；早晚温差大，注意熟食和冷荤食品的贮存温度。",
	}}},
}

// seasonOf is the seasonal note for the month t falls in (China).
func seasonOf(m time.Month) Season {
	for _, s := range seasons {
		for _, x := range s.months {
			if x == m {
				return s.season
			}
		}
	}
	return Season{}
}
