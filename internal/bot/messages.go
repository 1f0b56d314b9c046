package bot

import (
	"fmt"
	"strings"

	"github.com/shianbao/shianbao/internal/account"
)

// Every sentence the bot says lives here, short and friendly.

const (
	msgWelcome = "您好！这里是食品安全“两个责任”包保督导服务号。\n" +
		"· 包保干部：查看包保任务、上报督导记录、接收到期提醒；\n" +
		"· 食安办：查看督导进度，接收提醒和汇总；\n" +
		"· 包保主体：接收督导提示函和“两个责任”知晓卡。\n\n" +
		"遇到疑似食物中毒、食品安全事故等突发情况，请直接发送“应急”上报，无需绑定。\n\n" +
		"首次使用请先绑定身份：发送“绑定 + 8位绑定码”，例如：绑定 7KQ4M2XP；" +
		"也可以扫描食安办提供的绑定二维码。绑定码由镇(街道)食安办发放，7天内有效，只能使用一次。"
	msgWelcomeBack    = "欢迎回来！"
	msgBindHow        = "请发送“绑定 + 8位绑定码”，例如：绑定 7KQ4M2XP。\n绑定码由镇(街道)食安办或您的包保干部提供，7天内有效。"
	msgBound          = "绑定成功：%s。"
	msgUnbound        = "已解除绑定：%s。\n如需再次使用，请重新获取绑定码。"
	msgYouAre         = "您当前绑定的身份："
	msgNotUnderstood  = "没有看懂这条消息。"
	msgVoiceUnheard   = "没有听清语音内容，请再说一遍，或直接输入文字。"
	msgNoFlowForMedia = "收到。照片和位置请在上报督导过程中按提示发送。"
	msgUnsupported    = "暂时只能处理文字、语音、照片和位置消息，请换一种方式再试。"
)

// menuCommands maps the Official Account menu's click keys (configs/menu.json)
// to the command a user could also type.
var menuCommands = map[string]string{
	"MY_TASKS":       "我的任务",
	"REPORT_VISIT":   "上报督导",
	"RECTIFICATIONS": "整改跟踪",
	"KNOWLEDGE_CARD": "知晓卡",
	"BIND":           "绑定",
	"HELP":           "帮助",
	// Menus by role (configs/menu.json): managers and business contacts.
	"MY_RECORDS":      "我的记录",
	"PROGRESS":        "进度",
	"PROGRESS_CADRES": "进度 干部",
	"OVERDUE":         "逾期",
	"DAILY_CHECK":     "日管控",
	"WEEKLY_CHECK":    "周排查",
	"LETTERS":         "提示函",
	"FEEDBACK":        "整改反馈",
	"CONTACT_CADRE":   "联系包保干部",
	"INCIDENT":        cmdIncident,
	"PLEDGE":          "承诺书",
}

// helpFor lists the commands open to the user's roles.
func helpFor(ids []account.Identity) string {
	var b strings.Builder
	b.WriteString("可以发送：")
	roles := map[account.Role]bool{}
	for _, id := range ids {
		roles[id.Role] = true
	}
	if roles[account.RoleCadre] {
		b.WriteString("\n· 我的任务 — 本周期待督导的主体")
		b.WriteString("\n· 上报督导 — 一分钟填报一次督导")
		b.WriteString("\n· 我的记录 — 最近的督导记录")
		b.WriteString("\n· 整改跟踪 — 复查整改情况")
		b.WriteString("\n· 承诺书 — 阅读并签署包保责任承诺书")
	}
	if roles[account.RoleContact] {
		b.WriteString("\n· 知晓卡 — 本店的“两个责任”知晓卡")
		b.WriteString("\n· 提示函 — 督导提示函及回执")
		b.WriteString("\n· 整改反馈 — 提交整改情况和照片")
		b.WriteString("\n· 日管控 — 记录今天的食品安全自查（都正常只需回复“全部正常”）")
		b.WriteString("\n· 周排查 / 月调度 — 每周排查治理、每月调度会议记录")
		b.WriteString("\n· 台账 — 自查台账，可打印备查")
		b.WriteString("\n· 联系包保干部 — 包保干部的姓名和电话")
		b.WriteString("\n· 承诺书 — 阅读并签署食品安全主体责任承诺书")
	}
	if roles[account.RoleManager] {
		b.WriteString("\n· 进度 — 本周期督导进度")
		b.WriteString("\n· 逾期 — 逾期未督导的主体")
		b.WriteString("\n· 受理 / 开始处置 / 办结 + 事件编号 + 说明 — 办理应急事件，如“受理 12 已派人”")
	}
	b.WriteString("\n· 应急 — 上报疑似食物中毒、投诉举报等突发事件，食安办即时收到")
	b.WriteString("\n· 我是谁 — 查看绑定的身份")
	b.WriteString("\n· 解绑 — 解除本微信的绑定")
	b.WriteString("\n· 帮助 — 显示本说明")
	return b.String()
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
