package registry

import (
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
)

// Subject types of audit entries that lie in the region tree.
const (
	AuditBusiness = "business"
	AuditCadre    = "cadre"
	AuditManager  = "manager"
)

// scopeQueries find the region path of each kind of subject.
var scopeQueries = map[string]string{
	AuditBusiness: "SELECT r.path FROM businesses b JOIN regions r ON r.id = b.region_id WHERE b.id = ?",
	AuditCadre:    "SELECT r.path FROM cadres c JOIN regions r ON r.id = c.region_id WHERE c.id = ?",
	AuditManager: "SELECT r.path FROM managers m JOIN offices o ON o.id = m.office_id JOIN regions r ON r.id = o.region_id " +
		"WHERE m.id = ?",
}

// ScopeOfTx is the region path of a business, cadre or manager (by their
// Audit* kind), "" for another kind or an unknown id: the scope its audit
// entries are shown in.
func ScopeOfTx(tx *gorm.DB, kind string, id int64) (string, error) {
	q, ok := scopeQueries[kind]
	if !ok || id == 0 {
		return "", nil
	}
	var paths []string
	if err := tx.Raw(q, id).Scan(&paths).Error; err != nil {
		return "", fmt.Errorf("audit scope of %s %d: %w", kind, id, err)
	}
	if len(paths) == 0 {
		return "", nil
	}
	return paths[0], nil
}

// actorSubjects are the kinds of actor ("cadre:12") that stand in the
// region tree, with the Audit* kind that finds their region.
var actorSubjects = map[string]string{"cadre": AuditCadre, "manager": AuditManager}

// actorScopeTx is the region path of an actor that stands in the region
// tree (a cadre, a manager), "" for any other.
func actorScopeTx(tx *gorm.DB, actor string) (string, error) {
	kind, id, ok := strings.Cut(actor, ":")
	if !ok || actorSubjects[kind] == "" {
		return "", nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", nil
	}
	return ScopeOfTx(tx, actorSubjects[kind], n)
}

// AuditTx records e in the caller's transaction with the region path of
// its subject (a business's village, a cadre's region) as its scope, so
// the subject's town and district see the entry in their audit log
// whoever made the change. When the actor is a cadre or manager of a
// region outside that subtree (a cadre of one town visiting a business of
// another they were given before the register refused it), the entry is
// also shown in the actor's region. Other subjects are recorded unscoped.
func AuditTx(tx *gorm.DB, e audit.Entry) error {
	if e.ScopePath == "" {
		path, err := ScopeOfTx(tx, e.SubjectType, e.SubjectID)
		if err != nil {
			return err
		}
		e.ScopePath = path
	}
	if e.AlsoScopePath == "" {
		also, err := actorScopeTx(tx, e.Actor)
		if err != nil {
			return err
		}
		if also != "" && (e.ScopePath == "" || !strings.HasPrefix(e.ScopePath, also)) {
			e.AlsoScopePath = also
		}
	}
	return audit.Record(tx, e)
}
