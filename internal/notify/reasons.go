package notify

import "html"

// Why a notification could not be delivered, in the words the console and
// the CLI show to managers (LastError). Platform errors are stored as the
// platform's code and redacted message instead.
const (
	reasonNotBound        = "未绑定微信"
	reasonWeComOnly       = "仅绑定企业微信，无法接收公众号消息"
	reasonUnsubscribed    = "已取消关注公众号"
	reasonNoWindow        = "超出48小时客服消息窗口且未配置模板"
	reasonNoRobot         = "未配置该群的企业微信机器人"
	reasonNotFollowing    = "未关注公众号（43004）"
	reasonBlacklisted     = "已被公众号拉黑（43019）"
	reasonRefused         = "拒收订阅通知（43101）"
	reasonBadOpenID       = "openid 无效（40003）"
	reasonUserBlock       = "用户拒收公众号消息（模板消息回执：user block）"
	reasonSystemFailed    = "微信平台投递失败（模板消息回执：system failed）"
	reasonInterrupted     = "发送中断次数过多（发送进程多次在发送中退出）"
	reasonDirectoryFailed = "读取绑定信息失败"

	// detailLabel links a robot post to the message's H5 page.
	detailLabel = "查看详情"
)

// Console messages for Retry.
const (
	msgNoSuchNotification = "没有这条通知"
	msgNotRetryable       = "这条通知正在发送或已发出，不能重发"
)

// DetailLink is the customer-service text that links to a message's H5 page.
func DetailLink(url string) string {
	return `<a href="` + html.EscapeString(url) + `">` + detailLabel + `</a>`
}
