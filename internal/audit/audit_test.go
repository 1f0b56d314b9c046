package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/query"
)

func TestRecordAndList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		entries := []Entry{
			{At: at, Actor: "user:admin", Action: "code.issue", SubjectType: "binding_code", SubjectID: 1, Detail: "role=cadre subject=3"},
			{At: at.Add(time.Minute), Actor: "openid:" + HashID("oUser1"), Action: "bind", SubjectType: "identity", SubjectID: 7, Detail: "phone 13812345678"},
			{At: at.Add(2 * time.Minute), Actor: "openid:" + HashID("oUser1"), Action: "unbind", SubjectType: "identity", SubjectID: 7},
		}
		err := d.InTx(ctx, func(tx *gorm.DB) error {
			for _, e := range entries {
				if err := Record(tx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("BySubject", func(t *testing.T) {
			es, total, err := query.New(d).AuditEntries(ctx, query.AuditFilter{SubjectType: "identity", SubjectID: 7}, query.AuditScope{All: true})
			if err != nil {
				t.Fatal(err)
			}
			if total != 2 || len(es) != 2 || es[0].Action != "unbind" || es[1].Action != "bind" {
				t.Fatalf("want unbind then bind, got %d %+v", total, es)
			}
			if !es[1].At.Equal(at.Add(time.Minute)) {
				t.Errorf("at = %v", es[1].At)
			}
			if es[1].Detail != "phone 138****5678" {
				t.Errorf("detail not masked: %q", es[1].Detail)
			}
		})
		t.Run("ByActorPaged", func(t *testing.T) {
			es, total, err := query.New(d).AuditEntries(ctx, query.AuditFilter{Actor: "openid:" + HashID("oUser1"), Limit: 1, Offset: 1}, query.AuditScope{All: true})
			if err != nil {
				t.Fatal(err)
			}
			if total != 2 || len(es) != 1 || es[0].Action != "bind" {
				t.Fatalf("page 2 of 2: got %d %+v", total, es)
			}
		})
		t.Run("RolledBackWithChange", func(t *testing.T) {
			_ = d.InTx(ctx, func(tx *gorm.DB) error {
				if err := Record(tx, Entry{Actor: "x", Action: "ghost"}); err != nil {
					t.Fatal(err)
				}
				return context.Canceled
			})
			if _, total, _ := query.New(d).AuditEntries(ctx, query.AuditFilter{Action: "ghost"}, query.AuditScope{All: true}); total != 0 {
				t.Fatalf("entry of a rolled-back change survived")
			}
		})
		t.Run("Rejects", func(t *testing.T) {
			for _, e := range []Entry{
				{Action: "bind"},
				{Actor: "x"},
				{Actor: strings.Repeat("a", 65), Action: "bind"},
			} {
				if err := Record(d.Gorm(ctx), e); err == nil {
					t.Errorf("%+v accepted", e)
				}
			}
			long := strings.Repeat("长", 600)
			if err := Record(d.Gorm(ctx), Entry{Actor: "x", Action: "long", Detail: long}); err != nil {
				t.Fatalf("long detail should be cut, got %v", err)
			}
			es, _, _ := query.New(d).AuditEntries(ctx, query.AuditFilter{Action: "long"}, query.AuditScope{All: true})
			if len(es) != 1 || len([]rune(es[0].Detail)) != 500 || es[0].At.IsZero() {
				t.Fatalf("long detail: %+v", es)
			}
		})
	}, Schema)
}

func TestHashID(t *testing.T) {
	a, b := HashID("oAbc"), HashID("oabc")
	if len(a) != 12 || a == b || HashID("oAbc") != a {
		t.Fatalf("HashID: %q %q", a, b)
	}
}

func TestScrub(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":                 "138****5678",
		"tel:13812345678,13998765432": "tel:138****5678,139****5432",
		"8613812345678":               "86138****5678",
		"id=12345678901234":           "id=12345678901234",
		"0510-85601234":               "0510-85601234",
		"subject=12 role=cadre":       "subject=12 role=cadre",
		"12345678901":                 "12345678901",
	} {
		if got := scrub(in); got != want {
			t.Errorf("scrub(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzScrub(f *testing.F) {
	f.Add("13812345678")
	f.Add("长13812345678长")
	f.Fuzz(func(t *testing.T, s string) {
		out := scrub(s)
		if len([]rune(out)) > maxDetail {
			t.Fatalf("too long: %d", len([]rune(out)))
		}
	})
}
