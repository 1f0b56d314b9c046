package bot

// Sentences of the business's own records (日管控 · 周排查 · 月调度) and
// of what cadres and managers see of them.

const (
	msgDailyBadDate = "没看懂要记录哪一天。记录今天请发送“日管控”；补记请写日期，例如“日管控 昨天”或“日管控 11月26日”（可补记近3天）。"

	msgDailyExisting  = "%s已记录过日管控（%s，%s）。再次提交将更新这一天的记录，原记录保留在修改历史中。\n\n"
	msgDailyFocus     = "【重点检查】督导发现的以下问题尚未整改完毕，今天请先检查：\n"
	msgDailyFocusItem = "★ %s：%s（%s前整改）"
	msgDailyFocusRead = "，参阅提示函所附《%s》"
	msgDailyAsk       = "「%s」%s的日管控%s，共%d项：\n%s\n\n都正常请回复“全部正常”；有问题请回复序号，多个用空格隔开，如：3 7"
	msgDailyLate      = "（补记）"
	msgHelpDaily      = "逐项看一遍：都没问题回复“全部正常”；哪项有问题就回复它的序号（可以多个，如“3 7”），接下来会请您说明问题和处置结果。"
	msgDailyBadItems  = "请回复“全部正常”，或有问题项目的序号（1～%d），多个用空格隔开，如：3 7"
	msgAskProblem     = "第%d项「%s」发现了什么问题？怎么处置的？"
	msgHelpProblem    = "用一两句话写明发现的问题和采取的措施（处置结果），例如：冷藏柜温度12℃，已调整温控，食品转移到备用冰箱。"
	msgAskResolved    = "「%s」的问题处置好了吗？"
	msgHelpResolved   = "当场已处理完的选“已处置”；还需要维修、更换或跟进的选“需跟进”，周排查时会再确认。"
	msgAskDailyPhoto  = "可以拍照留存（可多张），发完回复“完成”；没有照片回复“跳过”。"

	msgDailyRecorded  = "✅ 已记录%s%s的日管控："
	msgDailyAmended   = "✅ 已更新%s%s的日管控（第%d次提交，之前的记录已保留备查）："
	msgDailyAllNormal = "%d项全部正常（零风险）。"
	msgDailyIssues    = "%d项，发现问题%d项（已处置%d项，需跟进%d项）。"
	msgDailyFollowUp  = "\n需跟进的问题请尽快整改，周排查时确认。"
	msgDailyPhotos    = "\n照片%d张已收到。"
	msgDailyTomorrow  = "\n明天见！当天未记录时，%s会提醒您（回复“日管控提醒 18:00”可修改时间）。"
	msgAllNormalShort = "全部正常"
	msgIssuesShort    = "问题%d项"

	msgWeekChoose   = "%s的周排查还没有填写。这次填写哪一周？"
	msgWeekExisting = "%s的周排查已于%s填写过，再次提交将更新报告，原报告保留在修改历史中。\n\n"
	msgWeekSummary  = "「%s」%s周排查\n本周日管控：已记录%d/%d天"
	msgWeekMissing  = "，未记录：%s"
	msgWeekNoIssues = "\n日管控未发现问题。"
	msgWeekIssues   = "\n发现问题%d项（需跟进%d项）："
	msgWeekIssue    = "\n· %s %s：%s（%s）"
	msgAskWeekFixed = "\n\n以上问题是否都已整改到位？"
	msgHelpWeekFix  = "都已整改到位回复“是”；还有没整改完的回复“否”，接下来请列出来。"
	msgAskOpenItems = "请列出尚未整改完成的问题和整改计划："
	msgHelpOpen     = "例如“专间紫外线灯待更换，12月2日前完成”。"
	msgAskNextRisks = "下周需要重点防范哪些风险？（如：气温下降注意燃气安全；节日备货注意进货查验）没有特别的请回复“无”。"
	msgHelpRisks    = "结合天气、节日、新品或设备情况，写明下周要重点注意的风险。"
	msgWeeklyDone   = "✅ 已提交《每周食品安全排查治理报告》（%s%s）：日管控记录%d/%d天，发现问题%d项，%s。"
	msgWeekAllFixed = "均已整改"
	msgWeekOpen     = "尚有问题待整改"

	msgMonthChoose    = "%s的月调度还没有填写。这次填写哪个月？"
	msgMonthExisting  = "%s的月调度已于%s填写过，再次提交将更新纪要，原纪要保留在修改历史中。\n\n"
	msgMonthFigures   = "「%s」%s调度数据（截至%s）：\n· 日管控：记录%d/%d天，发现问题%d项，待整改%d项\n· 周排查：%d次"
	msgMonthOversight = "\n· 包保督导：%d次，发现问题%d项\n· 督导提示函：%d份，已回执%d份"
	msgAskConclusions = "\n\n请填写本月调度会议的结论（本月食品安全状况、问题整改落实情况等）："
	msgHelpConclude   = "主要负责人听取食品安全总监、食品安全员的汇报后，对本月情况作出评价、对问题整改提出要求，写明结论即可。"
	msgAskKeyWork     = "下月重点工作？（如：开展冬季食品安全专项自查、组织从业人员培训）"
	msgHelpKeyWork    = "写明下个月要重点抓的工作和责任人。"
	msgMonthlyDone    = "✅ 已提交《每月食品安全调度会议纪要》（%s%s）。"

	msgLateMark  = "（补记）"
	msgLateShort = "，补记"
	msgResubmit  = "\n这是第%d次提交，之前的版本已保留备查。"
	msgRoleNote  = "\n（按规定%s由%s负责，本次由%s（%s）填写，已如实记录。）"
	msgSeeLedger = "\n查看台账：%s"

	msgLedgerLink = "「%s」自查台账（日管控、周排查、月调度，可打印备查）：\n%s"

	msgRemindNow = "目前每天%s提醒您记录日管控（当天已记录就不提醒）。修改请发送“日管控提醒 + 时间”，例如：日管控提醒 18:00"
	msgRemindBad = "没看懂时间，请这样发送：日管控提醒 18:00"
	msgRemindSet = "好的，以后每天%s如果还没有记录日管控，会提醒您。"

	msgVisitSelfCheck      = "主体自查记录：%s以来日管控%d天、周排查%d次、月调度%d次"
	msgVisitSelfCheckNone  = "（未使用线上台账，请查看纸质台账）"
	msgVisitSelfCheckSince = "上次督导（%s）"
	msgVisitSelfCheckNew   = "近%d天"
	msgVisitLedger         = "\n台账：%s"

	// The console's words (日管控记录率 page): businesses with a record at
	// all, and the rate per business-day.
	msgRatesHeader  = "\n\n日管控（近%d天）：正常经营主体%d家，%d家有记录；按天计记录率%.1f%%"
	msgRatesVillage = "\n· %s %d/%d家有记录，按天计%.1f%%"
)

// roleNames names who Order 60 puts in charge of each kind of record.
var roleNames = map[string]string{"weekly": "食品安全总监或食品安全员", "monthly": "主要负责人"}
