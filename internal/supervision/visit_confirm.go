package supervision

import (
	"strconv"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/notify"
)

// KindVisitConfirmed is the outbox kind of the confirmation a cadre is
// pushed for a report stored outside the chat (the H5 form): the chat
// answers its own reports, the page's need saying there too.
const KindVisitConfirmed = "visit.confirmed"

// confirmTx queues in's confirmation of v, to v's cadre, inside tx: the
// visit is stored with its confirmation or not at all, and the subject
// (the visit) keeps a repeated submission from queuing it twice.
func (s *Service) confirmTx(tx *gorm.DB, in VisitInput, v *Visit) error {
	if in.Confirm == nil || s.photoNotices == nil {
		return nil
	}
	m := in.Confirm(v)
	m.Kind = KindVisitConfirmed
	m.To = notify.Recipient{Kind: notify.ToCadre, ID: v.CadreID}
	m.Subject = "visit:" + strconv.FormatInt(v.ID, 10)
	if m.Channel == "" {
		m.Channel = notify.ChannelCustom
	}
	// The cadre has just submitted it: it goes at once, quiet hours or not.
	m.Urgent = true
	_, err := s.photoNotices.EnqueueTx(tx, m)
	return err
}
