package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
)

// Pledges serves who must sign a pledge (承诺书) in the scope and whether
// they have, on the current year and texts
// (/api/v1/pledges?status=signed|unsigned&kind=cadre|business&region=&cadre=).
type Pledges struct {
	Query    *query.Reader
	Pledges  *pledge.Service
	Registry *registry.Service
	*mounted
}

func (c *Pledges) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/pledges", c.apiPledges, m.auth)
}

type apiPledgeItem struct {
	Kind       string     `json:"kind"`
	KindLabel  string     `json:"kind_label"`
	SubjectID  int64      `json:"subject_id"`
	Name       string     `json:"name"`
	Village    string     `json:"village"`
	CadreID    int64      `json:"cadre_id,omitempty"`
	Cadre      string     `json:"cadre,omitempty"`
	Year       int        `json:"year"`
	Version    string     `json:"version"`
	Status     string     `json:"status"`
	PledgeID   *int64     `json:"pledge_id,omitempty"`
	SignedAt   *time.Time `json:"signed_at,omitempty"`
	SignerName string     `json:"signer_name,omitempty"`
	Method     string     `json:"method,omitempty"`
}

func (c *Pledges) apiPledges(e echo.Context) error {
	b := c.Pledges.Current()
	f := query.PledgeFilter{ScopePath: web.ScopePath(e), Kind: e.QueryParam("kind"), Status: e.QueryParam("status"),
		Year: b.Year, CadreVersion: b.CadreVersion, BusinessVersion: b.BusinessVersion}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"region", &f.RegionID}, {"cadre", &f.CadreID}} {
		if s := e.QueryParam(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return errs.E(errs.Invalid, "参数 %s 应为编号。", p.name)
			}
			*p.dst = n
		}
	}
	if f.CadreID != 0 {
		if _, err := c.Registry.CadreInScope(e.Request().Context(), f.CadreID, f.ScopePath); err != nil {
			return err
		}
	}
	var err error
	if f.Limit, f.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Query.Pledges(e.Request().Context(), f)
	if err != nil {
		return err
	}
	items := make([]apiPledgeItem, len(rows))
	for i, l := range rows {
		it := apiPledgeItem{Kind: l.Kind, KindLabel: pledge.Kind(l.Kind).Label(), SubjectID: l.SubjectID, Name: l.Name, Village: l.Village,
			CadreID: l.CadreID, Cadre: l.Cadre, Year: b.Year, Version: b.BusinessVersion, Status: query.PledgesUnsigned,
			PledgeID: l.PledgeID, SignedAt: l.SignedAt, SignerName: l.SignerName, Method: l.Method}
		if l.Kind == string(pledge.KindCadre) {
			it.Version = b.CadreVersion
		}
		if l.Signed() {
			it.Status = query.PledgesSigned
		}
		items[i] = it
	}
	return e.JSON(http.StatusOK, newList(items, total, f.Limit, f.Offset))
}
