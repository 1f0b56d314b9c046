package meeting

// What the meetings say to people, in one place.
const (
	msgBadKind     = "请选择会议类型：工作部署会、干部培训、主体培训或集中督导。"
	msgBadTitle    = "请填写会议名称（60字以内）。"
	msgBadPlace    = "请填写会议地点（100字以内）。"
	msgBadAgenda   = "议程请控制在2000字以内。"
	msgBadTimes    = "请填写会议的开始和结束时间，结束晚于开始，且不超过24小时。"
	msgBadPoint    = "会场坐标不正确：请同时填写纬度和经度，或都不填。"
	msgBadQuiz     = "所选测验不存在，请重新选择。"
	msgBadWindow   = "签到时间窗口须在开始前后24小时以内。"
	msgNoPresiding = "集中督导须指定主持的包保干部。"
	msgNoInvitees  = "按所选范围没有可邀请的人员或主体，请调整邀请范围。"
	msgOutOfScope  = "所选地区不在您的管理范围内。"
	msgNoOffice    = "%s没有食安办，请选择组织会议的镇（街道）或区。"

	msgListedOutOfScope = "名单中有人员或主体不存在或不在您的管理范围内。"
	msgNoMeeting        = "没有找到这个会议，或它不在您的管理范围内。"
	msgNoQR             = "暂时无法生成会议二维码（公众号接口未配置），请稍后再试。"

	msgInviteTitle = "%s通知"
	msgInviteText  = "【%s通知】%s\n时间：%s\n地点：%s%s\n\n请回复“参加”确认出席；不能参加请回复“请假 理由”。会议现场请扫描“%s”签到二维码签到。"
	msgGroupNotice = "**%s通知：%s**\n> 时间：%s\n> 地点：%s\n> 参会范围：%s（共%d人/家）\n\n已通过公众号逐一通知，请提醒相关人员回复参加或请假。"

	msgRemindTomorrow = "会议提醒（明天）"
	msgRemindSoon     = "会议提醒（即将开始）"
	msgRemindText     = "【%s】%s「%s」\n时间：%s\n地点：%s\n到场后请扫描会场签到二维码签到。"
	msgReplyHow       = "尚未回复「%s」：请回复“参加”或“请假 理由”。"

	msgFollowUpTitle = "补学通知：%s"
	msgFollowUpText  = "您未参加%s「%s」（%s）。请补学以下材料：\n%s"
	msgFollowUpQuiz  = "学完后请回复“答题”完成《%s》（%d题）。"
	msgNoMaterials   = "· 请向食安办索取会议材料"
	msgAbsentTitle   = "您包保的%d家主体未参加培训"
	msgAbsentText    = "%s「%s」（%s）以下您包保的主体未到场：%s。请督促其补学并完成测验。"

	msgNotBound         = "请先绑定身份（回复“绑定 绑定码”），再扫码签到或回复会议通知。"
	msgBadScene         = "这个二维码无法识别，请扫描会场张贴的签到二维码。"
	msgTooEarly         = "「%s」签到尚未开始，%s起可以签到。"
	msgTooLate          = "「%s」签到已于%s截止。如已到场，请联系会务人员补签。"
	msgHandReason       = "手工签到请填写原因（100字以内）。"
	msgBadPersonKind    = "请选择包保干部或包保主体。"
	msgAuditHand        = "为%s手工签到「%s」，原因：%s"
	msgNeedReason       = "请假请说明理由，例如：请假 外出学习。"
	msgReasonLong       = "理由请控制在100字以内。"
	msgNoInvitation     = "您目前没有待回复的会议通知。"
	msgCheckedInAlready = "您已在「%s」签到，无需请假。"

	msgNoQuiz         = "您目前没有需要完成的测验。"
	msgQuizBadAnswers = "请按题目顺序回复%d个选项字母，例如：答案 ABCAB。"
	msgQuizBadOption  = "第%d题没有这个选项，请在A到%s中选择。"

	msgNotCentralized    = "只有集中督导会议可以录入督导结果。"
	msgNotBegun          = "集中督导尚未开始，开始后才能录入结果。"
	msgNotAttended       = "该主体未签到，不能记为集中督导。"
	msgNoPacker          = "%s还没有包保干部，请先分配后再录入。"
	msgResultNeedsIssue  = "%s：发现问题时请选择问题所在的检查项并写明问题。"
	msgResultRequirement = "按集中督导要求限期整改"
	msgVisitRemarks      = "集中督导「%s」（%s，会议编号%d）"
	msgVisitPresiding    = "，主持：%s"
	msgAuditResult       = "录入集中督导「%s」结果：%s %s"
	msgAuditCreate       = "创建%s「%s」（%s），邀请%d人（家）"
)
