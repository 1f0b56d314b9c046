package sim

// What the simulator page tells its user about the account's encryption.
const (
	msgAccountEncrypted = "本公众号已配置消息加密密钥（wechat.aeskey），服务只接受兼容模式和安全模式的消息，明文消息会被拒收。" +
		"要试明文模式，请清空该密钥（SHIANBAO_WECHAT_AESKEY=）后重启服务。"
	msgAccountPlain = "本公众号未配置消息加密密钥（wechat.aeskey），只能用明文模式发送。"
	msgUnknownMode  = "未知的消息加密方式，请选择明文模式、兼容模式或安全模式。"
)

// What the fake WeChat API's controls (/dev/wxapi/faults, /dev/wxapi/calls)
// answer to a request they cannot take.
const (
	msgBadFaults     = "故障设置格式错误，应为 JSON：latency、accept_delay、error_rate、error_codes、unfollowed、fail_next、test_account"
	msgBadDuration   = "时长格式错误，应写作 \"300ms\"、\"2s\"，不小于 0、不超过 5m"
	msgBadFaultCode  = "错误码应为正整数（如 45009），或 \"http500\"、\"drop\""
	msgBadErrorRate  = "error_rate 应在 0 到 1 之间"
	msgBadFailNext   = "fail_next 每项需要 path、code 和不小于 1 的 n"
	msgBadUnfollowed = "unfollowed 里不能有空的 openid"
	msgControlMethod = "此地址只支持 GET（faults 另支持 POST 修改、DELETE 全部关闭）"
)

// What the simulator's scan panel says.
const (
	msgQRBinding    = "绑定二维码"
	msgQRMeeting    = "会议签到二维码"
	msgQRParam      = "参数二维码"
	msgQRUnknown    = "无法识别这个二维码：请粘贴二维码里的网址（如绑定二维码的 http://weixin.qq.com/q/… 或公示牌二维码的网址）"
	msgQRUnfollowed = "尚未关注公众号：可点“扫一扫”扫描绑定二维码，关注并绑定。"
)
