package wechat

import (
	"net/http"

	"github.com/silenceper/wechat/v2/officialaccount/config"
	oacontext "github.com/silenceper/wechat/v2/officialaccount/context"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/officialaccount/server"
)

// BareSDKHandler is the SDK's callback server with nothing added: it
// checks the signature, decodes the message and answers "success". The load
// command measures it beside the real callback, so the cost of the guards
// (replay, dedupe, ordering, budget) and the bot is known, not guessed.
func BareSDKHandler(appID, token, aesKey string) http.Handler {
	quietSDK()
	ctx := &oacontext.Context{Config: &config.Config{AppID: appID, Token: token, EncodingAESKey: aesKey}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv := server.NewServer(ctx)
		srv.Request, srv.Writer = r, w
		srv.SetMessageHandler(func(*message.MixMessage) *message.Reply { return nil })
		if err := srv.Serve(); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if srv.ResponseMsg == nil && r.URL.Query().Get("encrypt_type") == "aes" {
			w.Write([]byte("success"))
		}
	})
}
