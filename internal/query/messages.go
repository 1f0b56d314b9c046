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
