package bot

// Sentences of the cadre's and manager's lists.

const (
	msgCadresOnly   = "这个功能供包保干部使用。如您是包保干部，请先发送“绑定 + 绑定码”绑定身份。"
	msgManagersOnly = "这个功能供食安办使用。如您是食安办人员，请先发送“绑定 + 绑定码”绑定身份。"

	msgNoTasks      = "👍 本周期包保的主体都已完成督导。"
	msgTasksHeader  = "本周期待督导%d家"
	msgTasksOverdue = "，其中已逾期%d家"
	msgTasksHint    = "\n\n回复序号开始上报这一家；也可以一句话说完，如“上报 1 现场 合格”。"
	// msgTasksFormHint offers the full checklist's H5 page, per business.
	msgTasksFormHint = "\n全面检查可在网页上一页填完：回复“全面 序号”获取检查表链接。"

	msgNoRecords     = "还没有督导记录。回复“上报督导”开始上报。"
	msgRecordsHeader = "最近的督导记录："

	msgNoRects              = "👍 您包保的主体目前没有待复查的整改。"
	msgRectsHeader          = "待复查的整改%d项，回复序号或输入店名进行复查："
	msgMoreRects            = "\n……另有%d项"
	msgRectsHint            = "\n（回复“取消”退出）"
	msgHelpRect             = "回复列表里的序号，或输入店名、检查项的一部分，选择要复查的整改项。"
	msgAskOutcome           = "「%s」复查结果："
	msgHelpOutcome          = "整改到位选“已整改”，并发送整改后的照片（或采用店家发来的照片）；需要更多时间选“延长期限”；复查发现仍未整改选“未整改”，并定新的期限。"
	msgAskEvidence          = "请发送整改后的照片（可多张），发完回复“完成”；没有照片回复“跳过”。"
	msgAskRecheckNote       = "复查情况说明（回复“跳过”不填）："
	msgAskRecheckNoteNeeded = "没有照片，请写一句复查情况说明（没有照片时不能跳过）："
	msgAskUseFeedback       = "店家已发来%d张整改照片，作为复查照片吗？回复 1 是 / 2 否，我自己拍"
	msgHelpUseFeedback      = "核实店家照片属实即可采用；也可以回复“否”自己拍照。"
	msgUnrectifiedReason    = "复查未整改："
	msgRectGone             = "这一项已经不在待复查列表中了，请回复“整改跟踪”重新查看。"
	msgNoRectMatch          = "待复查的整改中没有找到“%s”，请回复序号或店名。"
	msgManyRects            = "找到多项，请回复序号："
	msgFeedbackLine         = "   店家反馈（%s）：%s"
	msgFeedbackPhotos       = "，照片%d张"
	msgNoFeedbackNote       = "（无文字）"
	msgHelpRecheckNote      = "简要写明复查看到的整改情况。"
	msgEvidenceNeeded       = "没有照片时请写一句复查情况说明。"
	msgAskNewDeadline       = "新的整改期限？回复日期（如 12-20）或天数（如 10天）。"
	msgNewDeadlineRange     = "新的期限应晚于今天，且不超过90天。"
	msgAskReason            = "延期原因？"
	msgHelpReason           = "写明为什么需要延期，例如“需更换设备，供货周期长”。"
	msgRectifiedDone        = "✅ 已记录复查合格：%s。"
	msgExtendedDone         = "已延长整改期限：%s，新期限 %s。"

	msgProgressHeader    = "%s %s督导进度\n总体：已督导 %d/%d（%.1f%%）"
	msgProgressByVillage = "\n按村(社区)："
	msgProgressByTown    = "\n按镇(街道)："
	msgProgressHint      = "\n\n回复“进度 干部”看各干部进度，回复“逾期”看逾期主体。"
	msgProgressTownsHint = "\n\n回复“进度 村”看各村(社区)进度，回复“进度 干部”看各干部进度，回复“逾期”看逾期主体。"
	msgProgressVillages  = "%s %s各村(社区)进度："
	msgCoverageLine      = "· %s %d/%d（%.0f%%）"
	msgProgressByCadre   = "%s %s各干部进度（按完成率从低到高）："
	msgNoCadres          = "辖区内没有包保干部。"
	msgNoOverdue         = "👍 %s目前没有逾期未督导的主体。"
	msgOverdueHeader     = "%s逾期未督导%d家："

	msgPageFooter = "\n（第%d/%d页）"
	msgPageNext   = " 回复“下一页”继续"
	msgNoNextPage = "没有可以翻页的列表。"
)
