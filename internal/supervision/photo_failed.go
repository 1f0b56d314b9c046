package supervision

import (
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/notify"
)

// A photo the cadre was told had arrived (已收到第1张照片) but that could
// not be fetched after every retry is not dropped in silence: the sender
// is told which one to send again, through the outbox, in the transaction
// that marks it failed — so the notice also shows in the console's
// notifications (and, when it cannot be delivered, among the unreachable).

// PhotoNotifier queues the notice of a failed photo; notify.Service is one.
type PhotoNotifier interface {
	EnqueueTx(tx *gorm.DB, msgs ...notify.Message) (int, error)
}

// NotifyFailedPhotosWith makes FetchPhotos tell each failed photo's
// sender. Without it a failed photo is only marked failed.
func (s *Service) NotifyFailedPhotosWith(n PhotoNotifier) { s.photoNotices = n }

// KindPhotoFailed is the outbox kind of a failed photo's notice.
const KindPhotoFailed = "photo.failed"

// photoFailedTx queues the notice of photo id to its sender inside tx.
// A photo of a visit (or of a finding) was sent by the visit's cadre; a
// photo of a rectification step by the step's actor (a cadre or a
// business contact). Anyone else (a console upload) gets no notice.
func (s *Service) photoFailedTx(tx *gorm.DB, id int64) error {
	var row struct {
		VisitID, EventID *int64
		N                int
		CadreID          int64
		Actor            string
		Business         string
	}
	// N is the photo's place among the pictures of its visit or step, in
	// the order they arrived, as the chat counted them.
	err := tx.Raw(`
SELECT p.visit_id, p.rectification_event_id AS event_id,
 (SELECT COUNT(*) FROM photos q WHERE (q.visit_id = p.visit_id OR q.rectification_event_id = p.rectification_event_id)
   AND (q.received_at < p.received_at OR (q.received_at = p.received_at AND q.id <= p.id))) AS n,
 COALESCE(v.cadre_id, 0) AS cadre_id, COALESCE(e.actor, '') AS actor, COALESCE(b.name, '') AS business
FROM photos p
LEFT JOIN visits v ON v.id = p.visit_id
LEFT JOIN rectification_events e ON e.id = p.rectification_event_id
LEFT JOIN rectifications r ON r.id = e.rectification_id
LEFT JOIN businesses b ON b.id = COALESCE(v.business_id, r.business_id)
WHERE p.id = ?`, id).Scan(&row).Error
	if err != nil {
		return fmt.Errorf("failed photo %d: %w", id, err)
	}
	to := notify.Recipient{Kind: notify.ToCadre, ID: row.CadreID}
	what := msgPhotoOfVisit
	if row.VisitID == nil {
		kind, rest, _ := strings.Cut(row.Actor, ":")
		pid, _ := strconv.ParseInt(rest, 10, 64)
		switch notify.RecipientKind(kind) {
		case notify.ToCadre, notify.ToContact:
			to = notify.Recipient{Kind: notify.RecipientKind(kind), ID: pid}
		default:
			return nil
		}
		what = msgPhotoOfRectification
	}
	if to.ID <= 0 || s.photoNotices == nil {
		return nil
	}
	text := fmt.Sprintf(msgPhotoFailed, row.Business, what, max(row.N, 1))
	_, err = s.photoNotices.EnqueueTx(tx, notify.Message{
		Kind: KindPhotoFailed, To: to, Channel: notify.ChannelCustom, Subject: "photo:" + strconv.FormatInt(id, 10),
		Title: fmt.Sprintf(msgPhotoFailedTitle, max(row.N, 1)), Text: text,
		Fields: map[string]string{"business": row.Business, "what": what, "n": strconv.Itoa(max(row.N, 1)),
			"time": s.now().In(clock.China).Format("1月2日 15:04")},
	})
	return err
}
