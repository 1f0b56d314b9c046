package registry

import (
	"path/filepath"
	"strings"

	"github.com/shianbao/shianbao/internal/errs"
)

// This file holds what import and export share: the kinds of table, the
// file formats and the Chinese column headers offices already use. Reading
// the files is in table_import.go, writing them in table_export.go. All
// Chinese text of import and export for users is in the messages section
// below.

// Kind names a register table that can be imported and exported.
type Kind string

// The tables. Import cadres before businesses and assignments, which refer to them.
const (
	KindBusinesses  Kind = "businesses"
	KindCadres      Kind = "cadres"
	KindAssignments Kind = "assignments"
)

// Kinds lists every kind in the order a fresh register is imported.
var Kinds = []Kind{KindCadres, KindBusinesses, KindAssignments}

// ParseKind reads a kind from its identifier (singular or plural) or its
// Chinese name. Invalid for anything else.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "businesses", "business", "主体", "包保主体":
		return KindBusinesses, nil
	case "cadres", "cadre", "干部", "包保干部":
		return KindCadres, nil
	case "assignments", "assignment", "包保关系":
		return KindAssignments, nil
	}
	return "", errs.E(errs.Invalid, msgBadKind, s)
}

// Label is the Chinese name of the table, used as the XLSX sheet name.
func (k Kind) Label() string { return kindLabels[k] }

// Format is a file format of import and export.
type Format string

// Formats.
const (
	FormatCSV  Format = "csv"
	FormatXLSX Format = "xlsx"
)

// ParseFormat reads "csv" or "xlsx" (case-insensitive, a leading dot
// allowed). Invalid for anything else.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), ".")) {
	case "csv":
		return FormatCSV, nil
	case "xlsx":
		return FormatXLSX, nil
	}
	return "", errs.E(errs.Invalid, msgBadFormat, s)
}

// FormatOf chooses the format by a file name's extension. Invalid for
// anything but .csv and .xlsx (an old .xls must be saved as .xlsx first).
func FormatOf(filename string) (Format, error) {
	ext := filepath.Ext(filename)
	if strings.EqualFold(ext, ".xls") {
		return "", errs.E(errs.Invalid, msgXLS)
	}
	f, err := ParseFormat(ext)
	if err != nil || ext == "" {
		return "", errs.E(errs.Invalid, msgBadExtension, filepath.Base(filename))
	}
	return f, nil
}

// ---- messages: every Chinese sentence import and export show users ----

var kindLabels = map[Kind]string{KindBusinesses: "包保主体", KindCadres: "包保干部", KindAssignments: "包保关系"}

// Column headers. Exports write exactly these; imports also accept the
// aliases in the specs below.
const (
	hName           = "主体名称"
	hCreditCode     = "统一社会信用代码"
	hLicenceNo      = "许可证编号"
	hCategory       = "业态"
	hGrade          = "等级"
	hTown           = "镇(街道)"
	hVillage        = "村(社区)"
	hAddress        = "地址"
	hLongitude      = "经度"
	hLatitude       = "纬度"
	hPrincipal      = "负责人"
	hPrincipalPhone = "联系电话"
	hDirector       = "食品安全总监"
	hDirectorPhone  = "总监电话"
	hOfficer        = "食品安全员"
	hOfficerPhone   = "安全员电话"
	hStatus         = "状态"
	hCadre          = "包保干部"
	hCadrePhone     = "干部电话"
	hCadreName      = "姓名"
	hPost           = "职务"
	hLevel          = "层级"
	hWorkPhone      = "工作电话"
	hStartDate      = "开始日期"
)

// Status cells: the short words offices write, which ParseStatus reads back.
var statusCells = map[Status]string{StatusOperating: "正常", StatusSuspended: "停产停业", StatusDeregistered: "注销"}

// ---- column specs ----

// column is one header of a table. Aliases are other headers people use
// for the same thing in their own sheets.
type column struct {
	name     string
	aliases  []string
	required bool
	numeric  bool // written as a number in XLSX so Excel does not flag it
}

// tableSpec is the columns of one kind, in export order. oneOf lists
// groups of columns of which at least one must be present.
type tableSpec struct {
	kind    Kind
	columns []column
	oneOf   [][]int
}

// Business columns, in export order.
const (
	bName = iota
	bCreditCode
	bLicenceNo
	bCategory
	bGrade
	bTown
	bVillage
	bAddress
	bLongitude
	bLatitude
	bPrincipal
	bPrincipalPhone
	bDirector
	bDirectorPhone
	bOfficer
	bOfficerPhone
	bStatus
	bCadre
	bCadrePhone
	bColumns
)

// Cadre columns.
const (
	cName = iota
	cPost
	cLevel
	cTown
	cVillage
	cWorkPhone
	cColumns
)

// Assignment columns.
const (
	aCreditCode = iota
	aLicenceNo
	aName
	aCadre
	aCadrePhone
	aStartDate
	aColumns
)

var (
	townAliases    = []string{"镇街", "镇/街道", "乡镇(街道)", "乡镇", "所属镇(街道)", "镇(街)"}
	villageAliases = []string{"村/社区", "村社区", "村(居)", "所属村(社区)"}

	businessSpec = tableSpec{kind: KindBusinesses, columns: []column{
		bName:           {name: hName, aliases: []string{"企业名称", "单位名称", "经营者名称"}, required: true},
		bCreditCode:     {name: hCreditCode, aliases: []string{"社会信用代码", "信用代码"}},
		bLicenceNo:      {name: hLicenceNo, aliases: []string{"许可证号", "食品经营许可证编号", "食品生产许可证编号"}},
		bCategory:       {name: hCategory, required: true},
		bGrade:          {name: hGrade, aliases: []string{"包保等级"}, required: true},
		bTown:           {name: hTown, aliases: townAliases, required: true},
		bVillage:        {name: hVillage, aliases: villageAliases},
		bAddress:        {name: hAddress, aliases: []string{"经营地址", "经营场所"}},
		bLongitude:      {name: hLongitude, numeric: true},
		bLatitude:       {name: hLatitude, numeric: true},
		bPrincipal:      {name: hPrincipal, aliases: []string{"主要负责人", "法定代表人"}},
		bPrincipalPhone: {name: hPrincipalPhone, aliases: []string{"负责人电话"}},
		bDirector:       {name: hDirector},
		bDirectorPhone:  {name: hDirectorPhone, aliases: []string{"食品安全总监电话"}},
		bOfficer:        {name: hOfficer},
		bOfficerPhone:   {name: hOfficerPhone, aliases: []string{"食品安全员电话"}},
		bStatus:         {name: hStatus, aliases: []string{"经营状态"}},
		bCadre:          {name: hCadre, aliases: []string{"包保干部姓名"}},
		bCadrePhone:     {name: hCadrePhone, aliases: []string{"包保干部电话"}},
	}, oneOf: [][]int{{bCreditCode, bLicenceNo}}}

	cadreSpec = tableSpec{kind: KindCadres, columns: []column{
		cName:      {name: hCadreName, aliases: []string{"干部姓名", "包保干部"}, required: true},
		cPost:      {name: hPost, aliases: []string{"职务(岗位)", "岗位"}},
		cLevel:     {name: hLevel, aliases: []string{"干部层级", "级别"}, required: true},
		cTown:      {name: hTown, aliases: townAliases},
		cVillage:   {name: hVillage, aliases: villageAliases},
		cWorkPhone: {name: hWorkPhone, aliases: []string{"联系电话", "电话", "干部电话"}, required: true},
	}}

	assignmentSpec = tableSpec{kind: KindAssignments, columns: []column{
		aCreditCode: {name: hCreditCode, aliases: []string{"社会信用代码", "信用代码"}},
		aLicenceNo:  {name: hLicenceNo, aliases: []string{"许可证号", "食品经营许可证编号", "食品生产许可证编号"}},
		aName:       {name: hName, aliases: []string{"企业名称", "单位名称", "经营者名称"}},
		aCadre:      {name: hCadre, aliases: []string{"包保干部姓名"}, required: true},
		aCadrePhone: {name: hCadrePhone, aliases: []string{"包保干部电话"}},
		aStartDate:  {name: hStartDate, aliases: []string{"包保开始日期"}},
	}, oneOf: [][]int{{aCreditCode, aLicenceNo}}}
)

func specOf(k Kind) (tableSpec, error) {
	switch k {
	case KindBusinesses:
		return businessSpec, nil
	case KindCadres:
		return cadreSpec, nil
	case KindAssignments:
		return assignmentSpec, nil
	}
	return tableSpec{}, errs.E(errs.Invalid, msgBadKind, string(k))
}

func (t tableSpec) header() []string {
	h := make([]string, len(t.columns))
	for i, c := range t.columns {
		h[i] = c.name
	}
	return h
}

// headerKey makes headers comparable the way people write them: spaces
// anywhere, full-width parentheses and slashes, and a "*" marking a
// required column in a template.
func headerKey(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '（':
			return '('
		case '）':
			return ')'
		case '／':
			return '/'
		case '\ufeff', '*', '＊':
			return -1
		}
		if r == ' ' || r == '\u3000' || r == '\t' || r == '\u00a0' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	return s
}

func (t tableSpec) lookup() map[string]int {
	m := make(map[string]int)
	for i, c := range t.columns {
		m[headerKey(c.name)] = i
		for _, a := range c.aliases {
			m[headerKey(a)] = i
		}
	}
	return m
}
