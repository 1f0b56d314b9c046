package registry

import (
	"fmt"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
)

// Subject types of audit entries that lie in the region tree.
const (
	AuditBusiness = "business"
	AuditCadre    = "cadre"
)

// AuditTx records e in the caller's transaction with the region path of
// its subject (a business's village, a cadre's region) as its scope, so
// the subject's town and district see the entry in their audit log
// whoever made the change. Other subjects are recorded unscoped.
func AuditTx(tx *gorm.DB, e audit.Entry) error {
	if e.ScopePath == "" && e.SubjectID != 0 {
		var q string
		switch e.SubjectType {
		case AuditBusiness:
			q = "SELECT r.path FROM businesses b JOIN regions r ON r.id = b.region_id WHERE b.id = ?"
		case AuditCadre:
			q = "SELECT r.path FROM cadres c JOIN regions r ON r.id = c.region_id WHERE c.id = ?"
		}
		if q != "" {
			var paths []string
			if err := tx.Raw(q, e.SubjectID).Scan(&paths).Error; err != nil {
				return fmt.Errorf("audit scope of %s %d: %w", e.SubjectType, e.SubjectID, err)
			}
			if len(paths) > 0 {
				e.ScopePath = paths[0]
			}
		}
	}
	return audit.Record(tx, e)
}
