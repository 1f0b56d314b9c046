package account_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
)

// TestConsoleUserPasswords: EnsureUser creates a user once however many
// callers race; UsersWithPassword finds who still has a password;
// SetPassword replaces it.
func TestConsoleUserPasswords(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const pw = "a-shared-password"
		in := account.UserInput{Username: "admin", Name: "系统管理员", Role: account.ConsoleAdmin, Password: pw}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if err := e.svc.EnsureUser(ctx, in); err != nil {
					t.Errorf("EnsureUser: %v", err)
				}
			})
		}
		wg.Wait()
		if us, err := e.svc.Users(ctx); err != nil || len(us) != 1 || us[0].Username != "admin" {
			t.Fatalf("after 4 racing EnsureUser calls: %+v, %v", us, err)
		}
		in.Password = "another-password"
		if err := e.svc.EnsureUser(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.EnsureUser(ctx, account.UserInput{Username: "viewer", Name: "只读", Role: account.ConsoleViewer, RegionID: e.village.ID, Password: pw}); err != nil {
			t.Fatal(err)
		}

		got, err := e.svc.UsersWithPassword(ctx, []string{"viewer", "admin", "nobody"}, pw)
		if err != nil || !slices.Equal(got, []string{"viewer", "admin"}) {
			t.Fatalf("UsersWithPassword = %v, %v", got, err)
		}
		if _, err := e.svc.SetPassword(ctx, "admin", "short"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("short password: %v", err)
		}
		if _, err := e.svc.SetPassword(ctx, "nobody", "long-enough-password"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		if _, err := e.svc.SetPassword(ctx, "admin", "long-enough-password"); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.svc.UsersWithPassword(ctx, []string{"viewer", "admin"}, pw); !slices.Equal(got, []string{"viewer"}) {
			t.Fatalf("after SetPassword: %v", got)
		}
		if _, err := e.svc.Authenticate(ctx, "admin", "long-enough-password"); err != nil {
			t.Fatalf("new password: %v", err)
		}
	})
}
