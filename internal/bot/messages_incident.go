package bot

// What the incident report (应急上报) says.
const (
	cmdIncident = "应急"

	msgIncidentKind      = "【应急上报】发生了什么类型的事件？"
	msgIncidentBizMine   = "事件发生在哪家主体？回复序号，或输入主体名称中的几个字："
	msgIncidentBizType   = "事件发生在哪家主体？请输入主体名称中的几个字（如“阿英面馆”）。"
	msgIncidentBizSkip   = "\n不清楚或不是登记的主体，请回复“跳过”。"
	msgIncidentBizPick   = "找到以下主体，请回复序号："
	msgIncidentBizNone   = "没有找到名称含“%s”的主体，请换几个字再试。"
	msgIncidentBizNumber = "请回复1到%d之间的序号，或输入主体名称中的几个字。"
	msgIncidentTown      = "事件发生在哪个镇（街道）？"
	msgIncidentWhat      = "请简要描述发生了什么（时间、经过、目前情况）："
	msgIncidentAffected  = "涉及多少人？请回复人数（没有人员受影响回复0，不清楚回复“跳过”）。"
	msgIncidentBadCount  = "请回复0到100000之间的整数人数，不清楚回复“跳过”。"
	msgIncidentPhotos    = "请发送现场照片（可多张），发完回复“完成”；没有照片回复“跳过”。"
	msgIncidentLocation  = "请发送现场位置（点“+” → 位置）；不方便回复“跳过”。"
	msgIncidentConfirm   = "请核对：\n类型：%s\n地点：%s\n情况：%s\n涉及人数：%s\n照片：%d张\n位置：%s\n\n回复“确认”立即上报，“返回”修改，“取消”放弃。"
	msgIncidentConfirmNo = "未上报。修改请回复“返回”，放弃请回复“取消”，确认无误请回复“确认”。"
	msgIncidentDone      = "已上报（事件编号%d），%s已收到通知，将尽快处置；每一步进展都会告诉您。"
	msgIncidentDoneAnon  = "已上报（事件编号%d），%s已收到通知，将尽快核实处置。您尚未绑定身份，此报告标为“未核实”；如需联系%s，请拨打%s。"
	msgIncidentAgain     = "这次上报已经提交过（事件编号%d），无需重复上报。"

	msgHelpIncidentKind  = "回复序号选择事件类型，例如回复“1”表示疑似食物中毒。"
	msgHelpIncidentBiz   = "回复列表中的序号，或输入主体名称中的几个字。"
	msgHelpIncidentTown  = "回复序号选择事件发生的镇（街道）。"
	msgHelpIncidentWhat  = "用一两句话说明发生了什么，例如：午饭后有5名学生腹泻，已送医。"
	msgHelpIncidentCount = "回复涉及的人数，例如“5”；不清楚回复“跳过”。"
	msgHelpIncidentLoc   = "点输入框旁的＋，选择“位置”发送现场位置，便于食安办赶到现场。"
	msgHelpIncidentConf  = "回复“确认”立即上报；需要修改请回复“返回”逐步退回。"
	msgIncidentUnknown   = "不详"
	msgIncidentNoPlace   = "未指明主体"
	msgIncidentSent      = "已发送"
	msgIncidentNotSent   = "未发送"
)
