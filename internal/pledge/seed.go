package pledge

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// SeedActor signs the demo district's pledges (the audit log names it as
// the demo data).
const SeedActor registry.Actor = "seed:demo"

// SeedTx records, in the caller's transaction, a pledge on the subject's
// current basis confirmed by the typed name, signed at at: the demo
// district's pledges (internal/demo), written inside its seeding
// transaction. A subject already signed is left as it is. Like the rest of
// the demo's history it writes no audit entries: nobody did it.
func (s *Service) SeedTx(tx *gorm.DB, kind Kind, subjectID int64, name string, at time.Time) error {
	_, err := s.signTx(tx, kind, subjectID, Signature{Signer: SeedActor, Name: name, Typed: name}, MethodTyped, "", "", at, false)
	if errs.Is(err, errs.Conflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("seed pledge: %w", err)
	}
	return nil
}
