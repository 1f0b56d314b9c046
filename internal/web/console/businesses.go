package console

import (
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
	"github.com/shianbao/shianbao/internal/web/view"
)

// Businesses serves the business list and its export, a business's page
// (templates/console/business.html) and the changes made from it: another
// cadre, a prompt letter, a contact's binding code.
type Businesses struct {
	Lists       *listing.Lists
	Query       *query.Reader
	Registry    *registry.Service
	Supervision *supervision.Service
	Accounts    *account.Service
	// Letters and Cards may be nil: their parts of the page are then left out.
	Letters *letter.Service
	Cards   *card.Service
	// Pledges may be nil: the page then leaves the pledge out.
	Pledges *pledge.Service
	*mounted
}

func (c *Businesses) mount(m *mounted) {
	c.mounted = m
	g := m.group
	g.GET("/businesses", c.businesses)
	g.GET("/businesses.xlsx", c.businessesXLSX)
	g.GET("/businesses/:id", c.business)
	g.POST("/businesses/:id/assign", c.reassign, web.RequireWriter)
	g.POST("/businesses/:id/letters", c.issueLetter, web.RequireWriter)
	g.POST("/businesses/:id/codes", c.contactCode, web.RequireWriter)
}

type businessesPage struct {
	Form    listing.BusinessForm
	Regions []regionOption
	Rows    []query.BusinessLine
	Pager   pager
}

func (c *Businesses) businesses(e echo.Context) error {
	ctx := e.Request().Context()
	q, form, err := c.Lists.BusinessQuery(e)
	if err != nil {
		return err
	}
	page, limit, offset := paging(e)
	q.Limit, q.Offset = limit, offset
	rows, total, err := c.Lists.Businesses(ctx, q)
	if err != nil {
		return err
	}
	regions, _, err := regionOptions(ctx, c.Registry, web.Scope(e))
	if err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "businesses", "包保主体", businessesPage{
		Form: form, Regions: regions, Rows: rows, Pager: newPager(e, page, total, "/console/businesses.xlsx"),
	})
}

var businessColumns = []column{
	{"主体名称", 36}, {"统一社会信用代码/许可证编号", 24}, {"业态", 8}, {"等级", 6}, {"镇(街道)", 12}, {"村(社区)", 14},
	{"地址", 36}, {"状态", 10}, {"包保干部", 10}, {"本周期已督导", 12},
}

func (c *Businesses) businessesXLSX(e echo.Context) error {
	ctx := e.Request().Context()
	q, _, err := c.Lists.BusinessQuery(e)
	if err != nil {
		return err
	}
	tree, err := c.Registry.RegionTree(ctx)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("包保主体", web.Scope(e).Name, c.clock.Now()), "包保主体", businessColumns)
	err = c.Query.EachBusiness(ctx, q, func(rows []query.BusinessLine) error {
		for _, b := range rows {
			town, _ := tree.TownVillage(b.RegionID)
			covered := msgNo
			if b.Covered {
				covered = msgYes
			}
			if err := sh.add(b.Name, b.Code(), registry.Category(b.Category).Label(), b.Grade, town, b.Village, b.Address,
				registry.Status(b.Status).Label(), b.CadreName, covered); err != nil {
				return err
			}
		}
		return nil
	})
	return sh.finish(err)
}

// assignmentView is an assignment with its cadre's name.
type assignmentView struct {
	registry.Assignment
	CadreName string
}

type businessPage struct {
	B           *registry.Business
	Town        string
	Village     string
	Covered     bool
	Cycle       supervision.Cycle
	Cadre       *registry.Cadre
	Assignments []assignmentView
	Events      []registry.BusinessEvent
	Visits      []query.VisitLine
	VisitsTotal int64
	Rects       []query.RectificationLine
	LettersOn   bool
	Letters     []letter.Letter
	CardURL     string
	CardQR      template.URL
	Contacts    []account.Contact
	Candidates  []registry.Cadre
	Flash       string
	Problem     string
	CanWrite    bool
	Today       string
	// People names the actors of the histories.
	People map[string]query.Person
	Pledge *pledgeBox
}

func (c *Businesses) business(e echo.Context) error {
	return c.renderBusiness(e, http.StatusOK, "")
}

// renderBusiness shows a business of the user's scope, with problem (a
// refused change) above the forms.
func (c *Businesses) renderBusiness(e echo.Context, status int, problem string) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	scope := web.Scope(e)
	b, err := c.Registry.BusinessInScope(ctx, id, scope.Path)
	if err != nil {
		return err
	}
	p := businessPage{B: b, Flash: flash(e), Problem: problem, CanWrite: web.User(e).Role.CanWrite(),
		LettersOn: c.Letters != nil, Today: c.clock.Now().In(clock.China).Format("2006-01-02")}
	tree, err := c.Registry.RegionTree(ctx)
	if err != nil {
		return err
	}
	p.Town, p.Village = tree.TownVillage(b.RegionID)
	if p.Covered, p.Cycle, err = c.Supervision.Covered(ctx, b.ID); err != nil {
		return err
	}
	if p.Events, err = c.Registry.StatusHistory(ctx, b.ID); err != nil {
		return err
	}
	as, err := c.Registry.AssignmentHistory(ctx, b.ID)
	if err != nil {
		return err
	}
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.CadreID
	}
	cadres, err := c.Registry.CadresByID(ctx, ids)
	if err != nil {
		return err
	}
	for i := len(as) - 1; i >= 0; i-- {
		a := as[i]
		v := assignmentView{Assignment: a}
		if cd := cadres[a.CadreID]; cd != nil {
			v.CadreName = cd.Name
			if a.EndedAt == nil {
				p.Cadre = cd
			}
		}
		p.Assignments = append(p.Assignments, v)
	}
	if p.Visits, p.VisitsTotal, err = c.Query.Visits(ctx, query.VisitFilter{ScopePath: scope.Path, BusinessID: b.ID, Limit: 20}); err != nil {
		return err
	}
	if p.Rects, _, err = c.Query.Rectifications(ctx, query.RectificationFilter{ScopePath: scope.Path, BusinessID: b.ID, Limit: 100}); err != nil {
		return err
	}
	if c.Letters != nil {
		if p.Letters, err = c.Letters.ForBusiness(ctx, b.ID); err != nil {
			return err
		}
	}
	if c.Cards != nil && b.Status != registry.StatusDeregistered {
		if p.CardURL, err = c.Cards.PublicURL(ctx, b.ID); err != nil {
			return err
		}
		if p.CardQR, err = view.QR(p.CardURL, view.QRPage); err != nil {
			return err
		}
	}
	if p.Contacts, err = c.Accounts.ContactsOf(ctx, b.ID); err != nil {
		return err
	}
	if p.Pledge, err = pledgeBoxOf(ctx, c.Pledges, pledge.KindBusiness, b.ID); err != nil {
		return err
	}
	if p.CanWrite && b.Status != registry.StatusDeregistered {
		if p.Candidates, err = c.candidates(e, b, tree, p.Cadre); err != nil {
			return err
		}
	}
	var actors []string
	for _, ev := range p.Events {
		actors = append(actors, string(ev.Actor))
	}
	for _, a := range p.Assignments {
		actors = append(actors, string(a.Actor))
	}
	if p.People, err = people(e, c.Query, actors...); err != nil {
		return err
	}
	return c.render(e, status, "business", b.Name, p)
}

// candidates are the active cadres of the user's scope who may pack b:
// for a town or village grade (C, D), those of b's town; for A and B, the
// whole scope. The current cadre is left out.
func (c *Businesses) candidates(e echo.Context, b *registry.Business, tree *registry.RegionTree, current *registry.Cadre) ([]registry.Cadre, error) {
	path := web.ScopePath(e)
	if b.Grade == registry.GradeC || b.Grade == registry.GradeD {
		if r, ok := tree.ByID[b.RegionID]; ok {
			if t, ok := tree.Ancestor(r, registry.LevelTown); ok && len(t.Path) > len(path) {
				path = t.Path
			}
		}
	}
	cs, _, err := c.Registry.FindCadres(e.Request().Context(), registry.CadreFilter{ScopePath: path, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []registry.Cadre
	for _, cd := range cs {
		if (current == nil || cd.ID != current.ID) && c.Registry.CheckAssignable(*b, cd, tree) == nil {
			out = append(out, cd)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// reassign makes another cadre of the user's scope pack the business.
func (c *Businesses) reassign(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	if _, err := c.Registry.BusinessInScope(ctx, id, web.ScopePath(e)); err != nil {
		return err
	}
	cadreID := formID(e, "cadre_id")
	if _, err := c.Registry.CadreInScope(ctx, cadreID, web.ScopePath(e)); err != nil {
		return err
	}
	if _, err := c.Registry.AssignAudited(ctx, id, cadreID, e.FormValue("reason"), web.Actor(e)); err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return c.renderBusiness(e, errs.HTTPStatus(k), errs.MessageOf(err))
		}
		return err
	}
	if c.Cards != nil {
		if _, err := c.Cards.Reissue(ctx, id, msgReissueReason); err != nil {
			c.log.Warn("reissue card after reassignment", "rid", web.RequestID(e), "business", id, "err", err.Error())
		}
	}
	return done(e, fmt.Sprintf("/console/businesses/%d", id), "assigned")
}

// issueLetter issues a prompt letter to a business of the user's scope.
func (c *Businesses) issueLetter(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	if _, err := c.Registry.BusinessInScope(ctx, id, web.ScopePath(e)); err != nil {
		return err
	}
	if c.Letters == nil {
		return errs.E(errs.NotFound, msgNoLetters)
	}
	in := letter.IssueInput{OpenRectifications: e.FormValue("open_rectifications") != "", Remarks: e.FormValue("remarks")}
	if d := strings.TrimSpace(e.FormValue("description")); d != "" {
		f := letter.FindingInput{Description: d, Requirement: e.FormValue("requirement")}
		if s := strings.TrimSpace(e.FormValue("deadline")); s != "" {
			t, err := time.ParseInLocation("2006-01-02", s, clock.China)
			if err != nil {
				return c.renderBusiness(e, http.StatusBadRequest, msgBadDeadline)
			}
			f.Deadline = t
		}
		in.Findings = append(in.Findings, f)
	}
	// The letter service records the issue in the audit log itself.
	if _, err := c.Letters.Issue(ctx, id, in, web.Actor(e)); err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Forbidden || k == errs.Conflict {
			return c.renderBusiness(e, errs.HTTPStatus(k), errs.MessageOf(err))
		}
		return err
	}
	return done(e, fmt.Sprintf("/console/businesses/%d", id), "letter")
}

// contactCode issues a binding code for one of the business's registered
// people (principal, director, officer).
func (c *Businesses) contactCode(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	b, err := c.Registry.BusinessInScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	role := account.ContactRole(e.FormValue("role"))
	ct, err := c.Accounts.EnsureContact(ctx, b.ID, role)
	if err != nil {
		if errs.KindOf(err) == errs.Invalid {
			return c.renderBusiness(e, http.StatusBadRequest, errs.MessageOf(err))
		}
		return err
	}
	return c.issueCode(e, c.Accounts, account.RoleContact, ct.ID, fmt.Sprintf("%s %s（%s）", b.Name, role.Label(), ct.Name),
		fmt.Sprintf("/console/businesses/%d", b.ID))
}
