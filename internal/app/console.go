package app

import (
	"context"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/account"
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
	// start.
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
			_, err := a.Accounts.CreateUser(ctx, in)
			errc <- err
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
