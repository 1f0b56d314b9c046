package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
)

type widget struct {
	ID        int64
	Code      string
	Label     string
	CreatedAt time.Time
}

var widgetsV1 = db.Schema{Component: "widgets", Migrations: []db.Migration{{
	Version: 1, Name: "widgets",
	SQL: `CREATE TABLE widgets (
		id {{pk}},
		code VARCHAR(32) NOT NULL,
		created_at {{datetime}} NOT NULL
	) {{opts}};
	CREATE UNIQUE INDEX ux_widgets_code ON widgets (code);`,
}}}

var widgetsV2 = db.Schema{Component: "widgets", Migrations: append(widgetsV1.Migrations, db.Migration{
	Version: 2, Name: "widget labels",
	SQL: `ALTER TABLE widgets ADD COLUMN label VARCHAR(100) NOT NULL DEFAULT ''`,
	Func: func(tx *gorm.DB) error {
		return tx.Exec("UPDATE widgets SET label = code").Error
	},
})}

func TestMigrate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.CheckCurrent(ctx, widgetsV1); err != nil {
			t.Fatalf("v1 should be current: %v", err)
		}
		if err := d.Gorm(ctx).Exec("INSERT INTO widgets (code, created_at) VALUES ('a', ?)", time.Now()).Error; err != nil {
			t.Fatal(err)
		}

		err := d.CheckCurrent(ctx, widgetsV2)
		if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "shianbao migrate") {
			t.Fatalf("stale schema: want Unavailable naming the command, got %v", err)
		}
		applied, err := d.Migrate(ctx, widgetsV2)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 1 || !strings.Contains(applied[0], "widget labels") {
			t.Fatalf("applied = %v", applied)
		}
		var w widget
		if err := d.Gorm(ctx).First(&w).Error; err != nil || w.Label != "a" {
			t.Fatalf("data migration: %+v %v", w, err)
		}
		again, err := d.Migrate(ctx, widgetsV2)
		if err != nil || len(again) != 0 {
			t.Fatalf("second migrate applied %v, %v", again, err)
		}
	}, widgetsV1)
}

func TestTranslate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		create := func(code string) error {
			return db.Translate(d.Gorm(ctx).Create(&widget{Code: code, Label: code, CreatedAt: time.Now()}).Error)
		}
		t.Run("Conflict", func(t *testing.T) {
			if err := create("dup"); err != nil {
				t.Fatal(err)
			}
			if err := create("dup"); !errs.Is(err, errs.Conflict) {
				t.Fatalf("duplicate: want Conflict, got %v", err)
			}
		})
		t.Run("NotFound", func(t *testing.T) {
			var w widget
			err := db.Translate(d.Gorm(ctx).Where("code = ?", "missing").First(&w).Error)
			if !errs.Is(err, errs.NotFound) {
				t.Fatalf("want NotFound, got %v", err)
			}
		})
		t.Run("InTxRollsBack", func(t *testing.T) {
			boom := errors.New("boom")
			err := d.InTx(ctx, func(tx *gorm.DB) error {
				if err := tx.Create(&widget{Code: "tx", CreatedAt: time.Now()}).Error; err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("want boom, got %v", err)
			}
			var n int64
			d.Gorm(ctx).Model(&widget{}).Where("code = ?", "tx").Count(&n)
			if n != 0 {
				t.Fatalf("rolled-back row visible: %d", n)
			}
		})
		t.Run("Passthrough", func(t *testing.T) {
			e := errs.E(errs.Forbidden, "no")
			if got := db.Translate(e); got != error(e) {
				t.Fatalf("kinded error changed: %v", got)
			}
		})
	}, widgetsV2)
}

func TestOpenRejectsUnknownDriver(t *testing.T) {
	if _, err := db.Open(context.Background(), db.Options{Driver: "postgres", DSN: "x"}); err == nil {
		t.Fatal("want error for unknown driver")
	}
}
