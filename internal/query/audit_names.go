package query

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/db"
)

// The audit log's filters take names, as people know them: whoever acted
// ("秦文梅") and the business it was about ("华记饺子馆"), each matched in
// part, within the user's region subtree.

// maxNamed bounds how many people or businesses a name filter matches.
const maxNamed = 500

// ActorsNamed returns the actor codes of the people of the subtree
// scopePath ("" is everywhere) whose name contains name: cadres, office
// staff, business contacts and console users. An empty, non-nil list when
// nobody matches.
func (r *Reader) ActorsNamed(ctx context.Context, name, scopePath string) ([]string, error) {
	name = strings.TrimSpace(name)
	like := "%" + escapeLike(name) + "%"
	in, under := subtree("r.path"), subtreeArg(scopePath)
	g := r.db.Gorm(ctx)
	out := []string{}
	for _, l := range []struct{ kind, sql string }{
		{"cadre", `SELECT c.id FROM cadres c JOIN regions r ON r.id = c.region_id WHERE c.name LIKE ?` + likeEscape + ` AND ` + in},
		{"manager", `SELECT m.id FROM managers m JOIN offices o ON o.id = m.office_id JOIN regions r ON r.id = o.region_id WHERE m.name LIKE ?` + likeEscape + ` AND ` + in},
		{"contact", `SELECT c.id FROM contacts c JOIN businesses b ON b.id = c.business_id JOIN regions r ON r.id = b.region_id WHERE c.name LIKE ?` + likeEscape + ` AND ` + in},
	} {
		var ids []int64
		if err := g.Raw(l.sql+" LIMIT ?", like, under, maxNamed).Scan(&ids).Error; err != nil {
			return nil, fmt.Errorf("people named: %w", db.Translate(err))
		}
		for _, id := range ids {
			out = append(out, l.kind+":"+strconv.FormatInt(id, 10))
		}
	}
	q := g.Table("console_users u").Joins("LEFT JOIN regions r ON r.id = u.region_id").Where("(u.name LIKE ?"+likeEscape+" OR u.username = ?)", like, name)
	if scopePath != "" {
		q = q.Where(in, under)
	}
	var users []string
	if err := q.Limit(maxNamed).Pluck("u.username", &users).Error; err != nil {
		return nil, fmt.Errorf("people named: %w", db.Translate(err))
	}
	for _, u := range users {
		out = append(out, "user:"+u)
	}
	return out, nil
}

// BusinessesNamed returns the ids of the businesses of the subtree whose
// name contains name; an empty, non-nil list when none does.
func (r *Reader) BusinessesNamed(ctx context.Context, name, scopePath string) ([]int64, error) {
	ids := []int64{}
	err := r.db.Gorm(ctx).Raw(`SELECT b.id FROM businesses b JOIN regions r ON r.id = b.region_id WHERE b.name LIKE ?`+likeEscape+` AND `+
		subtree("r.path")+` LIMIT ?`, "%"+escapeLike(strings.TrimSpace(name))+"%", subtreeArg(scopePath), maxNamed).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("businesses named: %w", db.Translate(err))
	}
	return ids, nil
}

// escapeLike makes s match itself in a LIKE pattern written with
// likeEscape: "!" escapes the same on both engines, where a backslash
// would need quoting differently.
func escapeLike(s string) string {
	return strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`).Replace(s)
}

const likeEscape = ` ESCAPE '!'`
