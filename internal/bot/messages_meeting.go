package bot

// What the bot says about meetings.
const (
	msgMeetingCheckedIn     = "✅ 签到成功：「%s」\n签到时间 %s"
	msgMeetingAlready       = "您已于 %s 在「%s」签到，无需重复签到。"
	msgMeetingForBusiness   = "已为%s签到。"
	msgMeetingWalkin        = "您不在本次会议的邀请名单中，已记为现场签到。"
	msgMeetingDistance      = "距会场约 %.0f 米。"
	msgMeetingShareLocation = "如需记录到场位置，请发送一次“位置”。"
	msgMeetingQuizLater     = "本次会议有测验《%s》，会后回复“答题”参加。"
	msgMeetingDistanceNoted = "已记录「%s」签到位置：距会场约 %.0f 米。"
	msgMeetingAccepted      = "已确认参加「%s」。\n时间：%s\n地点：%s\n到场后请扫描会场签到二维码。"
	msgMeetingExcused       = "已为您请假「%s」，理由：%s。会后将发送学习材料，请及时补学。"
	msgMeetingQuiz          = "「%s」的测验：\n%s\n\n请按顺序回复“答案”和%d个字母，例如：答案 ABCAB"
	msgMeetingQuizScore     = "《%s》得分：答对 %d / %d 题，%s"
	msgMeetingQuizPassed    = "已及格，谢谢参与！"
	msgMeetingQuizFailed    = "未及格（需答对%d题），可再次回复“答题”重做。"
)
