package incident_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// TestReportAcceptClose: a cadre reports a suspected poisoning at 23:00;
// the town office (managers and group) and the district office are told
// at once, urgently, each message naming who must act; the office
// accepts, handles and closes it, and the cadre hears of every step.
func TestReportAcceptClose(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		biz, cadre := e.business(t, e.hudai), e.cadre(t, e.hudai)
		town, townManagers := e.office(t, e.hudai)
		_, districtManagers := e.office(t, e.district)
		inc, created, err := e.svc.Report(ctx, incident.Report{Key: "conv-1", Kind: incident.Poisoning, BusinessID: biz.ID,
			Description: "午饭后五人腹泻呕吐", Affected: 5, Reporter: registry.ActorOf("cadre", cadre.ID),
			Photos:   []supervision.PhotoInput{{MediaID: "m-1"}, {MediaID: "m-2"}},
			Location: &supervision.Location{Lat: 31.56, Lng: 120.16}, Place: "胡埭镇某路"})
		if err != nil || !created {
			t.Fatalf("Report = %v, %v", created, err)
		}
		if inc.State != incident.Reported || !inc.Verified || inc.BusinessName != biz.Name || inc.RegionID != biz.RegionID ||
			inc.OfficeID != town.ID || inc.DueAt == nil || !inc.DueAt.Equal(night.Add(30*time.Minute)) {
			t.Fatalf("incident = %+v", inc)
		}
		if !strings.Contains(inc.ReporterName, cadre.Name) {
			t.Fatalf("reporter %q, want %s", inc.ReporterName, cadre.Name)
		}
		if n := countRows(t, e.d, "incident_photos"); n != 2 {
			t.Fatalf("%d photos, want 2", n)
		}

		msgs := e.outbox(t, incident.KindReported)
		want := len(townManagers) + 1 + len(districtManagers) + 1 // managers and groups of both offices
		if len(msgs) != want {
			t.Fatalf("%d messages, want %d: %+v", len(msgs), want, msgs)
		}
		groups := map[string]bool{}
		for _, m := range msgs {
			if !m.Urgent || !m.NextAttemptAt.Equal(night.UTC()) || m.Status != notify.StatusPending {
				t.Fatalf("message %s to %v: urgent %v, due %s; want urgent and due at 23:00", m.Kind, m.To, m.Urgent, m.NextAttemptAt)
			}
			if !strings.Contains(m.Text, "请"+town.Name+"（"+townManagers[0].Name) || !strings.Contains(m.Text, biz.Name) {
				t.Fatalf("message does not say who must act: %s", m.Text)
			}
			if !strings.HasSuffix(m.URL, "/console/incidents/"+itoa(inc.ID)) {
				t.Fatalf("link %q", m.URL)
			}
			if m.To.Kind == notify.ToGroup {
				groups[m.To.Group] = true
			}
		}
		if !groups["胡埭"] || !groups["滨湖"] {
			t.Fatalf("groups told: %v", groups)
		}

		hudai := e.hudai.Path
		by := registry.Actor("user:hudai")
		step := func(to incident.State, note string) *incident.Incident {
			t.Helper()
			got, err := e.svc.Advance(ctx, inc.ID, incident.Step{To: to, Note: note, Actor: by, ActorName: "胡埭管理员", ScopePath: hudai})
			if err != nil {
				t.Fatalf("Advance to %s: %v", to, err)
			}
			return got
		}
		e.clk.Advance(10 * time.Minute)
		got := step(incident.Accepted, "已派人赶往现场")
		if got.State != incident.Accepted || got.DueAt == nil || !got.DueAt.Equal(night.Add(10*time.Minute+2*time.Hour)) {
			t.Fatalf("accepted: %+v", got)
		}
		step(incident.Handling, "")
		got = step(incident.Closed, "已送医，样品送检，停业整顿")
		if got.State != incident.Closed || got.DueAt != nil || got.ClosedAt == nil {
			t.Fatalf("closed: %+v", got)
		}
		told := e.outbox(t, incident.KindState)
		if len(told) != 3 {
			t.Fatalf("reporter told %d times, want 3", len(told))
		}
		for _, m := range told {
			if m.To != (notify.Recipient{Kind: notify.ToCadre, ID: cadre.ID}) || !strings.Contains(m.Text, "胡埭管理员") {
				t.Fatalf("reporter message %+v", m)
			}
		}
		evs, err := e.svc.Events(ctx, inc.ID)
		if err != nil || len(evs) != 4 || evs[3].Note != "已送医，样品送检，停业整顿" {
			t.Fatalf("events %+v, %v", evs, err)
		}
		var audits int64
		e.d.Gorm(ctx).Table("audit_log").Where("subject_type = ? AND subject_id = ?", incident.AuditSubject, inc.ID).Count(&audits)
		if audits != 4 {
			t.Fatalf("%d audit entries, want 4", audits)
		}
		if _, err := e.svc.Advance(ctx, inc.ID, incident.Step{To: incident.Closed, Note: "再办结", Actor: by, ScopePath: hudai}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("closing twice: %v, want Conflict", err)
		}
	})
}

// TestComplaintStaysInTown: a complaint is not the district's at once.
func TestComplaintStaysInTown(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		biz := e.business(t, e.hudai)
		_, managers := e.office(t, e.hudai)
		if _, _, err := e.svc.Report(t.Context(), incident.Report{Key: "conv-c", Kind: incident.Complaint, BusinessID: biz.ID,
			Description: "顾客投诉饭菜有异物", Affected: -1, Reporter: registry.ActorOf("cadre", e.cadre(t, e.hudai).ID)}); err != nil {
			t.Fatal(err)
		}
		if msgs := e.outbox(t, incident.KindReported); len(msgs) != len(managers)+1 {
			t.Fatalf("%d messages, want the town's %d managers and its group", len(msgs), len(managers))
		}
	})
}

// TestTripleDelivery: the same report delivered three times is one
// incident, one event and one set of messages.
func TestTripleDelivery(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := incident.Report{Key: "conv-3", Kind: incident.Accident, BusinessID: e.business(t, e.hudai).ID,
			Description: "后厨燃气泄漏", Affected: 0, Reporter: registry.ActorOf("cadre", e.cadre(t, e.hudai).ID),
			Photos: []supervision.PhotoInput{{MediaID: "m-9"}}}
		var first int64
		for i := range 3 {
			inc, created, err := e.svc.Report(t.Context(), r)
			if err != nil || created != (i == 0) {
				t.Fatalf("delivery %d: created %v, %v", i+1, created, err)
			}
			if i == 0 {
				first = inc.ID
			} else if inc.ID != first {
				t.Fatalf("delivery %d gave incident %d, want %d", i+1, inc.ID, first)
			}
		}
		for table, want := range map[string]int64{"incidents": 1, "incident_events": 1, "incident_photos": 1} {
			if n := countRows(t, e.d, table); n != want {
				t.Fatalf("%s: %d rows, want %d", table, n, want)
			}
		}
		msgs := e.outbox(t, incident.KindReported)
		keys := map[string]bool{}
		for _, m := range msgs {
			if keys[m.Key] {
				t.Fatalf("message %s twice", m.Key)
			}
			keys[m.Key] = true
		}
	})
}

// TestStranger: an unbound user's report is taken, marked unverified,
// and accepting it verifies it; there is nobody to push its steps to.
func TestStranger(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		inc, _, err := e.svc.Report(t.Context(), incident.Report{Key: "conv-s", Kind: incident.Complaint, RegionID: e.lihu.ID,
			Description: "路边摊卖过期食品", Affected: -1, StrangerRef: "3f2a9c01b7de"})
		if err != nil {
			t.Fatal(err)
		}
		if inc.Verified || inc.ReporterKind != incident.ReporterStranger || inc.BusinessID != 0 || inc.ReporterID != 0 {
			t.Fatalf("stranger's incident = %+v", inc)
		}
		lihu, _ := e.office(t, e.lihu)
		msgs := e.outbox(t, incident.KindReported)
		if len(msgs) == 0 || !strings.Contains(msgs[0].Text, "未核实") || !strings.Contains(msgs[0].Text, lihu.Name) {
			t.Fatalf("messages %+v", msgs)
		}
		got, err := e.svc.Advance(t.Context(), inc.ID, incident.Step{To: incident.Accepted, Note: "已核实", Actor: "user:lihu", ScopePath: e.lihu.Path})
		if err != nil || !got.Verified {
			t.Fatalf("accepted: %+v, %v", got, err)
		}
		if n := len(e.outbox(t, incident.KindState)); n != 0 {
			t.Fatalf("%d messages to a stranger", n)
		}
	})
}

// TestScope: a 胡埭 manager can neither read nor act on a 蠡湖 incident,
// and the error names nothing of it.
func TestScope(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		biz := e.business(t, e.lihu)
		inc, _, err := e.svc.Report(t.Context(), incident.Report{Key: "conv-l", Kind: incident.Poisoning, BusinessID: biz.ID,
			Description: "食堂多人不适", Affected: 8, Reporter: registry.ActorOf("cadre", e.cadre(t, e.lihu).ID)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.InScope(t.Context(), inc.ID, e.hudai.Path)
		if !errs.Is(err, errs.NotFound) || strings.Contains(errs.MessageOf(err), biz.Name) {
			t.Fatalf("read from 胡埭: %v", err)
		}
		_, err = e.svc.Advance(t.Context(), inc.ID, incident.Step{To: incident.Accepted, Note: "受理", Actor: "user:hudai", ScopePath: e.hudai.Path})
		if !errs.Is(err, errs.NotFound) || errs.MessageOf(err) != "应急事件不存在。" {
			t.Fatalf("act from 胡埭: %v", err)
		}
		if got, err := e.svc.InScope(t.Context(), inc.ID, e.district.Path); err != nil || got.ID != inc.ID {
			t.Fatalf("district read: %v", err)
		}
	})
}

// TestEscalation: a step past its deadline is escalated once to the
// office above, again when the next step is late too; one sweeper at a
// time.
func TestEscalation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		inc, _, err := e.svc.Report(ctx, incident.Report{Key: "conv-e", Kind: incident.Complaint, BusinessID: e.business(t, e.hudai).ID,
			Description: "投诉后厨卫生差", Affected: -1, Reporter: registry.ActorOf("cadre", e.cadre(t, e.hudai).ID)})
		if err != nil {
			t.Fatal(err)
		}
		sweep := func() int {
			t.Helper()
			n, skipped, err := e.svc.EscalateDue(ctx, e.store)
			if err != nil || skipped {
				t.Fatalf("EscalateDue: %d, skipped %v, %v", n, skipped, err)
			}
			return n
		}
		e.clk.Advance(23 * time.Hour)
		if n := sweep(); n != 0 {
			t.Fatalf("escalated %d before the deadline", n)
		}
		e.clk.Advance(2 * time.Hour)
		if n := sweep(); n != 1 {
			t.Fatalf("escalated %d, want 1", n)
		}
		if n := sweep(); n != 0 {
			t.Fatalf("escalated again: %d", n)
		}
		town, _ := e.office(t, e.hudai)
		district, districtManagers := e.office(t, e.district)
		msgs := e.outbox(t, incident.KindEscalated)
		toDistrict := 0
		for _, m := range msgs {
			if !m.Urgent || !strings.Contains(m.Text, "请"+town.Name) || !strings.Contains(m.Text, district.Name+"督办") || !strings.Contains(m.Text, "受理") {
				t.Fatalf("escalation %+v", m)
			}
			for _, dm := range districtManagers {
				if m.To == (notify.Recipient{Kind: notify.ToManager, ID: dm.ID}) {
					toDistrict++
				}
			}
		}
		if toDistrict != len(districtManagers) {
			t.Fatalf("%d of %d district managers told", toDistrict, len(districtManagers))
		}
		before := len(msgs)
		if _, err := e.svc.Advance(ctx, inc.ID, incident.Step{To: incident.Accepted, Note: "受理", Actor: "user:hudai", ScopePath: e.hudai.Path}); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(49 * time.Hour)
		if n := sweep(); n != 1 {
			t.Fatalf("late start escalated %d, want 1", n)
		}
		if after := len(e.outbox(t, incident.KindEscalated)); after != 2*before {
			t.Fatalf("%d escalation messages, want %d", after, 2*before)
		}

		t.Run("OneLeader", func(t *testing.T) {
			if _, err := e.store.SetNX(ctx, "incident:escalate:leader", "other", time.Minute); err != nil {
				t.Fatal(err)
			}
			if _, skipped, err := e.svc.EscalateDue(ctx, e.store); err != nil || !skipped {
				t.Fatalf("with another leader: skipped %v, %v", skipped, err)
			}
		})
	})
}

// TestInvalid: what a report or a step must have.
func TestInvalid(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ok := incident.Report{Key: "conv-i", Kind: incident.Other, RegionID: e.hudai.ID, Description: "x", Affected: -1, StrangerRef: "ab"}
		for name, r := range map[string]incident.Report{
			"NoKind":        func() incident.Report { r := ok; r.Kind = ""; return r }(),
			"NoDescription": func() incident.Report { r := ok; r.Description = " "; return r }(),
			"NoPlace":       func() incident.Report { r := ok; r.RegionID = 0; return r }(),
			"BadAffected":   func() incident.Report { r := ok; r.Affected = -5; return r }(),
		} {
			if _, _, err := e.svc.Report(ctx, r); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v, want Invalid", name, err)
			}
		}
		inc, _, err := e.svc.Report(ctx, ok)
		if err != nil {
			t.Fatal(err)
		}
		for name, st := range map[string]incident.Step{
			"SkipAStep":    {To: incident.Handling, Note: "直接处置"},
			"EmptyNote":    {To: incident.Reported},
			"CloseNoNote":  {To: incident.Closed},
			"UnknownState": {To: "done", Note: "x"},
		} {
			st.Actor, st.ScopePath = "user:hudai", e.hudai.Path
			if _, err := e.svc.Advance(ctx, inc.ID, st); !errs.Is(err, errs.Invalid) || strings.ContainsAny(errs.MessageOf(err), "abcdefghijklmnopqrstuvwxyz") {
				t.Errorf("%s: %v, want Invalid in words", name, err)
			}
		}
		if _, err := e.svc.Advance(ctx, inc.ID, incident.Step{To: incident.Reported, Note: "补充：现场已封存", Actor: "user:hudai", ScopePath: e.hudai.Path}); err != nil {
			t.Fatalf("note: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestSeedDemo: one open and one closed incident, each with its steps;
// seeding again is refused.
func TestSeedDemo(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		n, err := e.svc.SeedDemo(t.Context())
		if err != nil || n != 2 {
			t.Fatalf("SeedDemo = %d, %v", n, err)
		}
		lines, total, err := query.New(e.d).Incidents(t.Context(), query.IncidentFilter{Limit: 10})
		if err != nil || total != 2 {
			t.Fatalf("incidents: %d, %v", total, err)
		}
		states := map[string]bool{}
		for _, l := range lines {
			states[l.State] = true
			evs, err := e.svc.Events(t.Context(), l.ID)
			if err != nil || len(evs) < 3 {
				t.Fatalf("incident %d: %d steps, %v", l.ID, len(evs), err)
			}
		}
		if !states["closed"] || !states["handling"] {
			t.Fatalf("states %v, want one open (处置中) and one closed", states)
		}
		if n := len(e.outbox(t, incident.KindReported)); n != 0 {
			t.Fatalf("demo history notified %d", n)
		}
		if _, err := e.svc.SeedDemo(t.Context()); !errs.Is(err, errs.Conflict) {
			t.Fatalf("seeding twice: %v", err)
		}
	})
}

// TestScopedList: the read side lists a town's incidents only, with its
// filters.
func TestScopedList(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		for i, town := range []registry.Region{e.hudai, e.lihu} {
			if _, _, err := e.svc.Report(ctx, incident.Report{Key: "list-" + itoa(int64(i)), Kind: incident.Complaint,
				BusinessID: e.business(t, town).ID, Description: "投诉", Affected: -1, Reporter: registry.ActorOf("cadre", e.cadre(t, town).ID)}); err != nil {
				t.Fatal(err)
			}
		}
		read := query.New(e.d)
		count := func(f query.IncidentFilter) int64 {
			t.Helper()
			_, n, err := read.Incidents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(query.IncidentFilter{ScopePath: e.hudai.Path}); n != 1 {
			t.Fatalf("胡埭 sees %d, want 1", n)
		}
		if n := count(query.IncidentFilter{ScopePath: e.district.Path, State: "open"}); n != 2 {
			t.Fatalf("district sees %d open, want 2", n)
		}
		if n := count(query.IncidentFilter{Overdue: true, Now: night.Add(25 * time.Hour)}); n != 2 {
			t.Fatalf("%d overdue after a day, want 2", n)
		}
		if n := count(query.IncidentFilter{Kind: "poisoning"}); n != 0 {
			t.Fatalf("%d poisonings", n)
		}
		if _, _, err := read.Incidents(ctx, query.IncidentFilter{State: "done"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown state: %v", err)
		}
	})
}

// TestConcurrentDelivery: the same report delivered three times at once
// (three instances answering the platform's retries) is one incident.
func TestConcurrentDelivery(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := incident.Report{Key: "conv-race", Kind: incident.Other, BusinessID: e.business(t, e.hudai).ID,
			Description: "冷库断电", Affected: 0, Reporter: registry.ActorOf("cadre", e.cadre(t, e.hudai).ID)}
		var wg sync.WaitGroup
		created := make(chan bool, 3)
		for range 3 {
			wg.Go(func() {
				_, c, err := e.svc.Report(context.Background(), r)
				if err != nil {
					t.Error(err)
				}
				created <- c
			})
		}
		wg.Wait()
		close(created)
		n := 0
		for c := range created {
			if c {
				n++
			}
		}
		if n != 1 || countRows(t, e.d, "incidents") != 1 || countRows(t, e.d, "incident_events") != 1 {
			t.Fatalf("%d reports created, %d incidents", n, countRows(t, e.d, "incidents"))
		}
	})
}

// TestAuthorize: the H5 page opens for the town's and the district's
// managers and offices and for the reporter, not for another town's.
func TestAuthorize(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cadre := e.cadre(t, e.hudai)
		inc, _, err := e.svc.Report(t.Context(), incident.Report{Key: "conv-a", Kind: incident.Other, BusinessID: e.business(t, e.hudai).ID,
			Description: "冷库断电", Affected: 0, Reporter: registry.ActorOf("cadre", cadre.ID)})
		if err != nil {
			t.Fatal(err)
		}
		hudai, hudaiManagers := e.office(t, e.hudai)
		lihu, lihuManagers := e.office(t, e.lihu)
		district, _ := e.office(t, e.district)
		for reader, ok := range map[registry.Actor]bool{
			registry.ActorOf("manager", hudaiManagers[0].ID): true,
			registry.ActorOf("office", hudai.ID):             true,
			registry.ActorOf("office", district.ID):          true,
			registry.ActorOf("cadre", cadre.ID):              true,
			registry.ActorOf("manager", lihuManagers[0].ID):  false,
			registry.ActorOf("office", lihu.ID):              false,
			registry.ActorOf("cadre", e.cadre(t, e.lihu).ID): false,
			"user:hudai": false,
		} {
			_, err := e.svc.Authorize(t.Context(), inc.ID, reader)
			if ok != (err == nil) || (!ok && !errs.Is(err, errs.Forbidden)) {
				t.Errorf("%s: %v, want allowed %v", reader, err, ok)
			}
		}
	})
}
