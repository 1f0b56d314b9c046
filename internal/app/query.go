package app

import (
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/supervision"
)

var _ query.Rules = supervision.ReadRules{}

// newQuery is the read side over the services' database, counting
// coverage by their supervision rules.
func (s *Services) newQuery() *query.Reader {
	return query.New(s.DB).WithRules(s.Supervision.ReadRules(), s.Clock)
}
