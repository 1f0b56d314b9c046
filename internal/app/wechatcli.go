package app

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/wechat"
)

// simulatorAPI is where commands run on the embedded default call the
// WeChat API: the fake the running service serves at /dev/wxapi, so a QR
// code or a menu made from the command line is the one the simulator
// shows. Elsewhere it is the configured base.
func simulatorAPI(cfg config.Config) string {
	base := cfg.WeChat.APIBase
	if !cfg.Simulator || strings.TrimRight(base, "/") != wechat.OfficialAPI {
		return base
	}
	return "http://" + loopback(cfg.HTTP.Addr) + simAPIPath
}

// wechatHints explain the platform's answers an operator can act on.
var wechatHints = map[int]string{
	40001: "access_token 无效，请检查 AppID 和 AppSecret",
	40013: "AppID 无效",
	40125: "AppSecret 错误",
	40164: "服务器 IP 不在公众号的接口 IP 白名单中",
	42001: "access_token 已过期",
	45009: "接口调用次数已达上限，请明天再试",
	48001: "公众号没有此接口的权限（需已认证的服务号）",
	61004: "服务器 IP 不在公众号的接口 IP 白名单中",
}

// WeChatFailure says in one Chinese line why a call to the WeChat API
// failed, for the command line: never the platform's English, a token or
// a half-done result.
func (s *Services) WeChatFailure(err error) string {
	if err == nil {
		return ""
	}
	if s.Config.Simulator && strings.HasSuffix(s.apiBase, simAPIPath) {
		if e, ok := wechat.AsError(err); ok && e.Code == 0 && e.Temporary {
			return fmt.Sprintf("连不上模拟器的微信接口（%s），请先启动服务（go run ./cmd/shianbao）再试", s.apiBase)
		}
	}
	e, ok := wechat.AsError(err)
	switch {
	case !ok:
		var ee *errs.Error
		if errors.As(err, &ee) && ee.Message != "" {
			return ee.Message
		}
		return "出错了：" + wechat.Redact(err.Error())
	case e.Code != 0 && wechatHints[e.Code] != "":
		return fmt.Sprintf("微信接口返回错误 %d：%s", e.Code, wechatHints[e.Code])
	case e.Code != 0:
		return fmt.Sprintf("微信接口返回错误 %d", e.Code)
	case e.Kind() == errs.Invalid:
		return "请求不符合微信接口的要求"
	}
	return "连不上微信接口，请检查网络后重试"
}
