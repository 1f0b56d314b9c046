package supervision

// Text users see, in one place.
const (
	msgNotYourPage = "您无权查看此页面。"

	msgCadreInactive      = "您的包保干部身份已停用，不能上报督导。如有疑问请联系所在镇(街道)食安办。"
	msgDeregistered       = "「%s」已注销，无需督导。"
	msgNotYours           = "「%s」不是您包保的主体，不能为其上报督导。该主体现由%s（%s）包保，如需代为督导或调整分工，请与其联系。"
	msgUnassigned         = "「%s」尚未分配包保干部，不能上报督导。请联系%s（%s）分配后再报。"
	msgUnassignedNoOffice = "「%s」尚未分配包保干部，不能上报督导。请联系所在镇(街道)食安办分配后再报。"

	msgBadKey      = "提交编号无效，请重新发起上报。"
	msgKeyTaken    = "提交编号与他人的记录重复，请重新发起上报。"
	msgBadMode     = "请选择督导方式：现场督导、在线督导、集中督导或集中汇报。"
	msgBadCheck    = "请选择检查方式：快速检查（四个关键点）或全面检查。"
	msgBadSource   = "记录来源无效。"
	msgBadLocation = "位置信息无效，请重新发送位置。"

	// msgLetterBlocked follows the reason a report's letter cannot be issued.
	msgLetterBlocked = "%s本次督导尚未保存。如暂不发送提示函，请回复“返回”改选暂不发送后再确认。"

	msgStartedFuture        = "督导开始时间不能晚于现在。"
	msgTooManyItems         = "检查项目过多。"
	msgUnknownItem          = "检查项目 %s 不在督导要点中。"
	msgItemNotApplicable    = "「%s」不适用于%s主体。"
	msgItemTwice            = "「%s」重复填写。"
	msgExtraVisit           = "加报：本周期已督导过，本次为再次督导。"
	msgBadResult            = "「%s」的结果应为 合格、有问题 或 不适用。"
	msgItemsMissing         = "还有检查项目未填写：%s。"
	msgFindingNotIssue      = "「%s」未标记为有问题，不能登记问题。"
	msgFindingNoDescription = "请描述「%s」存在的问题。"
	msgFindingTooLong       = "「%s」的问题描述或整改要求过长（各最多500字）。"
	msgDeadlinePast         = "「%s」的整改期限不能早于今天。"
	msgDeadlineFar          = "「%s」的整改期限不能超过一年。"
	msgIssueNoFinding       = "「%s」有问题，请登记问题描述和整改期限。"
	msgTooManyPhotos        = "照片过多（最多%d张）。"
	msgPhotoNoMedia         = "照片缺少媒体编号，请重新发送。"
	msgPhotoTooLong         = "照片信息过长。"
	msgLocationTooLong      = "位置说明过长（最多255字）。"
	msgBadStatusSeen        = "经营状态应为 正常、变更、搬迁 或 停产停业。"
	msgStatusNoteNeeded     = "请说明%s的情况。"
	msgNoteTooLong          = "说明过长（最多500字）。"
	msgContactTooLong       = "现场联系人姓名过长（最多64字）。"
	msgRemarksTooLong       = "督导小结过长（最多1000字）。"
	msgProvenance           = "消息来源记录无效。"
	msgMoreProblems         = "另有%d处问题"
	msgResumedSeen          = "督导时见已恢复正常经营"
	msgStatusSeenNote       = "%s时发现"

	msgVisitNotFound = "督导记录不存在。"
	msgReviseReason  = "请填写更正原因。"
	msgReviseActor   = "请注明更正人。"
	msgReviseFixed   = "更正记录不能改变主体、督导干部或经营状态；状态有误请在主体档案中更正。"
	msgSuperseded    = "该督导记录已有更正版本，请在最新版本上更正。"

	msgRectificationNotFound = "整改记录不存在。"
	msgRecheckNotAssigned    = "只有该主体现在的包保干部可以复查整改。"
	msgRectificationClosed   = "该整改已%s，无需复查。"
	msgRectifiedEvidence     = "请上传整改后的照片，或说明整改情况。"
	msgExtendDate            = "请填写新的整改期限。"
	msgExtendReason          = "请说明延期原因。"
	msgExtendLater           = "新的整改期限应晚于原期限（%s），且不早于今天。"

	msgRelocationNotFound = "搬迁申请不存在。"
	msgRelocationDecided  = "该搬迁申请已处理。"
	msgBadScope           = "区域范围无效。"
)

// A photo that could not be saved.
const (
	msgPhotoFailed          = "「%s」%s的第%d张照片未能保存，请重新发送。"
	msgPhotoFailedTitle     = "第%d张照片未能保存"
	msgPhotoOfVisit         = "督导记录"
	msgPhotoOfRectification = "整改记录"
)
