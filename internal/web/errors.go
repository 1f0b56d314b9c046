package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
)

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the kind, says what went wrong in Chinese, and lists field problems.
type ErrorDetail struct {
	Code      errs.Kind         `json:"code"`
	Message   string            `json:"message"`
	Fields    []errs.FieldError `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// handleError is the one place errors become responses. Internal errors are
// logged with the request id and shown as a plain sentence; nothing from a
// driver, stack or SQL reaches the client.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	kind, message := classify(err)
	status := errs.HTTPStatus(kind)
	if kind == errs.Internal {
		s.log.Error("request failed", "rid", RequestID(c), "route", c.Path(), "err", err.Error())
	}
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case wantsHTML(c):
		werr = s.renderError(c, status, message)
	default:
		werr = c.JSON(status, ErrorBody{Error: ErrorDetail{Code: kind, Message: message, Fields: errs.FieldsOf(err), RequestID: RequestID(c)}})
	}
	if werr != nil {
		s.log.Error("write error response", "rid", RequestID(c), "err", werr.Error())
	}
}

// classify finds the kind and user message of any error, including Echo's
// own (404 for unknown routes, 405) and body-limit read failures.
func classify(err error) (errs.Kind, string) {
	if IsTooLarge(err) {
		return errs.TooLarge, errs.MessageOf(errs.E(errs.TooLarge, ""))
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && errs.KindOf(err) == errs.Internal {
		switch he.Code {
		case http.StatusNotFound:
			return errs.NotFound, "页面不存在。"
		case http.StatusMethodNotAllowed:
			return errs.Invalid, "不支持该请求方法。"
		case http.StatusRequestEntityTooLarge:
			return errs.TooLarge, errs.MessageOf(errs.E(errs.TooLarge, ""))
		case http.StatusUnauthorized:
			return errs.Unauthorized, errs.MessageOf(errs.E(errs.Unauthorized, ""))
		case http.StatusForbidden:
			return errs.Forbidden, errs.MessageOf(errs.E(errs.Forbidden, ""))
		case http.StatusTooManyRequests:
			return errs.TooMany, errs.MessageOf(errs.E(errs.TooMany, ""))
		case http.StatusServiceUnavailable:
			return errs.Unavailable, errs.MessageOf(errs.E(errs.Unavailable, ""))
		}
		if he.Code >= 400 && he.Code < 500 {
			return errs.Invalid, "请求有误。"
		}
		return errs.Internal, errs.MessageOf(err)
	}
	kind := errs.KindOf(err)
	return kind, errs.MessageOf(err)
}

// wantsHTML is true for pages people open in a browser (H5 and console)
// rather than API clients.
func wantsHTML(c echo.Context) bool {
	p := c.Request().URL.Path
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/wechat/") {
		return false
	}
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html")
}

var errorTitles = map[int]string{
	http.StatusBadRequest:            "请求有误",
	http.StatusUnauthorized:          "需要登录",
	http.StatusForbidden:             "没有权限",
	http.StatusNotFound:              "页面不存在",
	http.StatusConflict:              "数据冲突",
	http.StatusRequestEntityTooLarge: "内容过大",
	http.StatusTooManyRequests:       "操作太频繁",
	http.StatusServiceUnavailable:    "服务暂不可用",
}

func (s *Server) renderError(c echo.Context, status int, message string) error {
	title := errorTitles[status]
	if title == "" {
		title = "出错了"
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return s.pages.ExecuteTemplate(c.Response(), "error", map[string]string{
		"Title": title, "Message": message, "RequestID": RequestID(c),
	})
}
