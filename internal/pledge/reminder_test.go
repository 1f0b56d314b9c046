package pledge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/registry"
)

// TestDue: the signer first, then the cadre, then the office; a signed
// pledge is not reminded; the same day's plan gives the same keys.
func TestDue(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	b := w.business(t, 5)
	c := w.bindContact(t, b.ID, "o-due")
	cur, err := w.reg.CurrentAssignment(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A new cadre today: the business's pledge falls due today, whatever
	// the year's start.
	newCadre := w.otherCadre(t, b)
	find := func(msgs []notify.Message, stage string, to notify.Recipient) *notify.Message {
		for i := range msgs {
			if strings.HasPrefix(msgs[i].Stage, stage) && msgs[i].To == to {
				return &msgs[i]
			}
		}
		return nil
	}
	contact := notify.Recipient{Kind: notify.ToContact, ID: c.ID}
	cadre := notify.Recipient{Kind: notify.ToCadre, ID: newCadre}
	at := func(days int) time.Time { return now.Add(time.Duration(days)*24*time.Hour + time.Hour) }

	day1, err := w.pledges.Due(ctx, at(1))
	if err != nil {
		t.Fatal(err)
	}
	if m := find(day1, pledge.StageSigner, contact); m != nil {
		t.Fatalf("reminded the business a day after the handover: %+v", m)
	}
	// Cadres unsigned since 1 January are reminded at once.
	unsignedCadre := w.unsignedCadre(t)
	if m := find(day1, pledge.StageSigner, notify.Recipient{Kind: notify.ToCadre, ID: unsignedCadre}); m == nil || !strings.Contains(m.URL, "/h5/pledges/cadre/") {
		t.Fatalf("an unsigned cadre's own pledge is not reminded: %+v", m)
	}
	for _, m := range day1 {
		if m.Stage == pledge.StageSigner && m.To.Kind == notify.ToCadre && m.To.ID == cur.CadreID && cadreSigned(t, w, cur.CadreID) {
			t.Fatalf("a signed cadre is reminded: %+v", m)
		}
	}

	day3, err := w.pledges.Due(ctx, at(3))
	if err != nil {
		t.Fatal(err)
	}
	m := find(day3, pledge.StageSigner, contact)
	if m == nil || !strings.Contains(m.Text, b.Name) || !strings.Contains(m.URL, "r=contact") {
		t.Fatalf("signer reminder: %+v", m)
	}
	if m := find(day3, pledge.StageCadre, cadre); m != nil && strings.Contains(m.Text, b.Name) {
		t.Fatalf("cadre told of %s on day 3: %s", b.Name, m.Text)
	}
	again, _ := w.pledges.Due(ctx, at(3))
	if k := find(again, pledge.StageSigner, contact); k == nil || k.Key() != m.Key() {
		t.Fatal("the same day's plan changed the key")
	}

	day7, err := w.pledges.Due(ctx, at(7))
	if err != nil {
		t.Fatal(err)
	}
	if m := find(day7, pledge.StageCadre, cadre); m == nil || !strings.Contains(m.Text, b.Name) {
		t.Fatalf("cadre reminder: %+v", m)
	}
	day14, err := w.pledges.Due(ctx, at(14))
	if err != nil {
		t.Fatal(err)
	}
	office := false
	for _, m := range day14 {
		if strings.HasPrefix(m.Stage, pledge.StageOffice) && m.To.Kind == notify.ToManager && strings.Contains(m.Text, "家主体") {
			office = true
		}
	}
	if !office {
		t.Fatal("no office summary on day 14")
	}

	if _, err := w.pledges.Sign(ctx, pledge.KindBusiness, b.ID, pledge.Signature{Signer: registry.ActorOf("contact", c.ID), Name: "赵六", Typed: "赵六"}); err != nil {
		t.Fatal(err)
	}
	after, err := w.pledges.Due(ctx, at(14))
	if err != nil {
		t.Fatal(err)
	}
	if find(after, pledge.StageSigner, contact) != nil {
		t.Fatal("a signed pledge is still reminded")
	}
	if m := find(after, pledge.StageCadre, cadre); m != nil && strings.Contains(m.Text, b.Name) {
		t.Fatalf("the cadre still hears of a signed business: %s", m.Text)
	}
}

func cadreSigned(t *testing.T, w *district, id int64) bool {
	t.Helper()
	r, err := w.pledges.Requirement(context.Background(), pledge.KindCadre, id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Signed != nil
}
