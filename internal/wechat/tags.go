package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/silenceper/wechat/v2/util"
)

// Menus by role: each role's menu is a conditional menu matched by a user
// tag (标签), and a user without one of those tags sees the default menu.
// Tag ids are the platform's; the client finds them by name and creates
// the ones missing.

// Tag error codes.
const (
	CodeTagNameExists = 45157 // a tag of that name exists already
	maxTagName        = 30    // bytes the platform allows in a tag name
)

// tagCache remembers the account's tag ids by name.
type tagCache struct {
	mu  sync.Mutex
	ids map[string]int64
}

func (c *tagCache) get(names []string) (map[string]int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(names))
	for _, n := range names {
		id, ok := c.ids[n]
		if !ok {
			return nil, false
		}
		out[n] = id
	}
	return out, true
}

func (c *tagCache) set(ids map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids = ids
}

// Tags returns the account's tags, name → id.
func (c *Client) Tags(ctx context.Context) (map[string]int64, error) {
	const op = "tags get"
	var res struct {
		Tags []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"tags"`
	}
	err := c.withToken(ctx, op, func(ctx context.Context, token string) error {
		resp, err := util.HTTPGetContext(ctx, apiURL("/cgi-bin/tags/get", token))
		if err != nil {
			return err
		}
		return decode(resp, op, &res)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(res.Tags))
	for _, t := range res.Tags {
		out[t.Name] = t.ID
	}
	c.tags.set(out)
	return out, nil
}

// EnsureTags returns the ids of the named tags, creating those the account
// lacks (another instance creating one at the same time is no error).
func (c *Client) EnsureTags(ctx context.Context, names []string) (map[string]int64, error) {
	if ids, ok := c.tags.get(names); ok {
		return ids, nil
	}
	have, err := c.Tags(ctx)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, ok := have[name]; ok {
			continue
		}
		if name == "" || len(name) > maxTagName {
			return nil, invalid("tags create", fmt.Sprintf("tag name %q must be 1 to %d bytes", name, maxTagName))
		}
		var res struct {
			Tag struct {
				ID int64 `json:"id"`
			} `json:"tag"`
		}
		err := c.postJSON(ctx, "tags create", "/cgi-bin/tags/create", map[string]any{"tag": map[string]string{"name": name}}, &res)
		var e *Error
		switch {
		case errors.As(err, &e) && e.Code == CodeTagNameExists:
			if have, err = c.Tags(ctx); err != nil {
				return nil, err
			}
		case err != nil:
			return nil, err
		default:
			have[name] = res.Tag.ID
		}
	}
	ids, ok := make(map[string]int64, len(names)), true
	for _, n := range names {
		ids[n], ok = have[n]
		if !ok {
			return nil, &Error{Op: "tags create", Msg: "tag " + strconv.Quote(n) + " missing after creation"}
		}
	}
	c.tags.set(have)
	return ids, nil
}

// UserTags returns the ids of the tags the user carries.
func (c *Client) UserTags(ctx context.Context, openid string) ([]int64, error) {
	var res struct {
		IDs []int64 `json:"tagid_list"`
	}
	err := c.postJSON(ctx, "tags getidlist", "/cgi-bin/tags/getidlist", map[string]string{"openid": openid}, &res)
	return res.IDs, err
}

// TagUsers puts the tag on the users (at most 50 a call, as the platform
// allows); untag takes it off instead.
func (c *Client) TagUsers(ctx context.Context, tagID int64, openids []string, untag bool) error {
	op, path := "tags batchtagging", "/cgi-bin/tags/members/batchtagging"
	if untag {
		op, path = "tags batchuntagging", "/cgi-bin/tags/members/batchuntagging"
	}
	for chunk := range slices.Chunk(openids, 50) {
		if err := c.postJSON(ctx, op, path, map[string]any{"openid_list": chunk, "tagid": tagID}, nil); err != nil {
			return err
		}
	}
	return nil
}

// MoveTag makes the user carry the tag want (none when "") and none of
// the other tags in ours: the one way a user's menu changes. Each step is
// idempotent, so a move cut short and run again ends the same.
func (c *Client) MoveTag(ctx context.Context, openid, want string, ours []string) error {
	if openid == "" {
		return invalid("tags move", "openid is required")
	}
	ids, err := c.EnsureTags(ctx, ours)
	if err != nil {
		return err
	}
	have, err := c.UserTags(ctx, openid)
	if err != nil {
		return err
	}
	for _, name := range ours {
		id := ids[name]
		switch on := slices.Contains(have, id); {
		case name == want && !on:
			err = c.TagUsers(ctx, id, []string{openid}, false)
		case name != want && on:
			err = c.TagUsers(ctx, id, []string{openid}, true)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// TaggedMenu is the menu users with Tag see ({"button": [...]}).
type TaggedMenu struct {
	Tag  string
	Menu json.RawMessage
}

// PushMenus makes def the default menu and gives each tag its menu, then
// removes the conditional menus pushed before. The platform matches the
// newest conditional menu first, so users never see no menu in between.
func (c *Client) PushMenus(ctx context.Context, def json.RawMessage, tagged []TaggedMenu) error {
	for _, m := range tagged {
		if err := ValidateMenu(m.Menu); err != nil {
			return fmt.Errorf("menu of %s: %w", m.Tag, err)
		}
	}
	if err := c.SetMenu(ctx, def); err != nil {
		return err
	}
	names := make([]string, len(tagged))
	for i, m := range tagged {
		names[i] = m.Tag
	}
	ids, err := c.EnsureTags(ctx, names)
	if err != nil {
		return err
	}
	old, err := c.conditionalMenus(ctx)
	if err != nil {
		return err
	}
	for _, m := range tagged {
		var body map[string]any
		if err := json.Unmarshal(m.Menu, &body); err != nil {
			return invalid("menu addconditional", "menu is not valid JSON")
		}
		body["matchrule"] = map[string]string{"tag_id": strconv.FormatInt(ids[m.Tag], 10)}
		if err := c.postJSON(ctx, "menu addconditional", "/cgi-bin/menu/addconditional", body, nil); err != nil {
			return err
		}
	}
	for _, id := range old {
		if err := c.postJSON(ctx, "menu delconditional", "/cgi-bin/menu/delconditional", map[string]string{"menuid": id}, nil); err != nil {
			return err
		}
	}
	return nil
}

// conditionalMenus lists the ids of the account's conditional menus.
func (c *Client) conditionalMenus(ctx context.Context) ([]string, error) {
	const op = "menu get"
	var res struct {
		Conditional []struct {
			MenuID json.Number `json:"menuid"`
		} `json:"conditionalmenu"`
	}
	err := c.withToken(ctx, op, func(ctx context.Context, token string) error {
		resp, err := util.HTTPGetContext(ctx, apiURL("/cgi-bin/menu/get", token))
		if err != nil {
			return err
		}
		return decode(resp, op, &res)
	})
	var e *Error
	if errors.As(err, &e) && e.Code == codeMenuNotExist {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, len(res.Conditional))
	for i, m := range res.Conditional {
		out[i] = m.MenuID.String()
	}
	return out, nil
}

// codeMenuNotExist is menu/get's answer for an account with no menu.
const codeMenuNotExist = 46003
