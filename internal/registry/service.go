// Package registry keeps the register of package supervision: the region
// tree, food-safety offices and their managers, food businesses (包保主体)
// with their status history, cadres (包保干部) and who packs which business
// from when to when (包保关系). It also imports and exports the register as
// CSV or XLSX with the Chinese column headers offices already use.
package registry

import (
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
)

// Rules are the register's settings that differ between places.
type Rules struct {
	// AllowHigherLevelCadre lets a higher-level cadre pack a lower grade.
	AllowHigherLevelCadre bool
	// DistrictCode is the deployment district's administrative code.
	DistrictCode string
	// CityName and DistrictName root the region tree when an import creates it.
	CityName, DistrictName string
	// ImportMaxRows is the most data rows an import file may have
	// (DefaultImportMaxRows when 0).
	ImportMaxRows int
	// ImportMaxUnzippedBytes bounds what an XLSX import may unpack to
	// (DefaultImportMaxUnzippedBytes when 0).
	ImportMaxUnzippedBytes int64
}

// Import limits when the rules leave them 0 (config import.*).
const (
	DefaultImportMaxRows          = 200_000
	DefaultImportMaxUnzippedBytes = 256 << 20
)

// Service is the register.
type Service struct {
	db      *db.DB
	rules   Rules
	clock   clock.Clock
	regions *regionCache
}

// NewService returns the register over d.
func NewService(d *db.DB, rules Rules, c clock.Clock) *Service {
	if c == nil {
		c = clock.Real{}
	}
	if rules.CityName == "" {
		rules.CityName = "无锡市"
	}
	if rules.DistrictName == "" {
		rules.DistrictName = "滨湖区"
	}
	if rules.ImportMaxRows <= 0 {
		rules.ImportMaxRows = DefaultImportMaxRows
	}
	if rules.ImportMaxUnzippedBytes <= 0 {
		rules.ImportMaxUnzippedBytes = DefaultImportMaxUnzippedBytes
	}
	return &Service{db: d, rules: rules, clock: c, regions: &regionCache{}}
}

// Rules returns the settings the register was built with.
func (s *Service) Rules() Rules { return s.rules }

func (s *Service) now() time.Time { return s.clock.Now() }

// Actor says who made a change, for the history: "cadre:12",
// "manager:3", "user:admin", "import", "seed".
type Actor string

// ActorOf formats a kind and id as an actor.
func ActorOf(kind string, id int64) Actor { return Actor(kind + ":" + strconv.FormatInt(id, 10)) }

// Parse splits "cadre:12" into its kind and id; ok is false for anything
// else (a console user "user:hudai", "cli", "").
func (a Actor) Parse() (kind string, id int64, ok bool) {
	k, v, found := strings.Cut(string(a), ":")
	if !found {
		return "", 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return k, n, true
}

// Source says through which channel a change came in.
type Source string

// Sources.
const (
	SourceChat    Source = "chat"
	SourceConsole Source = "console"
	SourceImport  Source = "import"
	SourceSeed    Source = "seed"
)

func pathIDs(path string) []int64 {
	var ids []int64
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
