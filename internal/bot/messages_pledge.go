package bot

// The pledge (承诺书) command's words.
const (
	msgPledgeTitle    = "%s：%s"
	msgPledgeSigned   = "已于%s签署（签署人：%s）。点击查看或打印。"
	msgPledgeUnsigned = "%d年度承诺书%s。点击阅读全文并手写签名。"
	msgPledgeNobody   = "承诺书由包保干部本人和主体联系人签署。食安办可在管理后台的“承诺书”页查看各村(社区)、各包保干部的签署情况。"
	msgPledgeOff      = "承诺书功能暂未开通，请联系属地食安办。"
)
