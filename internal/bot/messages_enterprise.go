package bot

// Sentences of the business side and of prompt letters.

const (
	msgContactsOnly = "这个功能供包保主体（食品经营者）使用。请向您的包保干部或食安办索取绑定码，发送“绑定 + 绑定码”绑定。"
	msgCardTitle    = "两个责任知晓卡：%s"
	msgCardDesc     = "包保干部：%s %s\n督导频次：%s至少督导一次\n点击查看完整知晓卡"
	msgCardNoCadre  = "包保干部分配中，点击查看知晓卡"
	msgCardSheet    = "本村(社区)知晓卡打印页（每户一页，含二维码，可直接打印张贴）：\n%s"

	msgNoLetters     = "目前没有督导提示函。"
	msgLettersHeader = "督导提示函共%d份（待回执的在前），点击链接查看并回执："
	msgMoreLetters   = "\n……另有%d份"

	msgNoCadreYet = "您的包保干部正在分配中，请联系镇(街道)食安办。"
	msgYourCadre  = "您的包保干部：%s（%s）\n工作电话：%s"

	msgPickLetter        = "对哪一份提示函反馈整改情况？回复序号："
	msgNoSuchLetter      = "没有这个序号，请回复 1 到 %d 之间的数字。"
	msgHelpPickLetter    = "回复列表中的序号，选择要反馈的提示函。"
	msgAskFeedback       = "请简要说明「%s」所列问题的整改情况（回复“跳过”只发照片）："
	msgHelpFeedback      = "写明做了哪些整改，例如“已更换防蝇帘，地面已修补”。"
	msgAskFeedbackPhotos = "请发送整改后的照片（可多张），发完回复“完成”；没有照片回复“跳过”。"
	msgFeedbackEmpty     = "请至少写一句整改说明或发送一张照片。"
	msgFeedbackDone      = "✅ 已提交「%s」的整改反馈，包保干部会进行复查。"

	msgAskLetter         = "本次发现问题%d项。发送《责任督导提示函》给该主体吗？回复 1 发送 / 2 不发送"
	msgHelpLetter        = "提示函列明问题、整改要求和期限，主体在微信中查看并回执。回复 1 发送，2 暂不发送。"
	msgLetterSent        = "已发送提示函 %s，主体回执后会通知您。\n"
	msgLetterUndelivered = "已生成提示函 %s，但该主体尚未绑定微信，暂未送达；主体绑定后将自动送达。\n"
	msgLetterFailed      = "提示函生成失败，请稍后联系食安办补发。\n"
)
