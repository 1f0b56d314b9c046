package pledge_test

import (
	"context"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/query"
)

// BenchmarkDue plans the pledge reminders of the demo district (about 2,000
// businesses, half unsigned): what the reminder planner adds each day.
func BenchmarkDue(b *testing.B) {
	w := newDistrict(b, demoDistrict.OpenSQLite(b))
	ctx := context.Background()
	at := now.Add(20 * 24 * time.Hour)
	for b.Loop() {
		if _, err := w.pledges.Due(ctx, at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPledgeList is the console's first page with its figures by
// village and cadre, for the whole district.
func BenchmarkPledgeList(b *testing.B) {
	w := newDistrict(b, demoDistrict.OpenSQLite(b))
	ctx := context.Background()
	q := query.New(w.d)
	cur := w.pledges.Current()
	f := query.PledgeFilter{Year: cur.Year, CadreVersion: cur.CadreVersion, BusinessVersion: cur.BusinessVersion, Limit: 50}
	for b.Loop() {
		if _, _, err := q.Pledges(ctx, f); err != nil {
			b.Fatal(err)
		}
		if _, _, err := q.PledgeFigures(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}
