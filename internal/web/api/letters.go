package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Letters serves the prompt letters of the scope (/api/v1/letters).
type Letters struct {
	Query *query.Reader
	// Letters may be nil: the list then answers that letters are off.
	Letters *letter.Service
	*mounted
}

func (c *Letters) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/letters", c.apiLetters, m.auth)
}

type apiLetterItem struct {
	ID             int64      `json:"id"`
	Number         string     `json:"number"`
	BusinessID     int64      `json:"business_id"`
	Business       string     `json:"business"`
	Village        string     `json:"village"`
	VisitID        *int64     `json:"visit_id,omitempty"`
	IssuedBy       string     `json:"issued_by"`
	IssuedAt       time.Time  `json:"issued_at"`
	Status         string     `json:"status"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
}

func (c *Letters) apiLetters(e echo.Context) error {
	if c.Letters == nil {
		return errNoLetters
	}
	q := listing.LetterQuery(e)
	var err error
	if q.Limit, q.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Query.Letters(e.Request().Context(), q)
	if err != nil {
		return err
	}
	items := make([]apiLetterItem, len(rows))
	for i, l := range rows {
		items[i] = apiLetterItem{ID: l.ID, Number: l.Number, BusinessID: l.BusinessID, Business: l.Business, Village: l.Village,
			VisitID: l.VisitID, IssuedBy: l.IssuedBy, IssuedAt: l.IssuedAt, Status: l.Status, DeliveredAt: l.DeliveredAt,
			AcknowledgedAt: l.AcknowledgedAt}
	}
	return e.JSON(http.StatusOK, newList(items, total, q.Limit, q.Offset))
}
