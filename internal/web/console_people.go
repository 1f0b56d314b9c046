package web

import (
	"fmt"
	"html/template"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
)

// People on console pages: who recorded, changed or issued something is
// shown by name and role ("林峰玉（包保干部）", "胡埭镇食安办 秦文梅"), and
// where a record came from in words ("微信对话"), never as the stored code
// ("cadre:12", "user:hudai", "chat"). A page looks its actors up once
// (Console.people) and its template names each with `person`.

// people names the actors a page shows, in one read per kind of actor.
func (c *Console) people(e echo.Context, actors ...string) (map[string]query.Person, error) {
	return c.Query.People(e.Request().Context(), actors)
}

var consolePeopleFuncs = template.FuncMap{
	// person is the actor's name and role from the page's People map.
	"person": func(people map[string]query.Person, actor any) string {
		a := fmt.Sprint(actor)
		if a == "" {
			return ""
		}
		if p, ok := people[a]; ok {
			return p.Label()
		}
		return msgSomeone
	},
	// source is where a record came from, in words.
	"source": func(source any) string { return query.SourceLabel(fmt.Sprint(source)) },
}

const msgSomeone = "（未知）"
