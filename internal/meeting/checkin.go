package meeting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
)

// CheckIn is the outcome of a check-in, for the reply.
type CheckIn struct {
	Meeting *Meeting
	Kind    PersonKind
	// SubjectID is the cadre or the business checked in; Business is the
	// business's name when a contact checked it in by scanning.
	SubjectID int64
	Business  string
	At        time.Time
	// Walkin is true for someone not invited; Already when the person was
	// checked in before (At is then that earlier time).
	Walkin, Already bool
	// DistanceM is the distance from the venue when known.
	DistanceM *float64
	// Quiz is the meeting's quiz, nil when it has none.
	Quiz *Quiz
}

// awaitTTL is how long after a check-in a shared location still counts
// for it.
const awaitTTL = 10 * time.Minute

func locKey(ch chat.Channel, user string) string   { return "meeting:loc:" + string(ch) + ":" + user }
func awaitKey(ch chat.Channel, user string) string { return "meeting:await:" + string(ch) + ":" + user }

// who is what a WeChat user attends as: each bound cadre, and each
// business through a bound contact, with the business's name. One query
// (a check-in is on the hot path of a whole hall scanning at once), with
// account.Service.Identities' condition for a live binding. Unauthorized
// for someone not bound.
func (s *Service) who(ctx context.Context, ch chat.Channel, user string) ([]subject, error) {
	var rows []struct {
		Role       account.Role
		SubjectID  int64
		BusinessID *int64
		Business   *string
	}
	err := s.d.DB.Gorm(ctx).Raw(`SELECT i.role, i.subject_id, c.business_id, b.name AS business FROM identities i
		LEFT JOIN contacts c ON i.role = ? AND c.id = i.subject_id
		LEFT JOIN businesses b ON b.id = c.business_id
		WHERE i.external_id = ? AND i.channel = ? AND i.unbound_at IS NULL ORDER BY i.id`,
		account.RoleContact, user, ch).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("who is %s: %w", ch, err)
	}
	var out []subject
	for _, r := range rows {
		switch {
		case r.Role == account.RoleCadre:
			out = append(out, subject{Kind: PersonCadre, SubjectID: r.SubjectID})
		case r.Role == account.RoleContact && r.BusinessID != nil:
			sj := subject{Kind: PersonBusiness, SubjectID: *r.BusinessID}
			if r.Business != nil {
				sj.Name = *r.Business
			}
			out = append(out, sj)
		}
	}
	if len(out) == 0 {
		return nil, errs.E(errs.Unauthorized, msgNotBound)
	}
	return out, nil
}

// meetingByID is a meeting for a check-in, kept a minute in memory: the
// fields a check-in reads never change after creation (only the
// reminders' marks do), and a hall scanning at once asks for the same one.
func (s *Service) meetingByID(ctx context.Context, id int64) (*Meeting, error) {
	now := s.now()
	if v, ok := s.cache.Load(id); ok {
		if c := v.(cachedMeeting); now.Before(c.until) {
			return c.m, nil
		}
	}
	var m Meeting
	if err := s.d.DB.Gorm(ctx).Take(&m, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNoMeeting)
	}
	s.cache.Store(id, cachedMeeting{m: &m, until: now.Add(time.Minute)})
	return &m, nil
}

type cachedMeeting struct {
	m     *Meeting
	until time.Time
}

// CheckInByScene checks the scanning user in to the meeting of a signed
// QR scene: accepted between the window's opening and closing, recorded
// once (a second scan answers with the first time), for the business when
// the user is one of its contacts, as a walk-in when not invited. A
// location the user shared in the last minutes gives the distance to the
// venue; one shared in the next minutes adds it (NoteLocation). Invalid
// for a scene that does not verify or outside the window (the message
// says when it opens or that it closed); Unauthorized for a user not
// bound.
func (s *Service) CheckInByScene(ctx context.Context, ch chat.Channel, user, scene string) (*CheckIn, error) {
	id, ok := s.parseScene(scene)
	if !ok {
		return nil, errs.E(errs.Invalid, msgBadScene)
	}
	m, err := s.meetingByID(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if now.Before(m.Opens()) {
		return nil, errs.E(errs.Invalid, msgTooEarly, m.Title, m.Opens().In(clock.China).Format("1月2日 15:04"))
	}
	if now.After(m.Closes()) {
		return nil, errs.E(errs.Invalid, msgTooLate, m.Title, m.Closes().In(clock.China).Format("1月2日 15:04"))
	}
	subjects, err := s.who(ctx, ch, user)
	if err != nil {
		return nil, err
	}
	var dist *float64
	if lat, lng, ok := s.recentLocation(ctx, ch, user); ok {
		dist = m.distance(lat, lng)
	}
	ci, err := s.checkIn(s.d.DB.Gorm(ctx), m, subjects, now, ViaQR, "", "", dist)
	if err != nil {
		return nil, err
	}
	if !ci.Already && ci.DistanceM == nil && m.Latitude != nil {
		if err := s.d.KV.Set(ctx, awaitKey(ch, user), fmt.Sprintf("%d:%s:%d", m.ID, ci.Kind, ci.SubjectID), awaitTTL); err != nil {
			s.d.Log.WarnContext(ctx, "meeting: location wait not kept", "err", err.Error())
		}
	}
	return ci, nil
}

// checkIn records subjects' check-in: the first of them with a row not
// checked in yet (an invitation: walk-in rows are made checked in), else
// a walk-in row for the first subject, else the earlier check-in. The
// common case — one invited person scanning once — is one UPDATE.
func (s *Service) checkIn(q *gorm.DB, m *Meeting, subjects []subject, now time.Time, via, by, reason string, dist *float64) (*CheckIn, error) {
	ci := &CheckIn{Meeting: m, At: now, DistanceM: dist}
	if qz, ok := s.d.Quizzes.Get(m.QuizID); ok {
		ci.Quiz = qz
	}
	set := map[string]any{"checked_in_at": now, "checkin_via": via, "checkin_by": by, "checkin_reason": reason, "distance_m": dist}
	for _, sj := range subjects {
		res := q.Model(&Person{}).Where("meeting_id = ? AND kind = ? AND subject_id = ? AND checked_in_at IS NULL", m.ID, sj.Kind, sj.SubjectID).
			Updates(set)
		if res.Error != nil {
			return nil, fmt.Errorf("check in: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			ci.Kind, ci.SubjectID, ci.Business = sj.Kind, sj.SubjectID, sj.Name
			return ci, nil
		}
	}
	conds := make([]string, len(subjects))
	args := []any{m.ID}
	for i, sj := range subjects {
		conds[i] = "(kind = ? AND subject_id = ?)"
		args = append(args, sj.Kind, sj.SubjectID)
	}
	var rows []Person
	if err := q.Where("meeting_id = ? AND ("+strings.Join(conds, " OR ")+")", args...).Order("checked_in_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("check in: %w", err)
	}
	if len(rows) == 0 {
		sj := subjects[0]
		p := Person{MeetingID: m.ID, Kind: sj.Kind, SubjectID: sj.SubjectID, Invited: false, CheckedInAt: &now,
			CheckinVia: via, CheckinBy: by, CheckinReason: reason, DistanceM: dist, CreatedAt: now}
		res := q.Clauses(onConflictIgnore(q)).Create(&p)
		if res.Error != nil {
			return nil, fmt.Errorf("check in: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			ci.Kind, ci.SubjectID, ci.Walkin, ci.Business = sj.Kind, sj.SubjectID, true, sj.Name
			return ci, nil
		}
		// The same scan delivered twice at once: the other delivery's row.
		if err := q.Where("meeting_id = ? AND kind = ? AND subject_id = ?", m.ID, sj.Kind, sj.SubjectID).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("check in: %w", err)
		}
	}
	// Checked in already: answer with the first time.
	for _, first := range rows {
		if first.CheckedInAt != nil {
			ci.Kind, ci.SubjectID, ci.Walkin, ci.Already, ci.At, ci.DistanceM = first.Kind, first.SubjectID, !first.Invited, true, *first.CheckedInAt, first.DistanceM
			return ci, nil
		}
	}
	return nil, fmt.Errorf("check in: meeting %d: no row checked in for %v", m.ID, subjects)
}

// NoteLocation keeps a location the user shared (a location message or
// the platform's location event) for LocationTTL, and when the user
// checked in a moment ago without one, records the distance to the venue
// on that check-in and returns it; nil when there was none waiting.
func (s *Service) NoteLocation(ctx context.Context, ch chat.Channel, user string, lat, lng float64) (*CheckIn, error) {
	v := strconv.FormatFloat(lat, 'f', 6, 64) + "," + strconv.FormatFloat(lng, 'f', 6, 64)
	if err := s.d.KV.Set(ctx, locKey(ch, user), v, s.d.Config.LocationTTL); err != nil {
		return nil, err
	}
	w, err := s.d.KV.Get(ctx, awaitKey(ch, user))
	if errors.Is(err, kv.ErrMiss) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	parts := strings.Split(w, ":")
	if len(parts) != 3 {
		return nil, nil
	}
	id, _ := strconv.ParseInt(parts[0], 10, 64)
	sid, _ := strconv.ParseInt(parts[2], 10, 64)
	var m Meeting
	if err := s.d.DB.Gorm(ctx).Take(&m, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNoMeeting)
	}
	dist := m.distance(lat, lng)
	if dist == nil {
		return nil, nil
	}
	err = s.d.DB.Gorm(ctx).Model(&Person{}).Where("meeting_id = ? AND kind = ? AND subject_id = ? AND distance_m IS NULL", id, parts[1], sid).
		Update("distance_m", *dist).Error
	if err != nil {
		return nil, fmt.Errorf("check-in distance: %w", err)
	}
	if err := s.d.KV.Delete(ctx, awaitKey(ch, user)); err != nil {
		return nil, err
	}
	return &CheckIn{Meeting: &m, Kind: PersonKind(parts[1]), SubjectID: sid, DistanceM: dist}, nil
}

func (s *Service) recentLocation(ctx context.Context, ch chat.Channel, user string) (lat, lng float64, ok bool) {
	v, err := s.d.KV.Get(ctx, locKey(ch, user))
	if err != nil {
		return 0, 0, false
	}
	a, b, found := strings.Cut(v, ",")
	if !found {
		return 0, 0, false
	}
	lat, err1 := strconv.ParseFloat(a, 64)
	lng, err2 := strconv.ParseFloat(b, 64)
	return lat, lng, err1 == nil && err2 == nil
}

// distance is the distance from the venue in metres (rounded), nil when
// the venue has no coordinates.
func (m *Meeting) distance(lat, lng float64) *float64 {
	if m.Latitude == nil || m.Longitude == nil {
		return nil
	}
	const r = 6371000.0
	rad := math.Pi / 180
	dLat, dLng := (lat-*m.Latitude)*rad, (lng-*m.Longitude)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(*m.Latitude*rad)*math.Cos(lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	d := math.Round(2 * r * math.Asin(math.Sqrt(a)))
	return &d
}

// CheckInByHand checks a cadre or business in on a manager's word, with
// the reason, at any time (a latecomer, a phone that could not scan); the
// audit log records who did it and why. Someone not invited is recorded
// as a walk-in. Invalid without a reason; NotFound for a meeting outside
// scopePath or an unknown person; Forbidden for a person outside it.
func (s *Service) CheckInByHand(ctx context.Context, scopePath string, meetingID int64, kind PersonKind, subjectID int64, reason string, by string) (*CheckIn, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > 100 {
		return nil, errs.E(errs.Invalid, msgHandReason)
	}
	m, err := s.Get(ctx, scopePath, meetingID)
	if err != nil {
		return nil, err
	}
	var regionID int64
	name := ""
	switch kind {
	case PersonCadre:
		c, err := s.d.Registry.Cadre(ctx, subjectID)
		if err != nil {
			return nil, err
		}
		regionID, name = c.RegionID, c.Name
	case PersonBusiness:
		b, err := s.d.Registry.Business(ctx, subjectID)
		if err != nil {
			return nil, err
		}
		regionID, name = b.RegionID, b.Name
	default:
		return nil, errs.E(errs.Invalid, msgBadPersonKind)
	}
	if err := s.inScope(ctx, scopePath, regionID); err != nil {
		return nil, err
	}
	now := s.now()
	var ci *CheckIn
	err = s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		var err error
		if ci, err = s.checkIn(tx, m, []subject{{Kind: kind, SubjectID: subjectID}}, now, ViaManual, by, reason, nil); err != nil || ci.Already {
			return err
		}
		return audit.Record(tx, audit.Entry{Actor: by, Action: "meeting.checkin", SubjectType: "meeting", SubjectID: m.ID,
			Detail: fmt.Sprintf(msgAuditHand, name, m.Title, reason), ScopePath: m.RegionPath, At: now})
	})
	if err != nil {
		return nil, err
	}
	return ci, nil
}
