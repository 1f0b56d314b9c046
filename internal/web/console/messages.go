package console

import "github.com/shianbao/shianbao/internal/notify"

// Text the console shows people, in one place (the pages' own wording is
// in templates/console).
const (
	msgReissueReason    = "包保干部调整"
	msgRelocatedReason  = "主体搬迁"
	msgRelocationCadre  = "「%s」迁入%s，已离开原镇(街道)，原包保关系随之结束：请同时选择%s的包保干部。"
	msgNoPage           = "页面不存在。"
	msgReviewBadCycle   = "没有这个督导周期。"
	msgReviewBadKind    = "请选择列出的异常类型。"
	msgReviewBadOutcome = "请选择复核结果：属实、存疑或不属实。"
	msgBadDate          = "日期格式应为 YYYY-MM-DD。"
	msgNoLetters        = "提示函功能未启用。"
	msgBadDeadline      = "整改期限格式应为 YYYY-MM-DD。"
	msgTooManyRows      = "超过 Excel 的行数上限（%d 行），请缩小筛选范围后分批导出。"
	msgNoFile           = "请选择要导入的 .xlsx 或 .csv 文件。"
	msgFileTooLarge     = "文件过大（上限 %d MB），请拆分后分批导入。"
	msgImportGone       = "导入已过期，请重新上传文件。"
	msgUnassigned       = "（未分配）"
	msgSubtotal         = " 小计"
	msgPhotoPending     = "照片尚未取回。"
	msgChartTown        = "各镇(街道)本周期督导覆盖"
	msgChartCity        = "各市本周期督导覆盖"
	msgChartVillage     = "覆盖率较低的村(社区)"
	msgChartCadre       = "覆盖率较低的包保干部"
	msgChartHistory     = "最近四个周期的督导覆盖"
	msgYes              = "是"
	msgNo               = "否"
	msgCodeForCadre     = "包保干部 "
	msgCodeForManager   = "食安办 "
)

// flashes are the sentences a page shows after a change redirected to it
// (?done=<key>; n fills in a count).
var flashes = map[string]string{
	"incident_accepted": "已受理，上报人已收到通知。",
	"incident_handling": "已开始处置，上报人已收到通知。",
	"incident_closed":   "已办结，上报人已收到通知。",
	"incident_note":     "已添加记录。",
	"assigned":          "已调整包保干部。",
	"handover":          "已完成交接：%s 家主体已移交。",
	"letter":            "提示函已签发。",
	"approved":          "已同意搬迁申请。",
	"rejected":          "已驳回搬迁申请。",
	"retried":           "已重新排队发送。",
	"revoked":           "已撤销。",
	"imported":          "导入完成。",
	"reissued":          "已完成交接：%s 家主体已移交，知晓卡已重新签发。",
	"tokenGone":         "令牌已撤销。",
	"judged":            "复核结果已记录。",
}

// notificationLabels name the outbox statuses (as the read side reports
// them, plain strings).
var notificationLabels = map[string]string{
	string(notify.StatusPending): "待发送", string(notify.StatusSending): "发送中", string(notify.StatusSent): "已发送",
	string(notify.StatusDelivered): "已送达", string(notify.StatusFailed): "发送失败(将重试)", string(notify.StatusDead): "已放弃",
	string(notify.StatusUnreachable): "无法送达",
}
