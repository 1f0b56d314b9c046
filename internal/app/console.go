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
	"github.com/shianbao/shianbao/internal/web/api"
	"github.com/shianbao/shianbao/internal/web/console"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// DemoPassword is the console password of the demo users the embedded
// default creates. It only exists where the simulator is on.
const DemoPassword = "shianbao-demo"

// mountConsole adds the managers' console and the JSON API.
func (a *App) mountConsole() error {
	sessions := &web.Sessions{KV: a.KV, TTL: 12 * time.Hour}
	q := a.Query
	lists := &listing.Lists{Registry: a.Registry, Supervision: a.Supervision, Query: q, KV: a.KV, Clock: a.Clock, Log: a.Log}
	a.SignIn = &console.SignIn{Accounts: a.Accounts, Sessions: sessions, KV: a.KV, Clock: a.Clock,
		SecureCookies: strings.HasPrefix(a.Config.HTTP.BaseURL, "https://")}
	a.dashboard = &console.Dashboard{Lists: lists, Registry: a.Registry, Supervision: a.Supervision, Query: q, KV: a.KV, Letters: a.Letters, Notify: a.Notify}
	err := console.Mount(a.Web, a.SignIn, a.Log, a.dashboard,
		&console.Businesses{Lists: lists, Query: q, Registry: a.Registry, Supervision: a.Supervision, Accounts: a.Accounts, Letters: a.Letters, Cards: a.Cards, Pledges: a.Pledges},
		&console.Cadres{Lists: lists, Query: q, Registry: a.Registry, Supervision: a.Supervision, Accounts: a.Accounts, Cards: a.Cards, Pledges: a.Pledges},
		&console.Visits{Lists: lists, Query: q, Supervision: a.Supervision, Letters: a.Letters, Media: a.Media},
		&console.Review{Lists: lists, Query: q, Registry: a.Registry, Supervision: a.Supervision, Review: a.Review},
		&console.Rectifications{Query: q, Supervision: a.Supervision},
		&console.Rectification{Query: q, Supervision: a.Supervision},
		&console.Progress{Lists: lists, Query: q, Registry: a.Registry, Supervision: a.Supervision},
		&console.Relocations{Query: q, Registry: a.Registry, Supervision: a.Supervision, Cards: a.Cards},
		&console.Letters{Query: q, Letters: a.Letters, Accounts: a.Accounts},
		&console.Notifications{Query: q, Notify: a.Notify},
		&console.Codes{Accounts: a.Accounts, Query: q, Registry: a.Registry},
		&console.Audit{Query: q, Registry: a.Registry},
		&console.Import{Registry: a.Registry, KV: a.KV},
		&console.SelfCheck{SelfCheck: a.SelfCheck},
		&console.Meetings{Meetings: a.Meetings, Query: q, Registry: a.Registry, Supervision: a.Supervision},
		&console.Tokens{Accounts: a.Accounts},
		&console.Incidents{Query: q, Incidents: a.Incidents, Media: a.Media},
		&console.Pledges{Query: q, Pledges: a.Pledges, Registry: a.Registry},
	)
	if err != nil {
		return err
	}
	api.Mount(a.Web, &api.Auth{Accounts: a.Accounts, Sessions: sessions, Clock: a.Clock},
		&api.Businesses{Lists: lists, Registry: a.Registry, Supervision: a.Supervision},
		&api.Cadres{Lists: lists, Registry: a.Registry},
		&api.Visits{Lists: lists, Query: q, Supervision: a.Supervision, Review: a.Review},
		&api.Rectifications{Query: q, Supervision: a.Supervision},
		&api.Progress{Lists: lists, Registry: a.Registry},
		&api.Notifications{Query: q, Notify: a.Notify},
		&api.Letters{Query: q, Letters: a.Letters},
		&api.Incidents{Query: q, Incidents: a.Incidents, Clock: a.Clock},
		&api.Pledges{Query: q, Pledges: a.Pledges, Registry: a.Registry},
		&api.Meetings{Query: q, Meetings: a.Meetings, Clock: a.Clock},
	)
	return nil
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
