package query

// What the read side says to people (simplified Chinese).
const (
	msgBadNotificationStatus = "未知的通知状态：%s"
	msgNoSuchNotification    = "没有这条通知"
	msgNoSuchCode            = "绑定码不存在"
	msgNoSuchLetter          = "提示函不存在。"
	msgBadLetterStatus       = "提示函状态应为 issued、delivered、acknowledged 或 unacknowledged。"
	msgBadRectStatus         = "整改状态应为 open、overdue、rectified 或 withdrawn。"
	msgNoSuchRelocation      = "搬迁申请不存在。"
	msgBadScope              = "区域范围无效。"
	msgTotal                 = "合计"
)

// Who did something, when the actor is named by role or is the service.
const (
	msgRoleCadre     = "包保干部"
	msgRoleContact   = "主体联系人"
	msgRoleManager   = "食安办"
	msgRoleOffice    = "食安办"
	msgRoleConsole   = "管理后台用户"
	msgRoleAdmin     = "系统管理员"
	msgRoleViewer    = "只读账号"
	msgOfficeSuffix  = "食安办"
	msgWeChatUser    = "微信用户"
	msgCLI           = "系统运维（命令行）"
	msgImport        = "批量导入"
	msgSeed          = "演示数据"
	msgSystem        = "系统自动"
	msgSourceChat    = "微信对话"
	msgSourceConsole = "管理后台"
)

// Rectifications.
const (
	msgNoSuchRectification = "整改记录不存在。"
	msgStepFeedback        = "整改反馈"
	msgStepRectified       = "复查：已整改"
	msgStepExtended        = "延长整改期限"
	msgStepWithdrawn       = "撤销（督导记录更正）"
	msgStepOther           = "其他"
	msgRectOpen            = "整改中"
	msgRectRectified       = "已整改"
	msgRectWithdrawn       = "已撤销"
)

// The audit log in words.
const (
	msgOtherAction  = "其他操作"
	msgRegister     = "登记表"
	msgSomeBusiness = "（已删除的主体）"
	msgSomeRecord   = "相关记录"
)

// Notifications in words.
const (
	msgOtherNotification = "其他通知"
	msgOtherStatus       = "其他"
	msgGroup             = "工作群"
	msgUnknownPerson     = "（已不在册）"
)

// Pledge filters and reads.
const (
	msgBadPledgeKind   = "承诺书类型应为 cadre（包保干部）或 business（包保主体）。"
	msgBadPledgeStatus = "承诺书状态应为 signed（已签署）或 unsigned（未签署）。"
	msgPledgeNotFound  = "承诺书不存在。"
	msgPledgeRegion    = "该区域不存在或不在您的管辖范围内。"
)
