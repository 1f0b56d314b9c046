package bot

// The pledge (承诺书) command's words.
const (
	msgPledgeTitle    = "%s：%s"
	msgPledgeSigned   = "已于%s签署（签署人：%s）。点击查看或打印。"
	msgPledgeUnsigned = "%d年度承诺书%s。点击阅读全文并手写签名。"
	msgPledgeNobody   = "承诺书由包保干部和已绑定的主体联系人签署。请先发送“绑定 绑定码”完成绑定。"
	msgPledgeOff      = "承诺书功能暂未开通，请联系属地食安办。"
)
