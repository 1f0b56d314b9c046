package query

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/db"
)

// Person is who did something, as people read it: a name ("秦文梅",
// "胡埭镇食安办 秦文梅", "微信用户") and the role it acted in ("包保干部",
// "主体联系人 · 张记面馆"), never the stored code ("cadre:12", "user:hudai").
type Person struct {
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
}

// Label is the person with their role: "林峰玉（包保干部）", or the name
// alone when the name already says it.
func (p Person) Label() string {
	if p.Role == "" {
		return p.Name
	}
	return p.Name + "（" + p.Role + "）"
}

// String is Label.
func (p Person) String() string { return p.Label() }

// People names the actors as they are stored in histories and the audit
// log ("cadre:12", "contact:3", "manager:2", "office:1", "user:hudai",
// "openid:3f2a…", "cli:…", "import", "seed"). Every actor gets a Person,
// including one no longer in the register (its role alone). One query per
// kind of actor, whatever the number of actors.
func (r *Reader) People(ctx context.Context, actors []string) (map[string]Person, error) {
	out := make(map[string]Person, len(actors))
	ids := map[string][]int64{}
	var usernames []string
	for _, a := range actors {
		if _, done := out[a]; done {
			continue
		}
		kind, rest, _ := strings.Cut(a, ":")
		out[a] = fixedPerson(kind, rest)
		switch kind {
		case "cadre", "contact", "manager", "office":
			if id, err := strconv.ParseInt(rest, 10, 64); err == nil && id > 0 {
				ids[kind] = append(ids[kind], id)
			}
		case "user":
			usernames = append(usernames, rest)
		}
	}
	g := r.db.Gorm(ctx)
	type named struct {
		ID         int64
		Name, Post string
		Place      string
	}
	lookups := []struct {
		kind, sql string
		person    func(n named) Person
	}{
		{"cadre", `SELECT c.id, c.name, c.post, r.name AS place FROM cadres c LEFT JOIN regions r ON r.id = c.region_id WHERE c.id IN ?`,
			func(n named) Person { return Person{Name: n.Name, Role: msgRoleCadre} }},
		{"manager", `SELECT m.id, m.name, m.post, o.name AS place FROM managers m LEFT JOIN offices o ON o.id = m.office_id WHERE m.id IN ?`,
			func(n named) Person { return Person{Name: n.Name, Role: strings.TrimSpace(n.Place + " " + n.Post)} }},
		{"contact", `SELECT c.id, c.name, c.role AS post, b.name AS place FROM contacts c LEFT JOIN businesses b ON b.id = c.business_id WHERE c.id IN ?`,
			func(n named) Person { return Person{Name: n.Name, Role: contactRoleLabel(n.Post) + " · " + n.Place} }},
		{"office", `SELECT o.id, o.name FROM offices o WHERE o.id IN ?`,
			func(n named) Person { return Person{Name: n.Name} }},
	}
	for _, l := range lookups {
		if len(ids[l.kind]) == 0 {
			continue
		}
		var rows []named
		if err := g.Raw(l.sql, ids[l.kind]).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("people (%s): %w", l.kind, db.Translate(err))
		}
		for _, n := range rows {
			out[l.kind+":"+strconv.FormatInt(n.ID, 10)] = l.person(n)
		}
	}
	if len(usernames) > 0 {
		var rows []struct {
			Username, Name, Role string
			Place                string
		}
		if err := g.Raw(`SELECT u.username, u.name, u.role, r.name AS place FROM console_users u
LEFT JOIN regions r ON r.id = u.region_id WHERE u.username IN ?`, usernames).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("people (console users): %w", db.Translate(err))
		}
		for _, u := range rows {
			out["user:"+u.Username] = consoleUserPerson(u.Name, u.Role, u.Place)
		}
	}
	return out, nil
}

// Person names one actor (see People).
func (r *Reader) Person(ctx context.Context, actor string) (Person, error) {
	m, err := r.People(ctx, []string{actor})
	if err != nil {
		return Person{}, err
	}
	return m[actor], nil
}

// consoleUserPerson names a console user by office: "胡埭镇食安办 秦文梅".
func consoleUserPerson(name, role, place string) Person {
	switch {
	case role == "admin":
		return Person{Name: name, Role: msgRoleAdmin}
	case place == "":
		return Person{Name: name, Role: msgRoleConsole}
	case role == "viewer":
		return Person{Name: place + msgOfficeSuffix + " " + name, Role: msgRoleViewer}
	}
	return Person{Name: place + msgOfficeSuffix + " " + name}
}

// fixedPerson is what an actor is called before (or without) looking it
// up: its role, or a fixed name for the service's own work.
func fixedPerson(kind, rest string) Person {
	switch kind {
	case "cadre":
		return Person{Name: msgRoleCadre}
	case "contact":
		return Person{Name: msgRoleContact}
	case "manager":
		return Person{Name: msgRoleManager}
	case "office":
		return Person{Name: msgRoleOffice}
	case "user":
		return Person{Name: msgRoleConsole}
	case "openid", "wecom":
		return Person{Name: msgWeChatUser}
	case "cli":
		return Person{Name: msgCLI}
	case "import":
		return Person{Name: msgImport}
	case "seed":
		return Person{Name: msgSeed}
	}
	return Person{Name: msgSystem}
}

// contactRoleLabel is the Chinese name of a business contact's role
// (account.ContactRole, which the read side does not import).
func contactRoleLabel(role string) string {
	if l, ok := map[string]string{"principal": "主要负责人", "director": "食品安全总监", "officer": "食品安全员", "other": "其他联系人"}[role]; ok {
		return l
	}
	return msgRoleContact
}

// SourceLabel is where a record came from, as people say it: "微信对话"
// for "chat", "管理后台" for "console", "批量导入", "演示数据".
func SourceLabel(source string) string {
	if l, ok := map[string]string{"chat": msgSourceChat, "console": msgSourceConsole, "import": msgImport, "seed": msgSeed}[source]; ok {
		return l
	}
	if source == "" {
		return ""
	}
	return msgSystem
}
