package h5

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
)

// Visits serves a visit's receipt (督导回执, /h5/visits/:id,
// templates/h5/visit.html) and its photos, behind the signed link of the
// receipt (and, with OAuth, the visitor's bound identity): the cadre who
// made it, the business's contacts and the office. The receipt shows
// everything the record holds, in words: photos, the status change seen,
// the on-site contact, the location, remarks, where it was recorded and
// any correction.
type Visits struct {
	Supervision *supervision.Service
	Query       *query.Reader
	Media       media.Store
	*mounted
}

func (h *Visits) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/visits/:id", h.show)
	m.router.GET("/h5/visits/:id/photos/:photo", h.photo)
}

// visit checks the link and the visitor and returns the visit; nil with a
// nil error when the visitor was sent to sign in.
func (h *Visits) visit(c echo.Context) (*supervision.VisitDetail, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	v, err := h.access.identify(c, visitResource(id))
	if err != nil || v == nil {
		return nil, err
	}
	ctx := c.Request().Context()
	d, err := h.Supervision.Visit(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error { return h.Supervision.AuthorizeVisit(ctx, d, a) }); err != nil {
		return nil, err
	}
	return d, nil
}

// visitPage is the receipt as the template shows it.
type visitPage struct {
	*supervision.VisitDetail
	// Photos of the visit itself and of each finding (by finding id).
	Photos        []visitPhoto
	FindingPhotos map[int64][]visitPhoto
	RevisedBy     string
	Source        string
}

// visitPhoto is a photo's link ("" until it is stored) and its state.
type visitPhoto struct {
	N      int
	URL    string
	Status string
}

func (h *Visits) show(c echo.Context) error {
	d, err := h.visit(c)
	if err != nil || d == nil {
		return err
	}
	p := visitPage{VisitDetail: d, FindingPhotos: map[int64][]visitPhoto{}, Source: query.SourceLabel(string(d.Source))}
	q := signedQuery(c)
	for i, ph := range d.Photos {
		vp := visitPhoto{N: i + 1, Status: ph.Status}
		if ph.Status == supervision.PhotoStored {
			vp.URL = visitResource(d.ID) + "/photos/" + strconv.FormatInt(ph.ID, 10) + "?" + q
		}
		if ph.FindingID != nil {
			p.FindingPhotos[*ph.FindingID] = append(p.FindingPhotos[*ph.FindingID], vp)
		} else {
			p.Photos = append(p.Photos, vp)
		}
	}
	if d.RevisedBy != "" {
		who, err := h.Query.Person(c.Request().Context(), string(d.RevisedBy))
		if err != nil {
			return err
		}
		p.RevisedBy = who.Label()
	}
	return h.render(c, http.StatusOK, "visit", p)
}

func (h *Visits) photo(c echo.Context) error {
	d, err := h.visit(c)
	if err != nil || d == nil {
		return err
	}
	pid, err := strconv.ParseInt(c.Param("photo"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, msgH5NoPhoto)
	}
	for _, ph := range d.Photos {
		if ph.ID != pid || ph.Status != supervision.PhotoStored || h.Media == nil {
			continue
		}
		return web.ServePhoto(c, h.Media, ph.Path, ph.ContentType)
	}
	return errs.E(errs.NotFound, msgH5NoPhoto)
}

const msgH5NoPhoto = "照片不存在。"
