package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

func TestIdentities(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()

		t.Run("Stranger", func(t *testing.T) {
			for range 2 { // the second read comes from the cache
				ids, err := e.svc.Identities(ctx, "oa", user())
				if err != nil || len(ids) != 0 {
					t.Fatalf("stranger: %+v %v", ids, err)
				}
			}
		})

		t.Run("TwoRoles", func(t *testing.T) {
			u := user()
			mc, _ := e.issue(t, account.RoleManager, e.manager.ID)
			e.bind(t, u, mc)
			if ids, _ := e.svc.Identities(ctx, "oa", u); len(ids) != 1 {
				t.Fatalf("after one bind: %+v", ids)
			}
			cc, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			e.bind(t, u, cc)
			ids, err := e.svc.Identities(ctx, "oa", u)
			if err != nil || len(ids) != 2 || ids[0].Role != account.RoleCadre || ids[1].Role != account.RoleManager {
				t.Fatalf("want cadre then manager (cache cleared on bind), got %+v %v", ids, err)
			}
		})

		t.Run("Unbind", func(t *testing.T) {
			u := user()
			cc, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			ct, _ := e.issue(t, account.RoleContact, e.contact.ID)
			a, b := e.bind(t, u, cc), e.bind(t, u, ct)
			if _, err := e.svc.Identities(ctx, "oa", u); err != nil { // fill the cache
				t.Fatal(err)
			}
			ended, err := e.svc.Unbind(ctx, "oa", u)
			if err != nil || len(ended) != 2 || ended[0].ID != a.ID || ended[1].ID != b.ID || ended[0].UnboundAt == nil {
				t.Fatalf("unbind: %+v %v", ended, err)
			}
			if ids, err := e.svc.Identities(ctx, "oa", u); err != nil || len(ids) != 0 {
				t.Fatalf("after unbind: %+v %v", ids, err)
			}
			for _, id := range []int64{a.ID, b.ID} {
				if es := e.auditOf(t, "identity", id); len(es) != 2 || es[0].Action != "unbind" || es[1].Action != "bind" {
					t.Fatalf("audit of %d: %+v", id, es)
				}
			}
			_, err = e.svc.Unbind(ctx, "oa", u)
			wantKind(t, err, errs.NotFound, "还没有绑定")

			// Binding again starts a new identity; the old one stays as history.
			again, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			c := e.bind(t, u, again)
			if c.ID == a.ID {
				t.Fatal("rebinding reused the ended identity")
			}
			var rows int64
			e.d.Gorm(ctx).Table("identities").Where("external_id = ?", u).Count(&rows)
			if rows != 3 {
				t.Fatalf("history: %d rows, want 3", rows)
			}
		})

		t.Run("UnreachableAndTouch", func(t *testing.T) {
			u := user()
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			id := e.bind(t, u, code)
			if err := e.svc.MarkUnreachable(ctx, "oa", u); err != nil {
				t.Fatal(err)
			}
			got := identityOf(t, e, id.ID)
			if got.Reachable {
				t.Fatal("still reachable after unsubscribe")
			}
			if es := e.auditOf(t, "identity", id.ID); es[0].Action != "unsubscribe" {
				t.Fatalf("audit %+v", es)
			}
			if ids, _ := e.svc.Identities(ctx, "oa", u); len(ids) != 1 || ids[0].Reachable {
				t.Fatalf("cached identities not refreshed: %+v", ids)
			}

			at := start.Add(time.Hour)
			if err := e.svc.Touch(ctx, "oa", u, at); err != nil {
				t.Fatal(err)
			}
			got = identityOf(t, e, id.ID)
			if !got.Reachable || got.LastMessageAt == nil || !got.LastMessageAt.Equal(at) {
				t.Fatalf("after touch: %+v", got)
			}
			// Within the minute the next message does not write.
			if err := e.svc.Touch(ctx, "oa", u, at.Add(10*time.Second)); err != nil {
				t.Fatal(err)
			}
			if got = identityOf(t, e, id.ID); !got.LastMessageAt.Equal(at) {
				t.Fatalf("touch within a minute wrote: %v", got.LastMessageAt)
			}

			if err := e.svc.MarkUnreachable(ctx, "oa", user()); err != nil {
				t.Fatalf("stranger unsubscribing: %v", err)
			}
			if err := e.svc.Touch(ctx, "oa", user(), at); err != nil {
				t.Fatalf("stranger writing: %v", err)
			}
		})

		t.Run("WeCom", func(t *testing.T) {
			const wecomUser = "WangMouMou"
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			id, err := e.svc.Bind(ctx, "wecom", wecomUser, code)
			if err != nil || id.Channel != "wecom" || id.Role != account.RoleCadre {
				t.Fatalf("wecom cadre: %+v %v", id, err)
			}
			if es := e.auditOf(t, "identity", id.ID); len(es) != 1 || es[0].Actor[:6] != "wecom:" {
				t.Fatalf("audit %+v", es)
			}
			// The same user id on the Official Account is someone else.
			if ids, _ := e.svc.Identities(ctx, "oa", wecomUser); len(ids) != 0 {
				t.Fatalf("channels mixed: %+v", ids)
			}

			contactCode, bc := e.issue(t, account.RoleContact, e.contact.ID)
			_, err = e.svc.Bind(ctx, "wecom", "ZhangMouMou", contactCode)
			wantKind(t, err, errs.Invalid, "公众号")
			if c, _ := e.svc.Code(ctx, bc.ID); c.UsedAt != nil {
				t.Fatal("refused bind used the code")
			}
			e.bind(t, user(), contactCode)
		})

		t.Run("CaseSensitiveUserIDs", func(t *testing.T) {
			u := "oCase" + user()
			code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
			e.bind(t, u, code)
			ids, err := e.svc.Identities(ctx, "oa", "ocase"+u[5:])
			if err != nil || len(ids) != 0 {
				t.Fatalf("openids differing in case were taken for one: %+v %v", ids, err)
			}
		})

		t.Run("OfSubject", func(t *testing.T) {
			m := *e.manager
			m.ID = 0
			m.Name = "赵某某"
			other, err := e.reg.CreateManager(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			u1, u2 := user(), user()
			c1, _ := e.issue(t, account.RoleManager, other.ID)
			c2, _ := e.issue(t, account.RoleManager, other.ID)
			e.bind(t, u1, c1)
			e.bind(t, u2, c2)
			ids, err := e.svc.IdentitiesOfSubject(ctx, account.RoleManager, other.ID)
			if err != nil || len(ids) != 2 || ids[0].ExternalID != u1 || ids[1].ExternalID != u2 {
				t.Fatalf("%+v %v", ids, err)
			}
		})
	})
}

func identityOf(t *testing.T, e *env, id int64) account.Identity {
	t.Helper()
	var row struct {
		ID            int64
		Reachable     bool
		LastMessageAt *time.Time
	}
	if err := e.d.Gorm(context.Background()).Table("identities").Where("id = ?", id).Take(&row).Error; err != nil {
		t.Fatal(err)
	}
	return account.Identity{ID: row.ID, Reachable: row.Reachable, LastMessageAt: row.LastMessageAt}
}

func TestContacts(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		again, err := e.svc.EnsureContact(ctx, e.business.ID, account.ContactPrincipal)
		if err != nil || again.ID != e.contact.ID || again.Name != "张某某" || again.Phone != "13800001111" {
			t.Fatalf("ensure twice: %+v %v", again, err)
		}
		_, err = e.svc.EnsureContact(ctx, e.business.ID, account.ContactDirector)
		wantKind(t, err, errs.Invalid, "食品安全总监")
		_, err = e.svc.EnsureContact(ctx, 99999, account.ContactPrincipal)
		wantKind(t, err, errs.NotFound, "")

		other, err := e.svc.CreateContact(ctx, e.business.ID, " 陈某某 ", "138 0000 2222", account.ContactOther)
		if err != nil || other.Name != "陈某某" || other.Phone != "13800002222" {
			t.Fatalf("create: %+v %v", other, err)
		}
		_, err = e.svc.CreateContact(ctx, e.business.ID, "陈某某", "", account.ContactOther)
		wantKind(t, err, errs.Conflict, "")
		_, err = e.svc.CreateContact(ctx, e.business.ID, "", "12", "boss")
		if !errs.Is(err, errs.Invalid) || len(errs.FieldsOf(err)) != 3 {
			t.Fatalf("bad input: %v %+v", err, errs.FieldsOf(err))
		}
		_, err = e.svc.CreateContact(ctx, 99999, "陈某某", "", account.ContactOther)
		wantKind(t, err, errs.NotFound, "")

		cs, err := e.svc.ContactsOf(ctx, e.business.ID)
		if err != nil || len(cs) != 2 || cs[0].ID != e.contact.ID || cs[1].ID != other.ID {
			t.Fatalf("contacts of: %+v %v", cs, err)
		}
		_, err = e.svc.Contact(ctx, 99999)
		wantKind(t, err, errs.NotFound, "联系人不存在")
	})
}

func TestDescribe(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, c := range []struct {
			role    account.Role
			subject int64
			want    string
		}{
			{account.RoleCadre, e.cadre.ID, "包保干部 王某某（马鞍村）"},
			{account.RoleManager, e.manager.ID, "食安办 李某某（胡埭镇食品安全委员会办公室）"},
			{account.RoleContact, e.contact.ID, "主体联系人 张某某（胡埭马鞍阿英面馆）"},
		} {
			got, err := e.svc.Describe(ctx, account.Identity{Role: c.role, SubjectID: c.subject})
			if err != nil || got != c.want {
				t.Errorf("%s: %q %v, want %q", c.role, got, err, c.want)
			}
		}
		_, err := e.svc.Describe(ctx, account.Identity{Role: account.RoleCadre, SubjectID: 99999})
		wantKind(t, err, errs.NotFound, "")
	})
}

func TestNewServiceRefusesShortSecret(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("want a panic for a short secret")
		}
	}()
	account.NewService(nil, nil, nil, nil, []byte("short"))
}

// TestEnsureContacts: the bulk form gives what EnsureContact gives, one
// contact per business and post, creating only what is missing.
func TestEnsureContacts(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		second := "92320211MA1X2Y4Q0"
		b2, err := e.reg.CreateBusiness(ctx, registry.BusinessInput{
			Name: "胡埭马鞍小超市", CreditCode: second + string(registry.CreditCheckChar(second)), Category: registry.CategorySales,
			Grade: registry.GradeD, RegionID: e.village.ID, Address: "胡埭镇马鞍村2号", Principal: "赵某某", PrincipalPhone: "13800003333",
		}, "test", registry.SourceConsole)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.EnsureContacts(ctx, []int64{e.business.ID, b2.ID, 99999}, account.ContactPrincipal)
		if err != nil || len(got) != 2 || got[e.business.ID].ID != e.contact.ID || got[b2.ID].Name != "赵某某" || got[b2.ID].ID == 0 {
			t.Fatalf("ensure contacts: %+v %v", got, err)
		}
		one, err := e.svc.EnsureContact(ctx, b2.ID, account.ContactPrincipal)
		if err != nil || one.ID != got[b2.ID].ID {
			t.Fatalf("EnsureContact after the bulk one: %+v %v, want id %d", one, err, got[b2.ID].ID)
		}
		again, err := e.svc.EnsureContacts(ctx, []int64{b2.ID}, account.ContactPrincipal)
		if err != nil || len(again) != 1 || again[b2.ID].ID != one.ID {
			t.Fatalf("twice: %+v %v", again, err)
		}
		none, err := e.svc.EnsureContacts(ctx, []int64{e.business.ID, b2.ID}, account.ContactDirector)
		if err != nil || len(none) != 0 {
			t.Fatalf("nobody registered as director: %+v %v", none, err)
		}
		var n int64
		e.d.Gorm(ctx).Table("contacts").Count(&n)
		if n != 2 {
			t.Fatalf("%d contacts, want 2", n)
		}
	})
}
