package letter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// MaxReceiptPhotos is how many photos a receipt may carry.
const MaxReceiptPhotos = 9

// Receipt is a business's acknowledgement (回执) of a letter.
type Receipt struct {
	// ContactID is the bound contact acknowledging.
	ContactID int64
	// IdentityID is the bound WeChat identity it came from; 0 takes the
	// contact's first active identity.
	IdentityID int64
	// Feedback is optional rectification feedback (整改反馈).
	Feedback string
	// Photos are pictures sent in chat (fetched later); Uploads are
	// pictures already stored (uploaded on the H5 page).
	Photos  []supervision.PhotoInput
	Uploads []media.Object
}

// Photo is a picture attached to a receipt. Key is set for a stored
// upload; MediaID for a picture sent in chat.
type Photo struct {
	ID          int64
	LetterID    int64
	MediaKey    string
	MediaID     string
	ContentType string
	Size        int64
	CreatedAt   time.Time
}

// TableName names the receipt photos' table.
func (Photo) TableName() string { return "letter_photos" }

// Acknowledge records a bound contact's receipt with optional feedback
// and photos sent in chat. See Receive.
func (s *Service) Acknowledge(ctx context.Context, letterID, contactID int64, feedback string, photos []supervision.PhotoInput) error {
	return s.Receive(ctx, letterID, Receipt{ContactID: contactID, Feedback: feedback, Photos: photos})
}

// Receive records a receipt, once: the letter becomes acknowledged, the
// feedback and photos go to the letter's open rectifications as
// "feedback" events, and the cadre is told — all in one transaction.
//
// A second receipt is Conflict (the message says when it was
// acknowledged) and changes nothing, also when two race. Forbidden when
// the contact is not the business's, or has no bound identity (or the
// given identity is not theirs); Invalid for feedback over 500 characters
// or too many photos; NotFound for an unknown letter or contact.
func (s *Service) Receive(ctx context.Context, letterID int64, r Receipt) error {
	r.Feedback = strings.TrimSpace(r.Feedback)
	if utf8.RuneCountInString(r.Feedback) > maxText {
		return errs.InvalidFields(msgFeedbackTooLong, errs.FieldError{Field: "feedback", Reason: msgFeedbackTooLong})
	}
	if n := len(r.Photos) + len(r.Uploads); n > MaxReceiptPhotos {
		msg := fmt.Sprintf(msgTooManyPhotos, MaxReceiptPhotos)
		return errs.InvalidFields(msg, errs.FieldError{Field: "photos", Reason: msg})
	}
	l, err := s.Letter(ctx, letterID)
	if err != nil {
		return err
	}
	c, err := s.accounts.Contact(ctx, r.ContactID)
	if err != nil {
		return err
	}
	if c.BusinessID != l.BusinessID {
		return errs.E(errs.Forbidden, msgNotContactOf)
	}
	identity, err := s.identityOf(ctx, c.ID, r.IdentityID)
	if err != nil {
		return err
	}
	if l.Acknowledged() {
		return errs.E(errs.Conflict, msgAlreadyAcked, datetime(*l.AcknowledgedAt))
	}
	actor := registry.ActorOf("contact", c.ID)
	fb := supervision.Feedback{Note: r.Feedback, Photos: r.Photos, Stored: r.Uploads, Actor: actor}
	if err := fb.Check(); err != nil {
		return err
	}
	now := s.now()
	photos := make([]Photo, 0, len(r.Photos)+len(r.Uploads))
	for _, p := range r.Photos {
		photos = append(photos, Photo{LetterID: l.ID, MediaID: p.MediaID, CreatedAt: now})
	}
	for _, o := range r.Uploads {
		photos = append(photos, Photo{LetterID: l.ID, MediaKey: o.Key, ContentType: o.ContentType, Size: o.Size, CreatedAt: now})
	}
	err = s.db.InTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Letter{}).Where("id = ? AND acknowledged_at IS NULL", l.ID).Updates(map[string]any{
			"status": StatusAcknowledged, "acknowledged_at": now, "ack_contact_id": c.ID,
			"ack_identity_id": identity, "ack_feedback": r.Feedback,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var again Letter
			if err := tx.First(&again, l.ID).Error; err != nil {
				return err
			}
			return errs.E(errs.Conflict, msgAlreadyAcked, datetime(*again.AcknowledgedAt))
		}
		if len(photos) > 0 {
			if err := tx.Create(&photos).Error; err != nil {
				return err
			}
		}
		if r.Feedback != "" || len(r.Photos)+len(r.Uploads) > 0 {
			if _, err := s.sup.FeedbackTx(tx, l.Content.rectificationIDs(), fb); err != nil {
				return err
			}
		}
		if err := registry.AuditTx(tx, audit.Entry{At: now, Actor: string(actor), Action: "letter.ack",
			SubjectType: registry.AuditBusiness, SubjectID: l.BusinessID,
			Detail: fmt.Sprintf("letter %d %s acknowledged, feedback %d characters, %d photos", l.ID, l.Number,
				utf8.RuneCountInString(r.Feedback), len(photos))}); err != nil {
			return err
		}
		cadre, err := s.currentCadre(tx, l)
		if err != nil || cadre == 0 {
			return err
		}
		return s.enqueue(tx, []notify.Message{s.ackedMessage(l, cadre, c, r)})
	})
	if err != nil {
		return fmt.Errorf("acknowledge letter: %w", db.Translate(err))
	}
	return nil
}

// identityOf returns the contact's bound identity: the given one, which
// must be theirs and active, or their first. Forbidden when none.
func (s *Service) identityOf(ctx context.Context, contactID, identityID int64) (int64, error) {
	ids, err := s.accounts.IdentitiesOfSubject(ctx, account.RoleContact, contactID)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if identityID == 0 || id.ID == identityID {
			return id.ID, nil
		}
	}
	return 0, errs.E(errs.Forbidden, msgContactNotBound)
}

// currentCadre is whoever packs the letter's business now (follow-up is
// theirs), else the cadre it was issued under; 0 when neither.
func (s *Service) currentCadre(tx *gorm.DB, l *Letter) (int64, error) {
	var ids []int64
	if err := tx.Model(&registry.Assignment{}).Where("active_business_id = ?", l.BusinessID).Pluck("cadre_id", &ids).Error; err != nil {
		return 0, err
	}
	if len(ids) > 0 {
		return ids[0], nil
	}
	return l.CadreID, nil
}

// ackedMessage tells the cadre a letter was acknowledged, with the feedback.
func (s *Service) ackedMessage(l *Letter, cadreID int64, c *account.Contact, r Receipt) notify.Message {
	who := c.Name
	if label := c.Role.Label(); label != "" {
		who = label + " " + c.Name
	}
	text := fmt.Sprintf(textAcked, l.Content.Business.Name, l.Number, who)
	if r.Feedback != "" || len(r.Photos)+len(r.Uploads) > 0 {
		photos := ""
		if n := len(r.Photos) + len(r.Uploads); n > 0 {
			photos = fmt.Sprintf(textPhotos, n)
		}
		feedback := r.Feedback
		if feedback == "" {
			feedback = "—"
		}
		text = fmt.Sprintf(textAckedFeedback, l.Content.Business.Name, l.Number, who, feedback, photos)
	}
	return notify.Message{
		Kind: "letter.acknowledged", To: notify.Recipient{Kind: notify.ToCadre, ID: cadreID}, Channel: notify.ChannelTemplate,
		Subject: subject(l), Title: titleAcked,
		Fields: map[string]string{"number": l.Number, "business": l.Content.Business.Name, "who": c.Name, "date": day(s.now())},
		Text:   text,
		URL:    s.url(l, registry.ActorOf("cadre", cadreID)),
	}
}

// ReceiptPhotos lists the photos of a letter's receipt, in order.
func (s *Service) ReceiptPhotos(ctx context.Context, letterID int64) ([]Photo, error) {
	var ps []Photo
	if err := s.db.Gorm(ctx).Where("letter_id = ?", letterID).Order("id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("receipt photos: %w", err)
	}
	return ps, nil
}

// Access is what a reader may do with a letter.
type Access struct {
	// Reader is who reads.
	Reader registry.Actor
	// ContactID is set when the reader is a contact of the business.
	ContactID int64
	// CanAcknowledge: a bound contact of the business, letter not yet acknowledged.
	CanAcknowledge bool
}

// Authorize says whether reader may open the letter: a contact of the
// business (and acknowledge it while bound), the cadre it was issued
// under or who packs the business now, or a manager of an office whose
// region covers the business. Forbidden for anyone else.
func (s *Service) Authorize(ctx context.Context, l *Letter, reader registry.Actor) (Access, error) {
	kind, id, ok := reader.Parse()
	if !ok {
		return Access{}, errs.E(errs.Forbidden, msgForbiddenReader)
	}
	a := Access{Reader: reader}
	switch kind {
	case "contact":
		c, err := s.accounts.Contact(ctx, id)
		if errs.Is(err, errs.NotFound) || (err == nil && c.BusinessID != l.BusinessID) {
			return Access{}, errs.E(errs.Forbidden, msgForbiddenReader)
		} else if err != nil {
			return Access{}, err
		}
		a.ContactID = c.ID
		if !l.Acknowledged() {
			ids, err := s.accounts.IdentitiesOfSubject(ctx, account.RoleContact, c.ID)
			if err != nil {
				return Access{}, err
			}
			a.CanAcknowledge = len(ids) > 0
		}
		return a, nil
	case "cadre":
		if id == l.CadreID {
			return a, nil
		}
		cur, err := s.currentCadre(s.db.Gorm(ctx), l)
		if err != nil {
			return Access{}, err
		}
		if cur == id {
			return a, nil
		}
	case "manager":
		m, err := s.reg.Manager(ctx, id)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return Access{}, err
		}
		if err == nil && m.Active {
			o, err := s.reg.Office(ctx, m.OfficeID)
			if err != nil {
				return Access{}, err
			}
			b, err := s.reg.Business(ctx, l.BusinessID)
			if err != nil {
				return Access{}, err
			}
			if ok, err := s.reg.Covers(ctx, o.RegionID, b.RegionID); err != nil {
				return Access{}, err
			} else if ok {
				return a, nil
			}
		}
	}
	return Access{}, errs.E(errs.Forbidden, msgForbiddenReader)
}

// Feedback records rectification feedback (整改反馈) a bound contact sends
// about a letter, as the chat menu's "整改反馈" does: on a letter not yet
// acknowledged it is the receipt (see Receive); afterwards it goes to the
// letter's open rectifications as "feedback" events and to the cadre. The
// same feedback sent twice (a retried message) reaches the cadre once.
// Invalid without text or photos, or as Receive; Forbidden and NotFound
// as Receive.
func (s *Service) Feedback(ctx context.Context, letterID, contactID int64, note string, photos []supervision.PhotoInput) error {
	note = strings.TrimSpace(note)
	if note == "" && len(photos) == 0 {
		return errs.InvalidFields(msgFeedbackEmpty, errs.FieldError{Field: "feedback", Reason: msgFeedbackEmpty})
	}
	l, err := s.Letter(ctx, letterID)
	if err != nil {
		return err
	}
	if !l.Acknowledged() {
		err := s.Receive(ctx, letterID, Receipt{ContactID: contactID, Feedback: note, Photos: photos})
		if !errs.Is(err, errs.Conflict) {
			return err
		}
		// Acknowledged meanwhile: carry on as later feedback.
	}
	c, err := s.accounts.Contact(ctx, contactID)
	if err != nil {
		return err
	}
	if c.BusinessID != l.BusinessID {
		return errs.E(errs.Forbidden, msgNotContactOf)
	}
	if _, err := s.identityOf(ctx, c.ID, 0); err != nil {
		return err
	}
	fb := supervision.Feedback{Note: note, Photos: photos, Actor: registry.ActorOf("contact", c.ID)}
	if err := fb.Check(); err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *gorm.DB) error {
		got, err := s.sup.FeedbackTx(tx, l.Content.rectificationIDs(), fb)
		if err != nil {
			return err
		}
		if err := registry.AuditTx(tx, audit.Entry{At: s.now(), Actor: string(fb.Actor), Action: "letter.feedback",
			SubjectType: registry.AuditBusiness, SubjectID: l.BusinessID,
			Detail: fmt.Sprintf("letter %d %s, %d open rectifications, %d photos", l.ID, l.Number, len(got), len(photos))}); err != nil {
			return err
		}
		cadre, err := s.currentCadre(tx, l)
		if err != nil || cadre == 0 {
			return err
		}
		m := s.ackedMessage(l, cadre, c, Receipt{Feedback: note, Photos: photos})
		m.Kind, m.Title = "letter.feedback", titleFeedback
		m.Text = fmt.Sprintf(textFeedback, l.Content.Business.Name, l.Number, m.Fields["who"], feedbackText(note, len(photos)))
		m.Stage = feedbackStage(note, photos)
		return s.enqueue(tx, []notify.Message{m})
	})
	if err != nil {
		return fmt.Errorf("letter feedback: %w", db.Translate(err))
	}
	return nil
}

// feedbackText is the feedback as the cadre reads it.
func feedbackText(note string, photos int) string {
	if note == "" {
		note = "—"
	}
	if photos > 0 {
		note += fmt.Sprintf(textPhotos, photos)
	}
	return note
}

// feedbackStage tells feedbacks apart in the idempotency key: the same
// text and pictures are the same feedback.
func feedbackStage(note string, photos []supervision.PhotoInput) string {
	h := sha256.New()
	h.Write([]byte(note))
	for _, p := range photos {
		h.Write([]byte{0})
		h.Write([]byte(p.MediaID))
	}
	return "fb:" + hex.EncodeToString(h.Sum(nil)[:8])
}
