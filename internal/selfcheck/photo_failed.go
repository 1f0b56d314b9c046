package selfcheck

import (
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/supervision"
)

// photoFailedTx tells the contact who recorded a self-check that one of
// its photos could not be fetched after every retry, as supervision does
// for visits: through the outbox, inside the transaction that marks the
// photo failed. An outbox that cannot enqueue inside a transaction leaves
// the photo marked failed only.
func (s *Service) photoFailedTx(tx *gorm.DB, id int64) error {
	out, ok := s.d.Outbox.(supervision.PhotoNotifier)
	if !ok {
		return nil
	}
	var row struct {
		ContactID int64
		Kind      string
		N         int
		Business  string
	}
	err := tx.Raw(`
SELECT r.contact_id, r.kind, COALESCE(b.name, '') AS business,
 (SELECT COUNT(*) FROM selfcheck_photos q WHERE q.revision_id = p.revision_id
   AND (q.received_at < p.received_at OR (q.received_at = p.received_at AND q.id <= p.id))) AS n
FROM selfcheck_photos p
JOIN selfcheck_revisions r ON r.id = p.revision_id
LEFT JOIN businesses b ON b.id = p.business_id
WHERE p.id = ?`, id).Scan(&row).Error
	if err != nil {
		return fmt.Errorf("failed self-check photo %d: %w", id, err)
	}
	if row.ContactID <= 0 {
		return nil
	}
	n := max(row.N, 1)
	_, err = out.EnqueueTx(tx, notify.Message{
		Kind: supervision.KindPhotoFailed, To: notify.Recipient{Kind: notify.ToContact, ID: row.ContactID}, Channel: notify.ChannelCustom,
		Subject: "selfcheck-photo:" + strconv.FormatInt(id, 10), Title: fmt.Sprintf(msgPhotoFailedTitle, n),
		Text:   fmt.Sprintf(msgPhotoFailed, row.Business, Kind(row.Kind).Label(), n),
		Fields: map[string]string{"business": row.Business, "what": Kind(row.Kind).Label(), "n": strconv.Itoa(n)},
	})
	return err
}
