package account

// Every sentence of this package that a user may read.

// Role labels.
var roleLabels = map[Role]string{RoleCadre: "包保干部", RoleManager: "食安办", RoleContact: "主体联系人"}

// Contact role labels.
var contactRoleLabels = map[ContactRole]string{
	ContactPrincipal: "主要负责人", ContactDirector: "食品安全总监", ContactOfficer: "食品安全员", ContactOther: "其他联系人",
}

const (
	// describeFormat is "包保干部 王某某（马鞍村）".
	describeFormat = "%s %s（%s）"

	msgBadRole        = "身份应为 包保干部(cadre)、食安办(manager) 或 主体联系人(contact)，而不是“%s”"
	msgBadContactRole = "联系人职务应为 主要负责人、食品安全总监、食品安全员 或 其他"
	msgBadChannel     = "不支持的消息渠道"
	msgBadUser        = "用户标识不正确"
	msgBadIssuer      = "请注明发码人（最多64个字符）"
	msgContactOnlyOA  = "主体联系人请在微信公众号中绑定；企业微信只能绑定包保干部或食安办身份。"
	msgSubjectGone    = "该绑定码对应的人员已不在登记名单中，请联系食安办核实。"
	msgCadreInactive  = "干部%s已停用，不能绑定。"
	msgManagerOff     = "%s已停用，不能绑定。"

	msgCodeWrong     = "绑定码不正确，请核对后重新发送（例如：绑定 7KQ4M2XP）。1小时内还可输错%d次。"
	msgCodeWrongLast = "绑定码不正确。1小时内已输错%d次，请1小时后再试，或联系食安办重新获取绑定码。"
	msgTooMany       = "绑定码输错次数过多，请 %s后再试。"
	msgRetryHour     = "1 小时"
	msgRetryMinutes  = "%d 分钟"
	msgCodeExpired   = "绑定码已过期，请联系食安办或包保干部重新获取。"
	msgCodeRevoked   = "该绑定码已作废，请联系食安办或包保干部重新获取。"
	msgCodeUsed      = "该绑定码已使用。每个绑定码只能用一次，如需绑定请重新获取。"
	msgQRWrong       = "二维码无效，请向食安办或包保干部索取新的绑定二维码。"
	msgQRExpired     = "绑定二维码已过期，请联系食安办或包保干部重新获取。"
	msgQRRevoked     = "该绑定二维码已作废，请联系食安办或包保干部重新获取。"
	msgQRUsed        = "该绑定二维码已使用。每个二维码只能绑定一次，如需绑定请重新获取。"
	msgAlreadyBound  = "该身份正在绑定，请勿重复发送。"

	msgCodeNotFound   = "绑定码不存在"
	msgCodeUsedNoRev  = "该绑定码已使用，无法作废；如需解除请让对方发送“解绑”。"
	msgContactGone    = "联系人不存在"
	msgContactInvalid = "联系人信息有误"
	msgContactName    = "联系人姓名不能为空，最多64字"
	msgContactDup     = "该主体已有同名的%s"
	msgNoRegistered   = "登记信息中没有该主体的%s，请先补充登记"
	msgNotBound       = "您还没有绑定身份。"

	msgTooManyTokens = "每个账号最多 %d 个有效令牌，请先撤销不用的令牌。"
	msgNoToken       = "令牌不存在。"
	msgTokenName     = "请填写令牌用途（最多40字）"
	msgTokenDays     = "有效期应为1到366天"
	msgBadToken      = "API 令牌无效。"
	msgTokenGone     = "API 令牌无效、已撤销或已过期。"
)

// msgNoQR: the service has no platform to make QR codes with.
const msgNoQR = "暂时无法生成绑定二维码，请使用绑定码"
