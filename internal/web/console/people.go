package console

import (
	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
)

// People on console pages: who recorded, changed or issued something is
// shown by name and role ("林峰玉（包保干部）", "胡埭镇食安办 秦文梅"), and
// where a record came from in words ("微信对话"), never as the stored code
// ("cadre:12", "user:hudai", "chat"). A page looks its actors up once
// (people) and its template names each with `person` (templates/funcs.go).

// people names the actors a page shows, in one read per kind of actor.
func people(e echo.Context, q *query.Reader, actors ...string) (map[string]query.Person, error) {
	return q.People(e.Request().Context(), actors)
}
