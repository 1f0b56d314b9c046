package listing

// What a list says about a filter it cannot take, in one place.
const (
	msgQueryTooLong    = "搜索词过长（最多64字）。"
	msgBadGrade        = "等级应为 A、B、C 或 D。"
	msgBadCategory     = "业态应为 生产、销售、餐饮 或 单位食堂。"
	msgBadStatus       = "状态应为 正常经营、停产停业 或 已注销。"
	msgBadCovered      = "覆盖情况应为 yes 或 no。"
	msgBadDate         = "日期格式应为 YYYY-MM-DD。"
	msgBadMode         = "督导方式应为 现场、在线、集中督导 或 集中汇报。"
	msgBadFlag         = "异常类型应为 重复照片、相似照片、距离过远、行程不可能、短时集中上报、无定位、无照片 或 照片时间不符（接口用英文名称，如 duplicate_photo）。"
	msgBadNotifyStatus = "未知的通知状态：%s"
	// MsgTotal names a table's grand total row.
	MsgTotal = "合计"
)
