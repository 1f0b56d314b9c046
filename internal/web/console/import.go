package console

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
)

// Importing on the web: the file is uploaded once, checked with a dry run
// (every bad row listed), kept in the kv store under a random id for
// importTTL — so the commit may reach any instance — and committed from
// there all or nothing, as the CLI does. A manager's import is checked
// against their region subtree (registry.ImportInScope): rows that reach
// outside it are errors like any other.
const (
	maxImportBytes = 7 << 20
	importTTL      = 30 * time.Minute
)

// pendingImport is what kv keeps of an uploaded file besides its bytes.
type pendingImport struct {
	UserID   int64         `json:"u"`
	Kind     registry.Kind `json:"k"`
	Filename string        `json:"f"`
}

var importID = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

func importKey(id string) string     { return "console:import:" + id }
func importDataKey(id string) string { return "console:import:" + id + ":data" }

// Import serves the register's import (templates/console/import.html): an
// upload checked with a dry run, then committed; and the register's
// export in the import's own columns.
type Import struct {
	Registry *registry.Service
	KV       kv.Store
	*mounted
}

func (c *Import) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/import", c.importForm)
	m.group.POST("/import", c.importUpload, web.RequireWriter, web.BodyLimit(maxImportBytes+64<<10))
	m.group.POST("/import/:id/commit", c.importCommit, web.RequireWriter)
	m.group.GET("/register/:kind", c.registerExport)
}

type importPage struct {
	Kinds   []registry.Kind
	Kind    registry.Kind
	Report  *registry.ImportReport
	ID      string
	File    string
	Problem string
	Done    bool
	Max     int
}

func (c *Import) importForm(e echo.Context) error {
	return c.render(e, http.StatusOK, "import", "导入导出", importPage{Kinds: registry.Kinds, Max: maxImportBytes >> 20})
}

// importUpload takes the file, keeps it and shows the dry run.
func (c *Import) importUpload(e echo.Context) error {
	ctx := e.Request().Context()
	page := importPage{Kinds: registry.Kinds, Max: maxImportBytes >> 20}
	kind, err := registry.ParseKind(e.FormValue("kind"))
	if err != nil {
		page.Problem = errs.MessageOf(err)
		return c.render(e, http.StatusBadRequest, "import", "导入导出", page)
	}
	page.Kind = kind
	fh, err := e.FormFile("file")
	if err != nil {
		if web.IsTooLarge(err) {
			return err
		}
		page.Problem = msgNoFile
		return c.render(e, http.StatusBadRequest, "import", "导入导出", page)
	}
	name := filepath.Base(fh.Filename)
	page.File = name
	if fh.Size > maxImportBytes {
		page.Problem = fmt.Sprintf(msgFileTooLarge, maxImportBytes>>20)
		return c.render(e, http.StatusRequestEntityTooLarge, "import", "导入导出", page)
	}
	if _, err := registry.FormatOf(name); err != nil {
		page.Problem = errs.MessageOf(err)
		return c.render(e, http.StatusBadRequest, "import", "导入导出", page)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxImportBytes+1))
	f.Close()
	if err != nil {
		return err
	}
	id := randomID()
	meta, _ := json.Marshal(pendingImport{UserID: web.User(e).ID, Kind: kind, Filename: name})
	if err := c.KV.Set(ctx, importDataKey(id), string(data), importTTL); err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	if err := c.KV.Set(ctx, importKey(id), string(meta), importTTL); err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	rep, err := c.Registry.ImportInScope(ctx, kind, name, bytes.NewReader(data), registry.ImportOptions{DryRun: true, Actor: web.Actor(e)}, web.ScopePath(e))
	page.Report = rep
	if err != nil {
		if errs.KindOf(err) != errs.Invalid {
			return err
		}
		if len(rep.Errors) == 0 {
			page.Problem = errs.MessageOf(err)
		}
		c.KV.Delete(ctx, importKey(id), importDataKey(id))
		return c.render(e, http.StatusUnprocessableEntity, "import", "导入导出", page)
	}
	page.ID = id
	return c.render(e, http.StatusOK, "import", "导入导出", page)
}

// importCommit imports a file the same user previewed, all or nothing.
func (c *Import) importCommit(e echo.Context) error {
	ctx := e.Request().Context()
	id := e.Param("id")
	if !importID.MatchString(id) {
		return errs.E(errs.NotFound, msgImportGone)
	}
	raw, err := c.KV.Get(ctx, importKey(id))
	if errors.Is(err, kv.ErrMiss) {
		return errs.E(errs.NotFound, msgImportGone)
	} else if err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	var p pendingImport
	if json.Unmarshal([]byte(raw), &p) != nil || p.UserID != web.User(e).ID {
		return errs.E(errs.NotFound, msgImportGone)
	}
	data, err := c.KV.Get(ctx, importDataKey(id))
	if errors.Is(err, kv.ErrMiss) {
		return errs.E(errs.NotFound, msgImportGone)
	} else if err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	page := importPage{Kinds: registry.Kinds, Kind: p.Kind, File: p.Filename, Max: maxImportBytes >> 20}
	rep, err := c.Registry.ImportInScope(ctx, p.Kind, p.Filename, bytes.NewReader([]byte(data)), registry.ImportOptions{Actor: web.Actor(e), Audit: true}, web.ScopePath(e))
	page.Report = rep
	if err != nil {
		if errs.KindOf(err) != errs.Invalid {
			return err
		}
		if len(rep.Errors) == 0 {
			page.Problem = errs.MessageOf(err)
		}
		return c.render(e, http.StatusUnprocessableEntity, "import", "导入导出", page)
	}
	c.KV.Delete(ctx, importKey(id), importDataKey(id))
	page.Done = true
	return c.render(e, http.StatusOK, "import", "导入导出", page)
}

// registerExport downloads a register table of the user's scope in the
// import's own columns, to edit and import back.
func (c *Import) registerExport(e echo.Context) error {
	kind, err := registry.ParseKind(e.Param("kind"))
	if err != nil {
		return errs.E(errs.NotFound, msgNoPage)
	}
	format := registry.FormatXLSX
	if e.QueryParam("format") == "csv" {
		format = registry.FormatCSV
	}
	name := fmt.Sprintf("%s_%s_%s.%s", web.Scope(e).Name, kind.Label(), c.clock.Now().Format("20060102"), format)
	h := e.Response().Header()
	if format == registry.FormatCSV {
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	} else {
		h.Set(echo.HeaderContentType, xlsxType)
	}
	h.Set(echo.HeaderContentDisposition, "attachment; filename=\"register."+string(format)+"\"; filename*=UTF-8''"+url.PathEscape(name))
	h.Set("Cache-Control", "private, no-store")
	// The export writes as it reads; a failure halfway leaves a cut file,
	// which the user sees as unreadable rather than as silently short.
	allowLongWrite(e)
	return c.Registry.Export(e.Request().Context(), kind, format, e.Response(), web.ScopePath(e))
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
