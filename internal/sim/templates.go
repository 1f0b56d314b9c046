package sim

import (
	"maps"
	"slices"
	"strings"
	"unicode"
)

// The fake's template library: the template messages the demo account has
// added, by the ids configs/shianbao.yaml names. On the platform a
// template has a title and a label for each field; a message shows them
// with the values sent, so the simulator draws a push as WeChat does —
// title, labelled fields, remark — never as thing1: ….

// TemplateCard is a template message as the phone shows it.
type TemplateCard struct {
	Title  string      `json:"title"`
	Fields []CardField `json:"fields"`
	// Remark is the template's fixed closing line.
	Remark string `json:"remark,omitempty"`
}

// CardField is one labelled value of a template message.
type CardField struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

type templateDef struct {
	title  string
	labels map[string]string
	remark string
}

var demoTemplates = map[string]templateDef{
	"tpl-reminder-due": {"督导到期提醒", map[string]string{
		"thing1": "提醒事项", "thing2": "督导周期", "time3": "截止日期", "thing4": "剩余时间"}, "请在截止日期前完成督导并上报。"},
	"tpl-reminder-overdue": {"督导逾期提醒", map[string]string{
		"thing1": "提醒事项", "thing2": "督导周期", "time3": "截止日期", "thing4": "逾期时间"}, "请尽快完成督导并上报。"},
	"tpl-escalation": {"逾期督导督办", map[string]string{
		"thing1": "督办事项", "thing2": "食安办", "time3": "截止日期", "thing4": "逾期时间"}, "请督促包保干部尽快完成督导。"},
	"tpl-digest-monthly": {"月度督导进度", map[string]string{
		"thing1": "报告内容", "thing2": "食安办", "thing3": "督导进度", "thing4": "逾期情况"}, "点击查看各村进度。"},
	"tpl-rectification-due": {"整改到期提醒", map[string]string{
		"thing1": "提醒事项", "thing2": "包保主体", "time3": "整改期限", "thing4": "待整改问题"}, "请按期复查整改情况。"},
	"tpl-letter-issued": {"督导提示函送达通知", map[string]string{
		"thing1": "通知事项", "character_string2": "提示函编号", "thing3": "包保主体", "time4": "送达日期"}, "请点击查看提示函并确认签收。"},
	"tpl-letter-unacknowledged": {"提示函签收提醒", map[string]string{
		"thing1": "提醒事项", "character_string2": "提示函编号", "thing3": "包保主体", "thing4": "未签收天数"}, "请尽快查看并确认签收。"},
	"tpl-letter-acknowledged": {"提示函签收通知", map[string]string{
		"thing1": "通知事项", "character_string2": "提示函编号", "thing3": "签收人", "time4": "签收日期"}, "点击查看签收回执。"},
	"tpl-letter-feedback": {"整改反馈通知", map[string]string{
		"thing1": "通知事项", "character_string2": "提示函编号", "thing3": "包保主体", "thing4": "反馈人"}, "点击查看反馈内容和照片。"},
	"tpl-card-issued": {"知晓卡发放通知", map[string]string{
		"thing1": "通知事项", "thing2": "包保主体", "thing3": "包保干部", "phone_number4": "联系电话"}, "请点击查看并张贴知晓卡。"},
	"tpl-selfcheck-reminder": {"食品安全自查提醒", map[string]string{
		"thing1": "提醒事项", "thing2": "包保主体", "thing3": "待记录", "time4": "日期"}, "请及时记录自查情况。"},
	"tpl-demo": {"工作通知", map[string]string{"thing1": "通知内容"}, "点击查看详情。"},
}

// typeLabels name a field of a template the library does not hold, by
// the platform's field type.
var typeLabels = map[string]string{
	"thing": "内容", "time": "时间", "date": "日期", "character_string": "编号", "phone_number": "电话",
	"number": "数量", "amount": "金额", "name": "姓名", "phrase": "状态", "const": "说明",
}

// templateCard renders a template send with the library's title and labels.
func templateCard(templateID string, data map[string]dataItem) *TemplateCard {
	def, ok := demoTemplates[templateID]
	if !ok {
		def = templateDef{title: "模板消息"}
	}
	card := &TemplateCard{Title: def.title, Remark: def.remark}
	for _, key := range slices.SortedFunc(maps.Keys(data), fieldOrder) {
		label := def.labels[key]
		if label == "" {
			label = typeLabels[strings.TrimRightFunc(key, unicode.IsDigit)]
		}
		if label == "" {
			label = "内容"
		}
		card.Fields = append(card.Fields, CardField{Label: label, Value: data[key].Value})
	}
	return card
}

// fieldOrder sorts template fields by their number (thing1, time2, ...),
// as the template lays them out.
func fieldOrder(a, b string) int {
	na, nb := fieldNumber(a), fieldNumber(b)
	if na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

func fieldNumber(key string) int {
	n := 0
	for _, r := range key[len(strings.TrimRightFunc(key, unicode.IsDigit)):] {
		n = n*10 + int(r-'0')
	}
	return n
}
