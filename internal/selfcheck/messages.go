package selfcheck

// Text users see, in one place.
const (
	msgTotal = "合计"

	msgBadPeriod    = "日期格式不正确。"
	msgFuture       = "还没到这一天，不能提前填写%s。"
	msgTooLate      = "只能补记近%d天内的%s。更早的记录请在纸质台账上补记并说明原因。"
	msgNotOperating = "「%s」目前为“%s”状态，暂不需要填写自查记录。恢复经营后请联系包保干部更新状态。"

	msgUnknownRisk     = "检查项目 %s 不在本店的日管控清单中。"
	msgRiskTwice       = "「%s」重复填写。"
	msgProblemNoNote   = "请说明「%s」发现的问题和处置结果。"
	msgNoteTooLong     = "问题和处置说明太长了，请控制在%d字以内。"
	msgNeedNextRisks   = "请填写下周需要重点防范的风险；没有特别的风险请填“无”。"
	msgNeedOpenItems   = "请列出尚未整改完成的问题。"
	msgNeedConclusions = "请填写调度会议的结论。"
	msgNeedKeyWork     = "请填写下月的重点工作。"
	msgTextTooLong     = "内容太长了，请控制在%d字以内。"
	msgBadKey          = "提交编号无效，请重新填写。"
	msgKeyTaken        = "提交编号与其他记录重复，请重新填写。"
	msgTooManyPhotos   = "照片最多%d张。"
	msgBadPhoto        = "照片信息无效，请重新发送。"
	msgNoRecord        = "%s还没有%s记录。"
	msgNoPhoto         = "照片不存在或尚未保存。"

	msgForbidden = "只有本主体绑定的联系人和负责包保的干部可以查看自查台账。"
	msgBadScope  = "区域范围无效。"
	msgBadSpan   = "统计区间无效（最长%d天）。"

	msgDemoNotEmpty = "已有自查记录，不能再生成演示记录。"

	msgRemindRange = "提醒时间请设在 %s 到 %s 之间。"

	msgRemindTitle   = "食品安全自查提醒"
	msgRemindHello   = "%s，您好！「%s」"
	msgRemindDaily   = "今天（%s）的日管控还没有记录：检查完回复“日管控”，都正常再回复“全部正常”，半分钟就好。"
	msgRemindWeekly  = "本周的周排查还没有填写，回复“周排查”即可开始。"
	msgRemindMonthly = "本月的月调度会议纪要还没有填写，回复“月调度”即可开始。"
	msgRemindTail    = "（提醒时间可以修改，例如回复“日管控提醒 18:00”。）"
)

// A self-check photo that could not be saved.
const (
	msgPhotoFailed      = "「%s」%s记录的第%d张照片未能保存，请重新发送。"
	msgPhotoFailedTitle = "第%d张照片未能保存"
)
