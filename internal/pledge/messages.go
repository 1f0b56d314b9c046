package pledge

// Text users see, in one place. The pledge itself is templates/pledges.
const (
	msgNotFound       = "承诺书不存在。"
	msgNoOffice       = "属地食安办"
	msgNoCadre        = "（尚未指定）"
	msgNoBusinesses   = "（暂无包保主体）"
	msgForbidden      = "您无权查看此承诺书。"
	msgNotSigner      = "只有本人（包保干部）或该主体已绑定的联系人可以签署此承诺书。"
	msgContactUnbound = "请先在公众号绑定主体联系人身份，再签署承诺书。"
	msgCadreInactive  = "您的包保干部身份已停用，无需签署承诺书。"
	msgDeregistered   = "「%s」已注销，无需签署承诺书。"
	msgAlreadySigned  = "本年度承诺书已于%s签署，无需重复签署。"
	msgNameEmpty      = "请填写签署人姓名。"
	msgNameLong       = "签署人姓名过长（最多20字）。"
	msgTypedMismatch  = "确认签名须与签署人姓名完全一致。"
	msgNoSignature    = "请在签名框内手写签名，或输入姓名全称确认。"
	msgBothSignatures = "请只选择一种签名方式。"
	msgSignatureBad   = "签名图片无效，请重新签名。"
	msgSignatureBlank = "签名框是空的，请手写签名后再提交。"
	msgSignatureStore = "签名保存失败，请稍后重试。"

	reasonFirst   = "尚未签署"
	reasonYear    = "%d年度需重新签署"
	reasonVersion = "承诺书文本已更新，需重新签署"
	reasonCadre   = "包保干部已变更，需重新签署"

	// Notifications.
	titleRemind       = "承诺书待签署"
	textRemindSigner  = "%s：%d年度《%s》尚未签署，请点击打开，阅读后手写签名确认。"
	textRemindCadre   = "您包保的%d家主体%d年度《食品安全主体责任承诺书》已超过%d天未签署：%s。请督促其在公众号中签署。"
	textRemindOffice  = "%s：辖区内%d名包保干部、%d家主体的%d年度承诺书已超过%d天未签署，请在管理后台“承诺书”页查看并督促。"
	titleRemindOffice = "承诺书签署情况"
	whoCadre          = "您包保的主体"
)
