package query

// Notifications in words, for the console's lists and exports and the
// `shianbao notifications` command: what kind of push it is, for whom (a
// name and a role) and where it stands — never "cadre:12" or
// "reminder.due".

var notificationKinds = map[string]string{
	"reminder.due": "督导到期提醒", "reminder.overdue": "逾期未督导提醒", "escalation": "逾期上报",
	"digest.weekly": "每周进度", "digest.monthly": "每月汇总", "rectification.due": "整改到期提醒",
	"letter.issued": "督导提示函", "letter.unacknowledged": "提示函未签收提醒", "letter.acknowledged": "提示函已签收",
	"card.issued": "两个责任知晓卡", "selfcheck.reminder": "自查记录提醒", "visit.receipt": "督导回执",
	"photo.failed": "照片未能保存", "pledge.unsigned": "承诺书待签署提醒",
}

// NotificationKindLabel is the Chinese name of a kind of push.
func NotificationKindLabel(kind string) string {
	if l, ok := notificationKinds[kind]; ok {
		return l
	}
	return msgOtherNotification
}

var notificationStatusWords = map[string]string{"pending": "待发送", "sending": "发送中", "sent": "已发送",
	"delivered": "已送达", "failed": "发送失败，将重试", "dead": "多次失败，已停止", "unreachable": "无法送达"}

// NotificationStatusLabel is where a push stands, in Chinese.
func NotificationStatusLabel(status string) string {
	if l, ok := notificationStatusWords[status]; ok {
		return l
	}
	return msgOtherStatus
}

// RecipientLabel is whom the push is for, by name and role
// ("林峰玉（包保干部）", "胡埭（工作群）").
func (n Notification) RecipientLabel() string {
	role := map[string]string{"cadre": msgRoleCadre, "manager": msgRoleManager, "contact": msgRoleContact, recipientGroup: msgGroup}[n.To.Kind]
	name := n.RecipientName
	if name == "" {
		name = msgUnknownPerson
	}
	if role == "" {
		return name
	}
	return name + "（" + role + "）"
}
