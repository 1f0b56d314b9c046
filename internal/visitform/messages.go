package visitform

// What the page says about a field it cannot take or a question left open.
const (
	msgMode       = "请选择督导方式。"
	msgResult     = "请选择检查结果：合格、有问题或不适用。"
	msgTooLong    = "内容太长，请控制在500字以内。"
	msgPhotos     = "照片有误，请删除后重新添加（每项最多9张）。"
	msgDate       = "整改期限的日期有误，请重新选择。"
	msgStatus     = "请选择经营状态。"
	msgNoResult   = "未选择检查结果。"
	msgNoDesc     = "未填写问题描述。"
	msgNoPhoto    = "未添加照片。"
	msgNoDeadline = "未选择整改期限。"
	msgIncomplete = "还有内容未填写。"
)

var missingText = map[string]string{
	KeyMode:       "请选择督导方式。",
	KeyLocation:   "现场督导请获取当前位置（无法定位可不填）。",
	KeyStatus:     "请选择经营状态。",
	KeyStatusNote: "请说明经营状态的变化（搬迁请填写新地址）。",
	KeyContact:    "请填写现场对接人（可不填）。",
	KeyLetter:     "请选择是否发送《责任督导提示函》。",
	KeyConfirm:    "请核对后提交。",
}
