package sim

// What the simulator page tells its user about the account's encryption.
const (
	msgAccountEncrypted = "本公众号已配置消息加密密钥（wechat.aeskey），服务只接受兼容模式和安全模式的消息，明文消息会被拒收。" +
		"要试明文模式，请清空该密钥（SHIANBAO_WECHAT_AESKEY=）后重启服务。"
	msgAccountPlain = "本公众号未配置消息加密密钥（wechat.aeskey），只能用明文模式发送。"
	msgUnknownMode  = "未知的消息加密方式，请选择明文模式、兼容模式或安全模式。"
)
