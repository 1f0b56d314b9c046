package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
)

// DemoPassword is the console password of the demo users the embedded
// default creates. It only exists where the simulator is on.
const DemoPassword = "shianbao-demo"

// mountConsole adds the managers' console.
func (a *App) mountConsole() error {
	c := &web.Console{
		Accounts:      a.Accounts,
		Sessions:      &web.Sessions{KV: a.KV, TTL: 12 * time.Hour},
		KV:            a.KV,
		Clock:         a.Clock,
		SecureCookies: strings.HasPrefix(a.Config.HTTP.BaseURL, "https://"),
		Registry:      a.Registry,
		Supervision:   a.Supervision,
		Notify:        a.Notify,
		Media:         a.Media,
		Letters:       a.Letters,
		Cards:         a.Cards,
		SelfCheck:     a.SelfCheck,
		Query:         a.Query,
		DB:            a.DB,
		Log:           a.Log,
	}
	_, err := a.Web.MountConsole(c)
	return err
}

// demoUser is a console user of the demo district.
type demoUser struct {
	username, name string
	role           account.ConsoleRole
	region         string
}

var demoUsers = []demoUser{
	{"admin", "系统管理员", account.ConsoleAdmin, ""},
	{"hudai", "胡埭镇食安办", account.ConsoleManager, "胡埭镇"},
	{"lihu", "蠡湖街道食安办", account.ConsoleManager, "蠡湖街道"},
	{"viewer", "滨湖区（只读）", account.ConsoleViewer, "滨湖区"},
}

// seedDemoUsers creates the demo console users once, with the simulator on
// only, and logs how to sign in.
func (a *App) seedDemoUsers(ctx context.Context) error {
	if !a.Config.Simulator {
		return nil
	}
	users, err := a.Accounts.Users(ctx)
	if err != nil || len(users) > 0 {
		return err
	}
	regions, err := a.Registry.Regions(ctx)
	if err != nil {
		return err
	}
	byName := map[string]registry.Region{}
	for _, r := range regions {
		byName[r.Name] = r
	}
	// Side by side: hashing a password is deliberately slow (bcrypt, cost
	// 11: account.CreateUser), and four in a row were a sixth of the first
	// start. Insert-or-ignore: two instances starting together on an empty
	// database both get here, and the second must neither fail on the
	// unique username nor add twice.
	errc := make(chan error, len(demoUsers))
	for _, d := range demoUsers {
		in := account.UserInput{Username: d.username, Name: d.name, Role: d.role, Password: DemoPassword}
		if d.region != "" {
			r, ok := byName[d.region]
			if !ok {
				errc <- nil
				continue
			}
			in.RegionID = r.ID
		}
		go func() {
			errc <- a.Accounts.EnsureUser(ctx, in)
		}()
	}
	var first error
	for range demoUsers {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	a.Log.Info("demo console users created", "users", "admin, hudai (胡埭镇), lihu (蠡湖街道), viewer", "password", DemoPassword)
	return nil
}

// checkDemoPasswords refuses a real deployment (simulator off) while a
// console user the embedded default created still signs in with the demo
// password, which is printed in the README and every start-up log of the
// demo.
//
// Only the demo users' names are checked, not every user: the demo
// password enters a database only through seedDemoUsers, which creates
// exactly these four; `shianbao user add` generates a password or takes
// one typed by the operator, and neither it nor `user passwd` accepts the
// demo password. Checking a fixed four keeps start-up at four bcrypt
// comparisons (run side by side) however many users a city has.
func (a *App) checkDemoPasswords(ctx context.Context) error {
	if a.Config.Simulator {
		return nil
	}
	names := make([]string, len(demoUsers))
	for i, d := range demoUsers {
		names[i] = d.username
	}
	found, err := a.Accounts.UsersWithPassword(ctx, names, DemoPassword)
	if err != nil {
		return fmt.Errorf("check console users for the demo password: %w", err)
	}
	if len(found) == 0 {
		return nil
	}
	problems := make([]string, len(found))
	for i, name := range found {
		problems[i] = fmt.Sprintf("console user %s: still has the demo password %q, which anyone can look up; set a new one with `shianbao user passwd --username %s`", name, DemoPassword, name)
	}
	return &RefusedError{Problems: problems}
}

// RefusedError lists what stops the service starting on the database it
// was given, one line per problem, as config.ValidationError does for the
// configuration.
type RefusedError struct {
	Problems []string
}

func (e *RefusedError) Error() string {
	return "refusing to start:\n  " + strings.Join(e.Problems, "\n  ")
}

// RevokeConsoleSessions signs a console user out everywhere (after a new
// password), for commands that change users outside the server.
func RevokeConsoleSessions(ctx context.Context, store kv.Store, userID int64) error {
	if err := (&web.Sessions{KV: store}).RevokeAll(ctx, userID); err != nil {
		return fmt.Errorf("sign out the user's sessions: %w", err)
	}
	return nil
}
