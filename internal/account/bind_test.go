package account_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

func TestBindCode(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()

		t.Run("OK", func(t *testing.T) {
			code, bc := e.issue(t, account.RoleCadre, e.cadre.ID)
			if len(code) != 8 || strings.Trim(code, "23456789ABCDEFGHJKMNPQRSTUVWXYZ") != "" {
				t.Fatalf("code %q", code)
			}
			if want := start.Add(account.CodeTTL); !bc.ExpiresAt.Equal(want) {
				t.Errorf("expires %v, want %v", bc.ExpiresAt, want)
			}
			u := user()
			// The way people type it: lower case, a dash, full-width letters, spaces.
			typed := " " + strings.ToLower(code[:4]) + "－" + toFullWidth(code[4:]) + " "
			id := e.bind(t, u, typed)
			if id.Role != account.RoleCadre || id.SubjectID != e.cadre.ID || id.Channel != "oa" || id.ExternalID != u || !id.Reachable {
				t.Fatalf("identity %+v", id)
			}
			ids, err := e.svc.Identities(ctx, "oa", u)
			if err != nil || len(ids) != 1 || ids[0].ID != id.ID {
				t.Fatalf("identities %+v %v", ids, err)
			}
			used, err := e.svc.Code(ctx, bc.ID)
			if err != nil || used.UsedAt == nil || used.UsedByIdentityID == nil || *used.UsedByIdentityID != id.ID {
				t.Fatalf("code after use %+v %v", used, err)
			}

			es := e.auditOf(t, "identity", id.ID)
			if len(es) != 1 || es[0].Action != "bind" || es[0].Actor != "openid:"+audit.HashID(u) {
				t.Fatalf("bind audit %+v", es)
			}
			if strings.Contains(es[0].Detail, u) || strings.Contains(es[0].Detail, code) {
				t.Fatalf("audit detail holds the openid or code: %q", es[0].Detail)
			}
			es = e.auditOf(t, "binding_code", bc.ID)
			if len(es) != 1 || es[0].Action != "code.issue" || es[0].Actor != "user:admin" {
				t.Fatalf("issue audit %+v", es)
			}
		})

		t.Run("OnlyHashStored", func(t *testing.T) {
			code, bc := e.issue(t, account.RoleCadre, e.cadre.ID)
			var n int64
			e.d.Gorm(ctx).Table("binding_codes").Where("id = ? AND code_hash LIKE ?", bc.ID, "%"+code+"%").Count(&n)
			var hash string
			e.d.Gorm(ctx).Table("binding_codes").Select("code_hash").Where("id = ?", bc.ID).Scan(&hash)
			if n != 0 || len(hash) != 64 {
				t.Fatalf("stored %q for code %s", hash, code)
			}
		})

		t.Run("Used", func(t *testing.T) {
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			u := user()
			first := e.bind(t, u, code)
			_, err := e.svc.Bind(ctx, "oa", user(), code)
			wantKind(t, err, errs.Conflict, "已使用")
			// The same user sending it again is told who they are, not refused.
			again, err := e.svc.Bind(ctx, "oa", u, code)
			if err != nil || again.ID != first.ID {
				t.Fatalf("same user, same code: %+v %v", again, err)
			}
		})

		t.Run("SameSubjectTwice", func(t *testing.T) {
			u := user()
			c1, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			c2, bc2 := e.issue(t, account.RoleCadre, e.cadre.ID)
			a, b := e.bind(t, u, c1), e.bind(t, u, c2)
			if a.ID != b.ID {
				t.Fatalf("second code for the same subject made a second identity: %d, %d", a.ID, b.ID)
			}
			if used, _ := e.svc.Code(ctx, bc2.ID); used.UsedAt == nil {
				t.Fatal("second code not consumed")
			}
			if es := e.auditOf(t, "identity", a.ID); len(es) != 2 || !strings.Contains(es[0].Detail, "already_bound=true") {
				t.Fatalf("audit %+v", es)
			}
		})

		t.Run("Expired", func(t *testing.T) {
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			e.clk.Advance(8 * 24 * time.Hour)
			defer e.clk.Advance(-8 * 24 * time.Hour)
			_, err := e.svc.Bind(ctx, "oa", user(), code)
			wantKind(t, err, errs.Invalid, "已过期")
		})

		t.Run("StillValidJustBeforeExpiry", func(t *testing.T) {
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			e.clk.Advance(account.CodeTTL - time.Minute)
			defer e.clk.Advance(-(account.CodeTTL - time.Minute))
			e.bind(t, user(), code)
		})

		t.Run("UnknownSubject", func(t *testing.T) {
			for _, role := range []account.Role{account.RoleCadre, account.RoleManager, account.RoleContact} {
				_, _, err := e.svc.IssueCode(ctx, role, 99999, "user:admin")
				wantKind(t, err, errs.NotFound, "")
			}
			_, _, err := e.svc.IssueCode(ctx, "mayor", e.cadre.ID, "user:admin")
			wantKind(t, err, errs.Invalid, "")
			_, _, err = e.svc.IssueCode(ctx, account.RoleCadre, e.cadre.ID, "")
			wantKind(t, err, errs.Invalid, "")
		})

		t.Run("InactiveSubject", func(t *testing.T) {
			c, err := e.reg.CreateCadre(ctx, registry.CadreInput{Name: "赵某某", Level: registry.CadreVillage, RegionID: e.village.ID, WorkPhone: "13900000009"})
			if err != nil {
				t.Fatal(err)
			}
			code, _ := e.issue(t, account.RoleCadre, c.ID)
			if err := e.d.Gorm(ctx).Table("cadres").Where("id = ?", c.ID).Update("active", false).Error; err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.Bind(ctx, "oa", user(), code)
			wantKind(t, err, errs.Invalid, "已停用")
			_, _, err = e.svc.IssueCode(ctx, account.RoleCadre, c.ID, "user:admin")
			wantKind(t, err, errs.Invalid, "已停用")
		})

		t.Run("Revoked", func(t *testing.T) {
			code, bc := e.issue(t, account.RoleManager, e.manager.ID)
			if err := e.svc.RevokeCode(ctx, bc.ID, "user:admin"); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.RevokeCode(ctx, bc.ID, "user:admin"); err != nil {
				t.Fatalf("revoking twice: %v", err)
			}
			_, err := e.svc.Bind(ctx, "oa", user(), code)
			wantKind(t, err, errs.Invalid, "作废")
			if es := e.auditOf(t, "binding_code", bc.ID); len(es) != 2 || es[0].Action != "code.revoke" {
				t.Fatalf("audit %+v", es)
			}

			usedCode, used := e.issue(t, account.RoleManager, e.manager.ID)
			e.bind(t, user(), usedCode)
			wantKind(t, e.svc.RevokeCode(ctx, used.ID, "user:admin"), errs.Conflict, "")
			wantKind(t, e.svc.RevokeCode(ctx, 99999, "user:admin"), errs.NotFound, "")
		})

		t.Run("Wrong", func(t *testing.T) {
			_, err := e.svc.Bind(ctx, "oa", user(), wrongCode())
			wantKind(t, err, errs.Invalid, "还可输错4次")
			_, err = e.svc.Bind(ctx, "oa", user(), "hello")
			wantKind(t, err, errs.Invalid, "绑定码不正确")
		})

		t.Run("BadUser", func(t *testing.T) {
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			for _, c := range []struct{ ch, u string }{{"oa", ""}, {"sms", user()}, {"oa", "a|b"}, {"oa", strings.Repeat("x", 65)}} {
				_, err := e.svc.Bind(ctx, chat.Channel(c.ch), c.u, code)
				wantKind(t, err, errs.Invalid, "")
			}
		})
	})
}

func TestRateLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()

		t.Run("PerUser", func(t *testing.T) {
			u := user()
			for i := 1; i <= account.MaxFailures; i++ {
				_, err := e.svc.Bind(ctx, "oa", u, wrongCode())
				wantKind(t, err, errs.Invalid, "绑定码不正确")
				if i == account.MaxFailures && !strings.Contains(errs.MessageOf(err), "1小时后再试") {
					t.Errorf("the last allowed failure should say the limit: %q", errs.MessageOf(err))
				}
			}
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			_, err := e.svc.Bind(ctx, "oa", u, code)
			wantKind(t, err, errs.TooMany, "请 1 小时后再试")
			// The refused attempt neither used the code nor blocks anyone else.
			e.bind(t, user(), code)
			// Nor does it block the same openid on the other channel.
			wc, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			if _, err := e.svc.Bind(ctx, "wecom", u, wc); err != nil {
				t.Fatalf("other channel: %v", err)
			}
		})

		t.Run("PerCode", func(t *testing.T) {
			guess := wrongCode()
			for range account.MaxFailures {
				_, err := e.svc.Bind(ctx, "oa", user(), guess)
				wantKind(t, err, errs.Invalid, "")
			}
			_, err := e.svc.Bind(ctx, "oa", user(), strings.ToLower(guess))
			wantKind(t, err, errs.TooMany, "后再试")
		})

		t.Run("FailuresOfRealCodesCount", func(t *testing.T) {
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			e.bind(t, user(), code)
			u := user()
			for range account.MaxFailures {
				_, err := e.svc.Bind(ctx, "oa", u, code)
				wantKind(t, err, errs.Conflict, "")
			}
			_, err := e.svc.Bind(ctx, "oa", user(), code)
			wantKind(t, err, errs.TooMany, "")
		})
	})
}

func TestConcurrentBind(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
		const n = 10
		errc := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := e.svc.Bind(ctx, "oa", user(), code)
				errc <- err
			})
		}
		wg.Wait()
		close(errc)
		won := 0
		for err := range errc {
			switch {
			case err == nil:
				won++
			case !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.TooMany):
				// Late losers find the code's failure counter already full.
				t.Errorf("loser: want Conflict (or TooMany), got %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d binds succeeded, want exactly 1", won)
		}
		ids, err := e.svc.IdentitiesOfSubject(ctx, account.RoleCadre, e.cadre.ID)
		if err != nil || len(ids) != 1 {
			t.Fatalf("identities of the cadre: %+v %v", ids, err)
		}
	})
}

func TestQR(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()

		t.Run("OK", func(t *testing.T) {
			scene, err := e.svc.IssueQRToken(ctx, account.RoleContact, e.contact.ID, "cadre:1")
			if err != nil {
				t.Fatal(err)
			}
			if len(scene) > account.SceneMaxLen {
				t.Fatalf("scene %q is %d characters", scene, len(scene))
			}
			u := user()
			id, err := e.svc.BindByScene(ctx, "oa", u, "qrscene_"+scene)
			if err != nil {
				t.Fatal(err)
			}
			if id.Role != account.RoleContact || id.SubjectID != e.contact.ID {
				t.Fatalf("identity %+v", id)
			}
			es := e.auditOf(t, "identity", id.ID)
			if len(es) != 1 || !strings.Contains(es[0].Detail, "via=qr") {
				t.Fatalf("audit %+v", es)
			}
			// Scanning again (a SCAN event carries no prefix) is no error.
			if again, err := e.svc.BindByScene(ctx, "oa", u, scene); err != nil || again.ID != id.ID {
				t.Fatalf("same user again: %+v %v", again, err)
			}
			_, err = e.svc.BindByScene(ctx, "oa", user(), scene)
			wantKind(t, err, errs.Conflict, "已使用")
		})

		t.Run("Tampered", func(t *testing.T) {
			scene, err := e.svc.IssueQRToken(ctx, account.RoleCadre, e.cadre.ID, "user:admin")
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range []int{len(scene) - 1, len(scene) - 10, 5} {
				b := []byte(scene)
				if b[i] == 'A' {
					b[i] = 'B'
				} else {
					b[i] = 'A'
				}
				_, err := e.svc.BindByScene(ctx, "oa", user(), string(b))
				wantKind(t, err, errs.Invalid, "二维码无效")
			}
			_, err = e.svc.BindByScene(ctx, "oa", user(), "b1.junk")
			wantKind(t, err, errs.Invalid, "")
			// A scene signed with another secret is a forgery.
			other := account.NewService(e.d, e.store, e.reg, e.clk, []byte("another-secret-0123456789"))
			forged, err := other.IssueQRToken(ctx, account.RoleCadre, e.cadre.ID, "user:admin")
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.BindByScene(ctx, "oa", user(), forged)
			wantKind(t, err, errs.Invalid, "二维码无效")
			// The untampered scene still works.
			if _, err := e.svc.BindByScene(ctx, "oa", user(), scene); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("TamperingIsCounted", func(t *testing.T) {
			u := user()
			for range account.MaxFailures {
				_, err := e.svc.BindByScene(ctx, "oa", u, "b1.AAAAAAAAAAAAB.AAAAAAAAAAAAAAAA")
				wantKind(t, err, errs.Invalid, "")
			}
			scene, _ := e.svc.IssueQRToken(ctx, account.RoleCadre, e.cadre.ID, "user:admin")
			_, err := e.svc.BindByScene(ctx, "oa", u, scene)
			wantKind(t, err, errs.TooMany, "")
		})

		t.Run("Expired", func(t *testing.T) {
			scene, _ := e.svc.IssueQRToken(ctx, account.RoleCadre, e.cadre.ID, "user:admin")
			e.clk.Advance(8 * 24 * time.Hour)
			defer e.clk.Advance(-8 * 24 * time.Hour)
			_, err := e.svc.BindByScene(ctx, "oa", user(), scene)
			wantKind(t, err, errs.Invalid, "过期")
		})

		t.Run("NotACode", func(t *testing.T) {
			// A QR row has no code anyone can type, and a typed code is no scene.
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			_, err := e.svc.BindByScene(ctx, "oa", user(), code)
			wantKind(t, err, errs.Invalid, "")
		})
	})
}

// toFullWidth turns ASCII letters and digits into their full-width forms,
// as a Chinese keyboard in full-width mode types them.
func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r - 0x21 + 0xFF01)
	}
	return b.String()
}
