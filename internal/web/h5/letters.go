package h5

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/view"
)

// Limits on a receipt's uploads.
const (
	maxUploadBytes = 5 << 20
	// uploadMemory is how much of a multipart form is held in memory; the
	// rest spills to temporary files until the handler returns.
	uploadMemory = 2 << 20
)

// uploadTypes are the pictures a receipt accepts, by sniffed content type.
var uploadTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

const (
	msgUploadType     = "照片格式不支持，请上传 JPG、PNG 或 WebP 图片。"
	msgUploadTooLarge = "单张照片不能超过 5 MB。"
	msgUploadTooMany  = "照片最多 %d 张。"
	msgUploadBad      = "照片上传失败，请重试。"
	msgAckForbidden   = "只有该主体已绑定的联系人可以签收提示函。请用已绑定的微信从公众号消息中打开本页面。"
)

// Letters serves prompt letters to the people they are for: the phone
// view (templates/h5/letter.html), the A4 print view
// (templates/letters/print.html), the receipt form and the receipt's
// photos, each behind a signed link (and, with OAuth, the visitor's bound
// identity).
type Letters struct {
	Letters *letter.Service
	Media   media.Store
	*mounted
}

func (h *Letters) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/letters/:token", h.show)
	m.router.GET("/h5/letters/:token/print", h.print)
	m.router.POST("/h5/letters/:token/ack", h.ack)
	m.router.GET("/h5/letters/:token/photos/:n", h.photo)
}

// letterPage is the phone view's data.
type letterPage struct {
	L         *letter.Letter
	Acked     bool
	AckAt     time.Time
	AckBy     string
	Photos    []string
	CanAck    bool
	CSRF      string
	AckURL    string
	PrintURL  string
	Done      bool
	Error     string
	MaxPhotos int
}

func letterResource(token string) string { return "/h5/letters/" + url.PathEscape(token) }

// open checks the link and the visitor and finds the letter and what the
// visitor may do with it. A nil letter with a nil error means the visitor
// was sent to sign in.
func (h *Letters) open(c echo.Context) (*letter.Letter, letter.Access, h5Candidate, error) {
	token := c.Param("token")
	v, err := h.access.identify(c, letterResource(token))
	if err != nil || v == nil {
		return nil, letter.Access{}, h5Candidate{}, err
	}
	ctx := c.Request().Context()
	l, err := h.Letters.ByToken(ctx, token)
	if err != nil {
		return nil, letter.Access{}, h5Candidate{}, err
	}
	var (
		best     letter.Access
		bestCand h5Candidate
		found    bool
	)
	for _, cand := range v.candidates() {
		acc, err := h.Letters.Authorize(ctx, l, cand.Actor)
		if errs.Is(err, errs.Forbidden) {
			continue
		}
		if err != nil {
			return nil, letter.Access{}, h5Candidate{}, err
		}
		if !found || (acc.CanAcknowledge && !best.CanAcknowledge) {
			best, bestCand, found = acc, cand, true
		}
	}
	if !found {
		return nil, letter.Access{}, h5Candidate{}, errs.E(errs.Forbidden, msgH5NotYours)
	}
	return l, best, bestCand, nil
}

func (h *Letters) show(c echo.Context) error {
	if c.QueryParam("print") == "1" {
		return h.print(c)
	}
	l, acc, _, err := h.open(c)
	if err != nil || l == nil {
		return err
	}
	h.read(c, l, acc, letter.ViaH5)
	return h.phone(c, http.StatusOK, l, acc, c.QueryParam("done") == "1", "")
}

// phone writes the phone view.
func (h *Letters) phone(c echo.Context, status int, l *letter.Letter, acc letter.Access, done bool, problem string) error {
	ctx := c.Request().Context()
	token, q := c.Param("token"), signedQuery(c)
	p := letterPage{L: l, Done: done && l.Acknowledged(), Error: problem, MaxPhotos: letter.MaxReceiptPhotos,
		PrintURL: letterResource(token) + "/print?" + q}
	if l.Acknowledged() {
		p.Acked, p.AckAt = true, *l.AcknowledgedAt
		p.AckBy = h.ackBy(c, l)
		photos, err := h.Letters.ReceiptPhotos(ctx, l.ID)
		if err != nil {
			return err
		}
		n := 0
		for _, ph := range photos {
			n++
			if ph.MediaKey != "" {
				p.Photos = append(p.Photos, letterResource(token)+"/photos/"+strconv.Itoa(n)+"?"+q)
			}
		}
	} else if acc.CanAcknowledge {
		p.CanAck = true
		p.CSRF = h.access.csrfToken(c, letterResource(token))
		p.AckURL = letterResource(token) + "/ack?" + q
	}
	return h.render(c, status, "letter-page", p)
}

// ackBy names who acknowledged: "食品安全员 张三".
func (h *Letters) ackBy(c echo.Context, l *letter.Letter) string {
	if l.AckContactID == nil || h.access.accounts == nil {
		return ""
	}
	ct, err := h.access.accounts.Contact(c.Request().Context(), *l.AckContactID)
	if err != nil {
		return ""
	}
	if label := ct.Role.Label(); label != "" {
		return label + " " + ct.Name
	}
	return ct.Name
}

func (h *Letters) print(c echo.Context) error {
	l, acc, _, err := h.open(c)
	if err != nil || l == nil {
		return err
	}
	h.read(c, l, acc, letter.ViaPrint)
	sheet := view.LetterSheet{Letter: l}
	if l.Acknowledged() {
		sheet.Acked, sheet.AckAt, sheet.AckBy = true, *l.AcknowledgedAt, h.ackBy(c, l)
	}
	return h.render(c, http.StatusOK, "letters-print", view.LetterSheets{Title: l.Number, Sheets: []view.LetterSheet{sheet}})
}

// read records the opening; a failure to record never stops the page.
func (h *Letters) read(c echo.Context, l *letter.Letter, acc letter.Access, via string) {
	if err := h.Letters.RecordRead(c.Request().Context(), l.ID, acc.Reader, via); err != nil {
		h.access.log.Warn("record letter read", "rid", web.RequestID(c), "err", err.Error())
	}
}

// ack takes the receipt form: CSRF-checked, from a bound contact of the
// letter's business, with optional feedback and photos stored first.
func (h *Letters) ack(c echo.Context) error {
	token := c.Param("token")
	resource := letterResource(token)
	if _, err := h.access.verifyLink(c, resource); err != nil {
		return err
	}
	req := c.Request()
	if err := req.ParseMultipartForm(uploadMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if web.IsTooLarge(err) {
			return err
		}
		return errs.Wrap(errs.Invalid, err, msgUploadBad)
	}
	if req.MultipartForm != nil {
		defer req.MultipartForm.RemoveAll()
	}
	if err := h.access.checkCSRF(c, resource, req.FormValue("csrf")); err != nil {
		return err
	}
	l, acc, cand, err := h.open(c)
	if err != nil {
		return err
	}
	if l == nil || !acc.CanAcknowledge {
		if l != nil && l.Acknowledged() {
			return c.Redirect(http.StatusSeeOther, resource+"?"+signedQuery(c)+"#receipt")
		}
		return errs.E(errs.Forbidden, msgAckForbidden)
	}
	uploads, problem := h.uploads(c)
	if problem != "" {
		return h.phone(c, http.StatusBadRequest, l, acc, false, problem)
	}
	err = h.Letters.Receive(req.Context(), l.ID, letter.Receipt{
		ContactID: acc.ContactID, IdentityID: cand.IdentityID, Feedback: req.FormValue("feedback"), Uploads: uploads,
	})
	switch {
	case errs.Is(err, errs.Conflict):
		// Acknowledged already (a double tap, another contact): show the receipt.
		return c.Redirect(http.StatusSeeOther, resource+"?"+signedQuery(c)+"#receipt")
	case errs.Is(err, errs.Invalid):
		return h.phone(c, http.StatusBadRequest, l, acc, false, errs.MessageOf(err))
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, resource+"?"+signedQuery(c)+"&done=1#receipt")
}

// uploads stores the form's photos (content-addressed, so a repeat is
// stored once) and returns them, or a problem to show on the page.
func (h *Letters) uploads(c echo.Context) ([]media.Object, string) {
	form := c.Request().MultipartForm
	if form == nil {
		return nil, ""
	}
	var out []media.Object
	for _, fh := range form.File["photos"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the file input left empty
		}
		if len(out) == letter.MaxReceiptPhotos {
			return nil, fmt.Sprintf(msgUploadTooMany, letter.MaxReceiptPhotos)
		}
		if fh.Size > maxUploadBytes {
			return nil, msgUploadTooLarge
		}
		f, err := fh.Open()
		if err != nil {
			return nil, msgUploadBad
		}
		data, err := io.ReadAll(io.LimitReader(f, maxUploadBytes+1))
		f.Close()
		if err != nil || len(data) == 0 {
			return nil, msgUploadBad
		}
		if len(data) > maxUploadBytes {
			return nil, msgUploadTooLarge
		}
		ct := http.DetectContentType(data)
		if !uploadTypes[ct] {
			return nil, msgUploadType
		}
		sum := sha256.Sum256(data)
		obj, err := h.Media.Put(c.Request().Context(), hex.EncodeToString(sum[:])+media.Extension(ct), data, ct)
		if err != nil {
			h.access.log.Error("store receipt photo", "rid", web.RequestID(c), "err", err.Error())
			return nil, msgUploadBad
		}
		out = append(out, obj)
	}
	return out, ""
}

// photo serves a receipt photo to whoever may read the letter.
func (h *Letters) photo(c echo.Context) error {
	l, _, _, err := h.open(c)
	if err != nil || l == nil {
		return err
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		return errs.E(errs.NotFound, "照片不存在。")
	}
	photos, err := h.Letters.ReceiptPhotos(c.Request().Context(), l.ID)
	if err != nil {
		return err
	}
	if n > len(photos) || photos[n-1].MediaKey == "" {
		return errs.E(errs.NotFound, "照片不存在。")
	}
	return web.ServePhoto(c, h.Media, photos[n-1].MediaKey, photos[n-1].ContentType)
}
