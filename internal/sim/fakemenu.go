package sim

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

// The account's menus as the platform keeps them: a default menu, user
// tags and conditional menus matched by tag (newest first), so each
// persona in the simulator sees the menu its tag gives it.

// Tag and menu limits and answers.
const (
	maxTagName        = 30
	maxTagBatch       = 50
	errTagExists      = 45157
	errTagNameTooLong = 45158
	errBadTag         = 45159
	errNoDefaultMenu  = 65303
	errBadMenuID      = 65301
	errNoMenu         = 46003
	errTooManyOpenIDs = 40032
)

type condMenu struct {
	id    int64
	tagID int64
	body  []byte
}

func (f *FakeAPI) menuCreate(_ *http.Request, body []byte, c *Call) reply {
	if code, ok := checkMenu(body); !ok {
		return errReply(code)
	}
	c.MsgType = "menu"
	f.menu = slices.Clone(body)
	return okReply(nil)
}

// checkMenu applies the platform's size rules: 1–3 buttons, at most 5
// sub-buttons each.
func checkMenu(body []byte) (int, bool) {
	var req struct {
		Button []struct {
			SubButton []json.RawMessage `json:"sub_button"`
		} `json:"button"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return 47001, false
	}
	if len(req.Button) == 0 || len(req.Button) > 3 {
		return 40016, false
	}
	for _, b := range req.Button {
		if len(b.SubButton) > 5 {
			return 40016, false
		}
	}
	return 0, true
}

func (f *FakeAPI) menuAddConditional(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		Button    json.RawMessage `json:"button"`
		MatchRule struct {
			TagID string `json:"tag_id"`
		} `json:"matchrule"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	if f.menu == nil {
		return errReply(errNoDefaultMenu)
	}
	menu, _ := json.Marshal(map[string]json.RawMessage{"button": req.Button})
	if code, ok := checkMenu(menu); !ok {
		return errReply(code)
	}
	tag, err := strconv.ParseInt(req.MatchRule.TagID, 10, 64)
	if _, known := f.tags[tag]; err != nil || !known {
		return errReply(errBadTag)
	}
	f.seq++
	f.condMenus = append(f.condMenus, condMenu{id: f.seq, tagID: tag, body: menu})
	c.MsgType, c.Content = "menu", f.tags[tag]
	return okReply(map[string]any{"menuid": strconv.FormatInt(f.seq, 10)})
}

func (f *FakeAPI) menuDelConditional(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		MenuID string `json:"menuid"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	n := len(f.condMenus)
	f.condMenus = slices.DeleteFunc(f.condMenus, func(m condMenu) bool { return strconv.FormatInt(m.id, 10) == req.MenuID })
	if len(f.condMenus) == n {
		return errReply(errBadMenuID)
	}
	c.MsgType = "menu"
	return okReply(nil)
}

func (f *FakeAPI) menuGet(_ *http.Request, _ []byte, c *Call) reply {
	if f.menu == nil {
		return errReply(errNoMenu)
	}
	c.MsgType = "menu"
	cond := []map[string]any{}
	for _, m := range f.condMenus {
		var b map[string]any
		json.Unmarshal(m.body, &b)
		b["menuid"] = m.id
		b["matchrule"] = map[string]string{"tag_id": strconv.FormatInt(m.tagID, 10)}
		cond = append(cond, b)
	}
	return okReply(map[string]any{"menu": json.RawMessage(f.menu), "conditionalmenu": cond})
}

func (f *FakeAPI) tagsGet(_ *http.Request, _ []byte, _ *Call) reply {
	tags := []map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(f.tags)) {
		count := 0
		for _, ids := range f.userTags {
			if slices.Contains(ids, id) {
				count++
			}
		}
		tags = append(tags, map[string]any{"id": id, "name": f.tags[id], "count": count})
	}
	return jsonReply(0, map[string]any{"tags": tags})
}

func (f *FakeAPI) tagsCreate(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		Tag struct {
			Name string `json:"name"`
		} `json:"tag"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Tag.Name == "" {
		return errReply(47001)
	}
	if len(req.Tag.Name) > maxTagName {
		return errReply(errTagNameTooLong)
	}
	for _, name := range f.tags {
		if name == req.Tag.Name {
			return errReply(errTagExists)
		}
	}
	// The platform keeps ids 0–2 for its own tags.
	id := int64(100 + len(f.tags))
	f.tags[id] = req.Tag.Name
	c.MsgType, c.Content = "tag", req.Tag.Name
	return jsonReply(0, map[string]any{"tag": map[string]any{"id": id, "name": req.Tag.Name}})
}

func tagsTagging(untag bool) func(f *FakeAPI, r *http.Request, body []byte, c *Call) reply {
	return func(f *FakeAPI, _ *http.Request, body []byte, c *Call) reply {
		var req struct {
			OpenIDs []string `json:"openid_list"`
			TagID   int64    `json:"tagid"`
		}
		if err := json.Unmarshal(body, &req); err != nil || len(req.OpenIDs) == 0 {
			return errReply(47001)
		}
		if len(req.OpenIDs) > maxTagBatch {
			return errReply(errTooManyOpenIDs)
		}
		if _, ok := f.tags[req.TagID]; !ok {
			return errReply(errBadTag)
		}
		for _, u := range req.OpenIDs {
			have := slices.DeleteFunc(slices.Clone(f.userTags[u]), func(id int64) bool { return id == req.TagID })
			if !untag {
				have = append(have, req.TagID)
			}
			f.userTags[u] = have
		}
		c.MsgType, c.Content = "tag", f.tags[req.TagID]
		if len(req.OpenIDs) == 1 {
			c.ToUser = req.OpenIDs[0]
		}
		return okReply(nil)
	}
}

func (f *FakeAPI) tagsOfUser(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		OpenID string `json:"openid"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.OpenID == "" {
		return errReply(40003)
	}
	c.ToUser = req.OpenID
	ids := slices.Clone(f.userTags[req.OpenID])
	if ids == nil {
		ids = []int64{}
	}
	return jsonReply(0, map[string]any{"tagid_list": ids})
}

// MenuFor returns the menu openid sees: the newest conditional menu whose
// tag the user carries, else the default menu; nil when there is none.
func (f *FakeAPI) MenuFor(openid string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.condMenus) - 1; i >= 0; i-- {
		if slices.Contains(f.userTags[openid], f.condMenus[i].tagID) {
			return slices.Clone(f.condMenus[i].body)
		}
	}
	return slices.Clone(f.menu)
}

// UserTags returns the names of the tags openid carries, sorted.
func (f *FakeAPI) UserTags(openid string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range f.userTags[openid] {
		out = append(out, f.tags[id])
	}
	slices.Sort(out)
	return out
}
