package card

// Text users see, in one place. The card itself is templates/cards.
const (
	msgNoBusiness    = "主体不存在。"
	msgNoCard        = "知晓卡不存在，请核对二维码或联系所在镇(街道)食安办。"
	msgForbidden     = "您无权查看此知晓卡。"
	msgForbiddenList = "您无权打印该区域的知晓卡。"
	msgPrincipal     = "主要负责人"
	msgDirector      = "食品安全总监"
	msgOfficer       = "食品安全员"
	msgCadreSuffix   = "包保干部"

	reasonChanged = "包保干部调整"

	titleReissued    = "知晓卡已更新"
	textReissued     = "%s：您单位的包保干部已调整为%s（%s），“两个责任”知晓卡已更新，请点击查看，并更换门店公示的知晓卡。"
	textRenewed      = "%s：您单位的“两个责任”知晓卡已更新（%s），请点击查看，并更换门店公示的知晓卡。"
	textReissuedNone = "%s：您单位的包保干部已调整，新的包保干部确定前请联系所在镇(街道)食安办。“两个责任”知晓卡已更新，请点击查看。"
)
