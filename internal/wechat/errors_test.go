package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/shianbao/shianbao/internal/errs"
)

func TestNormalize(t *testing.T) {
	const tok = "TOKEN-abc123"
	tests := []struct {
		name      string
		err       error
		code      int
		temporary bool
		msg       string // expected substring of Msg
	}{
		{"CommonError", util.NewCommonError("SetMenu", 40016, "invalid button size"), 40016, false, "invalid button size"},
		{"WrappedCommonError", fmt.Errorf("menu: %w", util.NewCommonError("x", 45009, "quota")), 45009, false, "quota"},
		{"TemplateText", errors.New("template msg send error : errcode=43004 , errmsg=require subscribe rid: 1"), 43004, false, "require subscribe"},
		{"StableTokenText", errors.New("get stable access_token error : errcode=40013 , errormsg=invalid appid"), 40013, false, "invalid appid"},
		{"OAuthText", errors.New("GetUserAccessToken error : errcode=40163 , errmsg=code been used"), 40163, false, "code been used"},
		{"JSONStyle", errors.New(`{"errcode": 45015, "errmsg": "out of time"}`), 45015, false, "out of time"},
		{"SystemBusy", errors.New("errcode=-1 , errmsg=system error"), -1, true, "system error"},
		{"HTTPStatus", fmt.Errorf("http post error : uri=http://x/cgi-bin/message/template/send?access_token=%s , statusCode=502", tok), 0, true, "http status 502"},
		{"HTTP404", errors.New("http get error : uri=http://x/y , statusCode=404"), 0, false, "http status 404"},
		{"URLError", &url.Error{Op: "Post", URL: "http://x/cgi-bin/message/custom/send?access_token=" + tok, Err: errors.New("connection refused")}, 0, true, "connection refused"},
		{"Deadline", &url.Error{Op: "Get", URL: "http://x/?access_token=" + tok, Err: context.DeadlineExceeded}, 0, true, "deadline"},
		{"Other", errors.New("json: cannot unmarshal"), 0, false, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := normalize("op", tt.err, tok)
			if e.Code != tt.code || e.Temporary != tt.temporary || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("normalize = %+v; want code %d, temporary %v, msg containing %q", e, tt.code, tt.temporary, tt.msg)
			}
			if strings.Contains(e.Error(), tok) {
				t.Errorf("Error() = %q leaks the token", e.Error())
			}
			if e.Op != "op" {
				t.Errorf("Op = %q", e.Op)
			}
		})
	}
	if normalize("op", nil) != nil {
		t.Error("normalize(nil) != nil")
	}
	e := &Error{Op: "x", Code: 1}
	if normalize("y", fmt.Errorf("wrapped: %w", e)) != e {
		t.Error("an *Error in the chain is not returned as is")
	}
	d := normalize("op", context.DeadlineExceeded)
	if !errors.Is(d, context.DeadlineExceeded) || errs.KindOf(d) != errs.Unavailable {
		t.Errorf("deadline: Is = %v, kind %s", errors.Is(d, context.DeadlineExceeded), errs.KindOf(d))
	}
}

func TestCheckCommon(t *testing.T) {
	// The robot API's style: a decoded errcode and no Go error.
	if err := checkCommon("robot send", util.CommonError{}); err != nil {
		t.Errorf("errcode 0: %v", err)
	}
	err := checkCommon("robot send", util.CommonError{ErrCode: 45009, ErrMsg: "api freq out of limit"})
	e, ok := AsError(err)
	if !ok || !e.Throttled() || e.RetryAfter <= 0 {
		t.Errorf("checkCommon = %v", err)
	}
}

func TestErrorMethods(t *testing.T) {
	tests := []struct {
		code                                                int
		unreachable, throttled, outsideWindow, tokenInvalid bool
		kind                                                errs.Kind
	}{
		{40001, false, false, false, true, errs.Unavailable},
		{40014, false, false, false, true, errs.Unavailable},
		{42001, false, false, false, true, errs.Unavailable},
		{40003, true, false, false, false, errs.Internal},
		{43004, true, false, false, false, errs.Internal},
		{43019, true, false, false, false, errs.Internal},
		{43101, true, false, false, false, errs.Internal},
		{45009, false, true, false, false, errs.Unavailable},
		{45011, false, true, false, false, errs.Unavailable},
		{45015, false, false, true, false, errs.Internal},
		{45047, false, false, true, false, errs.Internal},
		{40029, false, false, false, false, errs.Unauthorized},
		{40163, false, false, false, false, errs.Unauthorized},
		{47001, false, false, false, false, errs.Internal},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			e := &Error{Op: "op", Code: tt.code}
			if e.Unreachable() != tt.unreachable || e.Throttled() != tt.throttled ||
				e.OutsideWindow() != tt.outsideWindow || e.TokenInvalid() != tt.tokenInvalid || errs.KindOf(e) != tt.kind {
				t.Errorf("%d: unreachable %v throttled %v outside %v token %v kind %s", tt.code,
					e.Unreachable(), e.Throttled(), e.OutsideWindow(), e.TokenInvalid(), errs.KindOf(e))
			}
		})
	}
	if errs.KindOf(invalid("op", "bad")) != errs.Invalid {
		t.Error("invalid() is not errs.Invalid")
	}
	e := &Error{Op: "robot send", Code: 45009, Msg: "limit", RetryAfter: 12 * time.Second}
	if got, want := e.Error(), "wechat robot send: errcode 45009: limit (retry after 12s)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://x/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S3CR3T",
			"https://x/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=REDACTED"},
		{"Post \"http://x/send?access_token=AT-1&type=image\": EOF", "Post \"http://x/send?access_token=REDACTED&type=image\": EOF"},
		{"/sns/oauth2/access_token?appid=a&secret=b&code=c&grant_type=authorization_code",
			"/sns/oauth2/access_token?appid=a&secret=REDACTED&code=REDACTED&grant_type=authorization_code"},
		{"/cgi-bin/webhook/send?key=693a91f6-7xxx", "/cgi-bin/webhook/send?key=REDACTED"},
		{`{"appid":"a","secret":"b","access_token":"c"}`, `{"appid":"a","secret":"REDACTED","access_token":"REDACTED"}`},
		{"errcode=40001 , errmsg=invalid credential statusCode=500", "errcode=40001 , errmsg=invalid credential statusCode=500"},
		{"refresh_token=R&corpsecret=C&ticket=T", "refresh_token=REDACTED&corpsecret=REDACTED&ticket=REDACTED"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefg…"},
		{"督导督导", 10, "督导…"},
		{"a\xffb", 10, "a\uFFFDb"},
	}
	for _, tt := range tests {
		got := truncateUTF8(tt.in, tt.limit)
		if got != tt.want || len(got) > tt.limit {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}
