package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/wechat"
)

// Menus are the Official Account's menus: the default one strangers see,
// and one per role, shown to users tagged with the role's name (a
// conditional menu). A user with several roles sees the first of cadre,
// manager, contact.
type Menus struct {
	Default json.RawMessage
	Roles   []RoleMenu
}

// RoleMenu is the menu of one role.
type RoleMenu struct {
	Role account.Role
	Menu json.RawMessage
}

// menuRoles are the roles with a menu of their own, in the order they are pushed.
var menuRoles = []account.Role{account.RoleCadre, account.RoleManager, account.RoleContact}

// roleTag is the user tag that shows a role its menu: the role's name.
func roleTag(r account.Role) string { return r.Label() }

func roleTags() []string {
	out := make([]string, len(menuRoles))
	for i, r := range menuRoles {
		out[i] = roleTag(r)
	}
	return out
}

// LoadMenus reads and checks the menus: file, or configs/menu.json in the
// working directory, or the embedded one. The file holds {"default": menu,
// "roles": {"cadre": menu, "manager": menu, "contact": menu}}; a file with
// a single menu ({"button": [...]}) is taken as the default, for everyone.
// Push them with Services.PushMenus.
func LoadMenus(file string) (Menus, error) {
	var data []byte
	var err error
	if file != "" {
		data, err = os.ReadFile(file)
	} else if data, err = os.ReadFile("configs/menu.json"); err != nil {
		data, err = configs.FS.ReadFile("menu.json")
	}
	if err != nil {
		return Menus{}, err
	}
	var f struct {
		Button  json.RawMessage            `json:"button"`
		Default json.RawMessage            `json:"default"`
		Roles   map[string]json.RawMessage `json:"roles"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return Menus{}, fmt.Errorf("菜单文件不是有效的 JSON：%w", err)
	}
	if f.Button != nil {
		return Menus{Default: data}, wechat.ValidateMenu(data)
	}
	if f.Default == nil {
		return Menus{}, errors.New(`菜单文件缺少 "default"（未绑定用户看到的菜单）`)
	}
	m := Menus{Default: compact(f.Default)}
	if err := wechat.ValidateMenu(m.Default); err != nil {
		return Menus{}, fmt.Errorf("默认菜单：%w", err)
	}
	for name := range f.Roles {
		if r, err := account.ParseRole(name); err != nil || string(r) != name {
			return Menus{}, fmt.Errorf("菜单文件的 roles 里有未知角色 %q（应为 cadre、manager、contact）", name)
		}
	}
	for _, r := range menuRoles {
		menu, ok := f.Roles[string(r)]
		if !ok {
			continue
		}
		if err := wechat.ValidateMenu(menu); err != nil {
			return Menus{}, fmt.Errorf("%s菜单：%w", r.Label(), err)
		}
		m.Roles = append(m.Roles, RoleMenu{Role: r, Menu: compact(menu)})
	}
	return m, nil
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// Describe says in a line what the menus are.
func (m Menus) Describe() string {
	names := []string{"默认菜单（未绑定用户）"}
	for _, r := range m.Roles {
		names = append(names, r.Role.Label()+"菜单")
	}
	return strings.Join(names, "、")
}

// PushMenus pushes the menus to the platform (the roles' menus as
// conditional menus on their tags) and marks every bound user for a tag
// sync, which the running service's background work carries out. It
// returns how many users were marked.
func (s *Services) PushMenus(ctx context.Context, m Menus) (int, error) {
	tagged := make([]wechat.TaggedMenu, len(m.Roles))
	for i, r := range m.Roles {
		tagged[i] = wechat.TaggedMenu{Tag: roleTag(r.Role), Menu: r.Menu}
	}
	if err := s.WeChat.PushMenus(ctx, m.Default, tagged); err != nil {
		return 0, err
	}
	return s.Accounts.ResyncMenuTags(ctx)
}

// SyncMenuTags moves the tags of up to limit users whose bindings changed,
// so each sees their role's menu; a failed move is retried later with a
// growing wait. It returns how many moves were tried.
func (s *Services) SyncMenuTags(ctx context.Context, limit int) (int, error) {
	due, err := s.Accounts.ClaimTagSyncs(ctx, limit)
	if err != nil {
		return 0, err
	}
	tags := roleTags()
	for _, ts := range due {
		want := ""
		if ts.Role != "" {
			want = roleTag(ts.Role)
		}
		moveErr := s.WeChat.MoveTag(ctx, ts.OpenID, want, tags)
		if e, ok := wechat.AsError(moveErr); ok && e.Unreachable() {
			// Not following (any more): nothing to move; a user who
			// follows again and binds is marked anew.
			moveErr = nil
		}
		if moveErr != nil {
			s.Log.Warn("menu tag not moved", "err", moveErr.Error())
		}
		if err := s.Accounts.TagSynced(ctx, ts, moveErr); err != nil {
			return len(due), err
		}
	}
	return len(due), nil
}
