package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/wechat"
)

// SignedCallbacks play the platform against a running service for
// `shianbao load`: they sign (and encrypt) messages exactly as WeChat does
// and decode the replies, so a load run exercises production's path.
type SignedCallbacks struct {
	platform wechat.Platform
	mode     wechat.Mode
}

// NewSignedCallbacks signs with the account of cfg in mode (plain,
// compatible or safe); "" takes what the service takes: safe with
// wechat.aeskey set, else plain. The error explains a mode the service
// would refuse.
func NewSignedCallbacks(cfg config.Config, mode string) (SignedCallbacks, error) {
	m := wechat.Mode(mode)
	key := cfg.WeChat.AESKey
	switch {
	case m != "" && m != wechat.ModePlain && m != wechat.ModeCompatible && m != wechat.ModeSafe:
		return SignedCallbacks{}, errors.New("-mode must be plain, compatible or safe")
	case m == "" && key != "":
		m = wechat.ModeSafe
	case m == "":
		m = wechat.ModePlain
	case m == wechat.ModePlain && key != "":
		return SignedCallbacks{}, errors.New("-mode plain: wechat.aeskey is set, so the service refuses plaintext; run both the service and load with SHIANBAO_WECHAT_AESKEY= to measure plaintext")
	case m != wechat.ModePlain && key == "":
		return SignedCallbacks{}, errors.New("-mode " + string(m) + " needs wechat.aeskey (the service without a key takes plaintext only)")
	}
	return SignedCallbacks{platform: wechat.Platform{AppID: cfg.WeChat.AppID, Token: cfg.WeChat.Token, AESKey: key}, mode: m}, nil
}

// Text is a signed text message from user to the callback at url.
func (c SignedCallbacks) Text(url, user, text string, msgID int64, at time.Time) (*http.Request, error) {
	return c.platform.Request(url, wechat.TextMessage(user, "gh_load", text, msgID, at), c.mode)
}

// Image is a signed photo message from user to the callback at url.
func (c SignedCallbacks) Image(url, user, mediaID, picURL string, msgID int64, at time.Time) (*http.Request, error) {
	return c.platform.Request(url, wechat.ImageMessage(user, "gh_load", mediaID, picURL, msgID, at), c.mode)
}

// Location is a signed location message from user to the callback at url.
func (c SignedCallbacks) Location(url, user string, lat, lng float64, label string, msgID int64, at time.Time) (*http.Request, error) {
	return c.platform.Request(url, wechat.LocationMessage(user, "gh_load", lat, lng, label, msgID, at), c.mode)
}

// ReplyText decodes the service's passive reply (checking its signature
// and decrypting it when encrypted) and returns its text.
func (c SignedCallbacks) ReplyText(resp *http.Response) (string, error) {
	r, err := c.platform.DecodeReply(resp, c.mode)
	if err != nil {
		return "", err
	}
	return r.Content, nil
}

// BareSDKHandler is the SDK's own callback server answering "success" and
// nothing else, the baseline a load run compares the service with.
func (c SignedCallbacks) BareSDKHandler() http.Handler {
	return wechat.BareSDKHandler(c.platform.AppID, c.platform.Token, c.platform.AESKey)
}

// LoadBinding is a person a load run binds (by sending "绑定 "+Code) and
// then speaks as.
type LoadBinding struct {
	SubjectID int64
	Code      string
}

// LoadContactCodes issues binding codes, by "load", for the principals of
// the first n operating businesses that have one (creating the contact
// from the register). Fewer than n means the register has no more.
func (s *Services) LoadContactCodes(ctx context.Context, n int) ([]LoadBinding, error) {
	var out []LoadBinding
	for offset := 0; len(out) < n; offset += 1000 {
		bs, _, err := s.Query.Businesses(ctx, query.BusinessFilter{Status: string(registry.StatusOperating), Limit: 1000, Offset: offset})
		if err != nil || len(bs) == 0 {
			return out, err
		}
		for _, b := range bs {
			if len(out) == n {
				break
			}
			c, err := s.Accounts.EnsureContact(ctx, b.ID, account.ContactPrincipal)
			if err != nil {
				continue // nobody registered in the post
			}
			code, _, err := s.Accounts.IssueCode(ctx, account.RoleContact, c.ID, "load")
			if err != nil {
				return nil, err
			}
			out = append(out, LoadBinding{SubjectID: b.ID, Code: code})
		}
	}
	return out, nil
}

// LoadCadreCodes issues binding codes, by "load", for the first n cadres
// with open supervision tasks. Fewer than n means no more have any.
func (s *Services) LoadCadreCodes(ctx context.Context, n int) ([]LoadBinding, error) {
	var out []LoadBinding
	for offset := 0; len(out) < n; {
		cadres, _, err := s.Registry.FindCadres(ctx, registry.CadreFilter{Limit: 1000, Offset: offset})
		if err != nil || len(cadres) == 0 {
			return out, err
		}
		for _, c := range cadres {
			if len(out) == n {
				break
			}
			tasks, err := s.Supervision.Tasks(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			if len(tasks) == 0 {
				continue
			}
			code, _, err := s.Accounts.IssueCode(ctx, account.RoleCadre, c.ID, "load")
			if err != nil {
				return nil, err
			}
			out = append(out, LoadBinding{SubjectID: c.ID, Code: code})
		}
		offset += len(cadres)
	}
	return out, nil
}
