package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
)

// RowError is one problem with one cell of an import file.
type RowError struct {
	// Row is the spreadsheet row number, the header being row 1 in a plain
	// file, so the first data row is 2.
	Row int
	// Column is the Chinese header of the cell at fault ("" for the whole row).
	Column string
	// Value is the cell as written, shortened to 50 characters.
	Value string
	// Reason says, in Chinese, what is wrong and how to fix it.
	Reason string
}

// String renders the error for a person: 第 3 行「业态」：…（填写的是「…」）.
func (e RowError) String() string {
	var b strings.Builder
	if e.Column != "" {
		fmt.Fprintf(&b, msgRowErrorCol, e.Row, e.Column)
	} else {
		fmt.Fprintf(&b, msgRowError, e.Row)
	}
	b.WriteString("：")
	b.WriteString(e.Reason)
	if e.Value != "" {
		fmt.Fprintf(&b, msgRowErrorValue, e.Value)
	}
	return b.String()
}

// ImportReport says what an import did, or would do on a dry run, or why
// it wrote nothing.
type ImportReport struct {
	Kind Kind
	// Rows is the number of non-blank data rows read.
	Rows int
	// Created, Updated and Unchanged count rows by outcome. They are zero
	// when the import was rejected.
	Created, Updated, Unchanged int
	// RegionsCreated names the towns ("胡埭镇") and villages ("胡埭镇/马鞍村")
	// the import adds to the region tree.
	RegionsCreated []string
	// Errors lists the problems found, by row, up to MaxListedErrors; any
	// error means nothing was written.
	Errors []RowError
	// MoreErrors counts the problems found beyond those listed.
	MoreErrors int
	DryRun     bool
}

// MaxListedErrors is how many problems a report lists: a file of junk
// would otherwise make a report larger than itself (hundreds of thousands
// of lines nobody reads). The rest are counted.
const MaxListedErrors = 200

// addError lists a problem, or counts it once MaxListedErrors are listed.
func (r *ImportReport) addError(e RowError) {
	if len(r.Errors) < MaxListedErrors {
		r.Errors = append(r.Errors, e)
		return
	}
	r.MoreErrors++
}

// ErrorCount is the number of problems found, listed or not.
func (r *ImportReport) ErrorCount() int { return len(r.Errors) + r.MoreErrors }

// MoreErrorsNote says, in Chinese, how many problems are not listed ("" when none).
func (r *ImportReport) MoreErrorsNote() string {
	if r.MoreErrors == 0 {
		return ""
	}
	return fmt.Sprintf(msgMoreErrors, r.MoreErrors)
}

// Summary is a one-line account of the report in Chinese.
func (r *ImportReport) Summary() string {
	s := fmt.Sprintf(msgSummary, r.Kind.Label(), r.Rows, r.Created, r.Updated, r.Unchanged)
	if len(r.RegionsCreated) > 0 {
		// A first import can create hundreds of regions; the summary names a
		// few and counts the rest, the report keeps them all.
		names := r.RegionsCreated
		if len(names) > 10 {
			names = append(names[:10:10], fmt.Sprintf(msgSummaryMore, len(r.RegionsCreated)-10))
		}
		s += fmt.Sprintf(msgSummaryRegion, strings.Join(names, "、"))
	}
	if r.DryRun {
		s += msgSummaryDry
	}
	return s
}

// ImportOptions tune an import.
type ImportOptions struct {
	// DryRun checks the file against the register and reports what would
	// change, writing nothing.
	DryRun bool
	// Actor is recorded on status events and assignments; "import" when empty.
	Actor Actor
	// Audit records a committed import in the audit log as Actor's, in the
	// import's transaction.
	Audit bool
	// Progress, when set, is called as rows are written (done of total).
	Progress func(done, total int)
}

// errRejected aborts the import transaction when rows are bad.
var errRejected = errors.New("import rejected")

// importJob is one kind's import: plan checks every row against the
// register as read through q and fills the report; apply writes the plan.
type importJob interface {
	plan(q *gorm.DB, t *table) error
	apply(tx *gorm.DB) error
}

// Import reads a register file and upserts its rows: businesses by credit
// code (else licence number), cadres by work phone, assignments by
// business. The format comes from the file name (.csv or .xlsx).
//
// Every bad row is reported in the report's Errors, and then nothing is
// written and the error is Invalid ("导入文件有 N 处错误…"). Otherwise all
// changes commit in one transaction; rows identical to the register are
// not written at all, so importing the same file twice changes nothing.
// An unreadable file or unknown format is Invalid too; database failures
// are returned as they come.
func (s *Service) Import(ctx context.Context, kind Kind, filename string, r io.Reader, opt ImportOptions) (*ImportReport, error) {
	return s.ImportInScope(ctx, kind, filename, r, opt, "")
}

func rejected(rep *ImportReport) error {
	sort.SliceStable(rep.Errors, func(i, j int) bool { return rep.Errors[i].Row < rep.Errors[j].Row })
	rep.Created, rep.Updated, rep.Unchanged, rep.RegionsCreated = 0, 0, 0, nil
	return errs.E(errs.Invalid, msgRejected, rep.ErrorCount())
}

// importWork is what every kind's import shares.
type importWork struct {
	s    *Service
	rep  *ImportReport
	opt  ImportOptions
	now  time.Time
	done int
	// visibleCadre, when set (a scoped import), says which cadres rows may
	// name; the others are as good as absent.
	visibleCadre func(*Cadre) bool
}

func (w *importWork) fail(row int, col string, value, reason string) {
	w.rep.addError(RowError{Row: row, Column: col, Value: clip(value), Reason: reason})
}

// errorCount is how many problems the import has found so far.
func (w *importWork) errorCount() int { return w.rep.ErrorCount() }

// progress reports n more rows written.
func (w *importWork) progress(n int) {
	w.done += n
	if w.opt.Progress != nil {
		w.opt.Progress(w.done, w.rep.Rows)
	}
}

// queryChunk keeps IN lists to a size both engines take comfortably.
const queryChunk = 1000

// inChunks calls fn with consecutive slices of at most queryChunk values.
func inChunks[T any](vals []T, fn func([]T) error) error {
	for len(vals) > 0 {
		n := min(len(vals), queryChunk)
		if err := fn(vals[:n]); err != nil {
			return err
		}
		vals = vals[n:]
	}
	return nil
}

// rowUpdate is one UPDATE … WHERE id = ? run for many rows. Prepared once
// on the transaction's connection, each row costs one round trip; through
// GORM each would cost a prepare, an execute and a close, which for a file
// that changes 100,000 rows is most of the import.
type rowUpdate struct {
	stmt *sql.Stmt
	ctx  context.Context
	gorm *gorm.DB // when the connection is not a plain transaction
	sql  string
}

func prepareUpdate(tx *gorm.DB, table string, columns ...string) (*rowUpdate, error) {
	sets := make([]string, len(columns))
	for i, c := range columns {
		sets[i] = c + " = ?"
	}
	u := &rowUpdate{ctx: tx.Statement.Context, sql: "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE id = ?"}
	if t, ok := tx.Statement.ConnPool.(*sql.Tx); ok {
		stmt, err := t.PrepareContext(u.ctx, u.sql)
		if err != nil {
			return nil, fmt.Errorf("prepare update %s: %w", table, err)
		}
		u.stmt = stmt
		return u, nil
	}
	u.gorm = tx
	return u, nil
}

// exec updates row id with the column values in prepareUpdate's order.
func (u *rowUpdate) exec(id int64, values ...any) error {
	args := append(values, id)
	if u.stmt != nil {
		_, err := u.stmt.ExecContext(u.ctx, args...)
		return err
	}
	return u.gorm.Exec(u.sql, args...).Error
}

func (u *rowUpdate) close() {
	if u.stmt != nil {
		u.stmt.Close()
	}
}

// ---- cells ----

// parseCoordinate reads a longitude or latitude cell ("" → nil).
func parseCoordinate(s string) (*float64, bool) {
	if s == "" {
		return nil, true
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "°"), 64)
	if err != nil {
		return nil, false
	}
	return &v, true
}

func formatCoordinate(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// sameCoordinate compares coordinates loosely enough that a value which
// went through Excel's 15 significant digits still counts as unchanged
// (1e-9 degrees is well under a millimetre).
func sameCoordinate(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	d := *a - *b
	return d < 1e-9 && d > -1e-9
}

// looksScientific spots an 18-digit code Excel turned into 9.13202E+17.
func looksScientific(s string) bool {
	s = strings.ToUpper(s)
	i := strings.Index(s, "E+")
	if i <= 0 {
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	return true
}

var dateLayouts = []string{"2006-01-02", "2006/1/2", "2006-1-2", "2006.1.2", "2006年1月2日", "20060102"}

// parseDate reads a date as people type it, or an Excel date serial
// (what a date cell holds in an XLSX file). The date is a China-local day.
func parseDate(s string) (time.Time, bool) {
	if d, _, ok := strings.Cut(s, " "); ok {
		s = d
	}
	s = strings.TrimSuffix(s, "T00:00:00Z")
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, clock.China); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 1 && n < 2958466 {
		t, err := excelize.ExcelDateToTime(n, false)
		if err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, clock.China), true
		}
	}
	return time.Time{}, false
}

func formatDate(t time.Time) string { return t.In(clock.China).Format("2006-01-02") }

// ---- cadres, as rows refer to them ----

// cadreIndex finds the cadre a row names.
type cadreIndex struct {
	byID    map[int64]*Cadre
	byPhone map[string]*Cadre
	byName  map[string][]*Cadre // active cadres only
}

// loadCadres reads the cadres the import's rows may name: every one, or
// in a scoped import those it sees.
func (w *importWork) loadCadres(q *gorm.DB) (*cadreIndex, error) {
	ix, err := loadCadres(q)
	if err != nil || w.visibleCadre == nil {
		return ix, err
	}
	seen := &cadreIndex{byID: map[int64]*Cadre{}, byPhone: map[string]*Cadre{}, byName: map[string][]*Cadre{}}
	for id, c := range ix.byID {
		if w.visibleCadre(c) {
			seen.byID[id] = c
		}
	}
	for phone, c := range ix.byPhone {
		if w.visibleCadre(c) {
			seen.byPhone[phone] = c
		}
	}
	for name, cs := range ix.byName {
		for _, c := range cs {
			if w.visibleCadre(c) {
				seen.byName[name] = append(seen.byName[name], c)
			}
		}
	}
	return seen, nil
}

// loadCadres reads every cadre: a city has thousands, and one query beats
// a lookup per row.
func loadCadres(q *gorm.DB) (*cadreIndex, error) {
	var cs []*Cadre
	if err := q.Order("id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("load cadres: %w", err)
	}
	ix := &cadreIndex{byID: make(map[int64]*Cadre, len(cs)), byPhone: make(map[string]*Cadre, len(cs)), byName: map[string][]*Cadre{}}
	for _, c := range cs {
		ix.byID[c.ID], ix.byPhone[c.WorkPhone] = c, c
		if c.Active {
			ix.byName[c.Name] = append(ix.byName[c.Name], c)
		}
	}
	return ix, nil
}

// resolve finds a cadre by work phone, else by name when the name is
// unique among active cadres. On failure it says which of the two cells is
// at fault (phoneAtFault) and why.
func (ix *cadreIndex) resolve(name, phone string) (c *Cadre, phoneAtFault bool, reason string) {
	if phone != "" {
		c := ix.byPhone[NormalizePhone(phone)]
		switch {
		case c == nil:
			return nil, true, fmt.Sprintf(msgNoCadrePhone, phone)
		case name != "" && c.Name != name:
			return nil, true, fmt.Sprintf(msgCadreNameMatch, phone, c.Name, name)
		}
		return c, false, ""
	}
	switch cs := ix.byName[name]; len(cs) {
	case 0:
		return nil, false, fmt.Sprintf(msgNoCadreName, name)
	case 1:
		return cs[0], false, ""
	default:
		return nil, false, fmt.Sprintf(msgCadreAmbiguous, len(cs), name)
	}
}

// ---- regions, as rows name them ----

type villageKey struct{ town, village string }

// regionPlan resolves the town and village names of an import's rows under
// the deployment district, and remembers the ones to create. Nothing is
// created until ensure runs in the write transaction, so a dry run or a
// rejected file leaves the tree as it was.
type regionPlan struct {
	s        *Service
	tree     *RegionTree
	district *Region
	created  []string
	towns    map[string]int64     // name → id; 0 until created
	villages map[villageKey]int64 // 0 until created
	order    []villageKey         // regions to create, in file order; village "" for a town
}

func (s *Service) loadRegionPlan(q *gorm.DB) (*regionPlan, error) {
	var rs []Region
	if err := q.Order("path").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("load regions: %w", err)
	}
	p := &regionPlan{s: s, tree: NewRegionTree(rs), towns: map[string]int64{}, villages: map[villageKey]int64{}}
	for _, r := range rs {
		if r.Level == LevelDistrict && r.Name == s.rules.DistrictName {
			r := r
			p.district = &r
			break
		}
	}
	if p.district == nil {
		if !p.hasCity() {
			p.created = append(p.created, s.rules.CityName)
		}
		p.created = append(p.created, s.rules.DistrictName)
	}
	return p, nil
}

func (p *regionPlan) hasCity() bool {
	for _, r := range p.tree.Roots {
		if r.Level == LevelCity && r.Name == p.s.rules.CityName {
			return true
		}
	}
	return false
}

// need registers the region a row names — the village if given, else the
// town, else the district — and returns its id, 0 when it is yet to be
// created.
func (p *regionPlan) need(town, village string) int64 {
	if town == "" {
		if p.district == nil {
			return 0
		}
		return p.district.ID
	}
	townID, seen := p.towns[town]
	if !seen {
		if p.district != nil {
			if r, ok := p.tree.Child(p.district.ID, town); ok {
				townID = r.ID
			}
		}
		p.towns[town] = townID
		if townID == 0 {
			p.order = append(p.order, villageKey{town, ""})
			p.created = append(p.created, town)
		}
	}
	if village == "" {
		return townID
	}
	k := villageKey{town, village}
	id, seen := p.villages[k]
	if seen {
		return id
	}
	if townID != 0 {
		if r, ok := p.tree.Child(townID, village); ok {
			id = r.ID
		}
	}
	p.villages[k] = id
	if id == 0 {
		p.order = append(p.order, k)
		p.created = append(p.created, town+"/"+village)
	}
	return id
}

// ensure creates the planned regions inside the import's transaction.
func (p *regionPlan) ensure(tx *gorm.DB) error {
	if p.district == nil {
		d, err := p.s.EnsureDistrictTx(tx)
		if err != nil {
			return fmt.Errorf("create district: %w", err)
		}
		p.district = d
	}
	for _, k := range p.order {
		if k.village == "" {
			r, err := p.s.InsertRegionTx(tx, &p.district.ID, LevelTown, k.town, "")
			if err != nil {
				return fmt.Errorf("create town %s: %w", k.town, err)
			}
			p.towns[k.town] = r.ID
			continue
		}
		townID := p.towns[k.town]
		r, err := p.s.InsertRegionTx(tx, &townID, LevelVillage, k.village, "")
		if err != nil {
			return fmt.Errorf("create village %s/%s: %w", k.town, k.village, err)
		}
		p.villages[k] = r.ID
	}
	return nil
}

// id returns the region of a row after ensure.
func (p *regionPlan) id(town, village string) int64 {
	switch {
	case town == "":
		return p.district.ID
	case village == "":
		return p.towns[town]
	}
	return p.villages[villageKey{town, village}]
}

// checkRegionNames reports town and village cells too long for the tree.
func (w *importWork) checkRegionNames(rec record, spec tableSpec, town, village int) bool {
	ok := true
	for _, col := range []int{town, village} {
		if utf8.RuneCountInString(rec.cells[col]) > 64 {
			name := spec.columns[col].name
			w.fail(rec.row, name, rec.cells[col], fmt.Sprintf(msgBadRegionName, name))
			ok = false
		}
	}
	if rec.cells[village] != "" && rec.cells[town] == "" {
		w.fail(rec.row, spec.columns[town].name, "", msgVillageNoTown)
		ok = false
	}
	return ok
}
