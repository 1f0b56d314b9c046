package incident

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Limits of a report.
const (
	maxDescription = 1000
	maxNote        = 1000
	maxPhotos      = 9
	maxAffected    = 100000
)

// Reporter kinds besides the bound roles (cadre, manager, contact).
const ReporterStranger = "stranger"

// Report is an incident as reported.
type Report struct {
	// Key identifies the report (the chat conversation's id): the same key
	// again is the same incident. Required.
	Key  string
	Kind Kind
	// BusinessID is the business it happened at; 0 when none was named,
	// and then RegionID (a town or village) says where.
	BusinessID  int64
	RegionID    int64
	Description string
	// Affected is how many people are affected; -1 when unknown.
	Affected int
	Photos   []supervision.PhotoInput
	// Location is where the reporter sent it from; nil when not sent.
	Location *supervision.Location
	Place    string
	// Reporter is who reports: "cadre:12", "manager:3", "contact:7", or ""
	// for a stranger, whose hashed WeChat id is StrangerRef.
	Reporter    registry.Actor
	StrangerRef string
}

// Report stores an incident and, in the same transaction, tells the town
// office (urgent messages to its managers and its WeCom group) and, when
// the kind says so, the district office. created is false when the key was
// already reported (a redelivery): the stored incident is returned and
// nobody is told twice. Invalid for a report missing what it needs.
func (s *Service) Report(ctx context.Context, r Report) (inc *Incident, created bool, err error) {
	if err := r.check(); err != nil {
		return nil, false, err
	}
	if got, err := s.byKey(ctx, r.Key); err == nil {
		return got, false, nil
	} else if !errs.Is(err, errs.NotFound) {
		return nil, false, err
	}
	now := s.now()
	inc = &Incident{ReportKey: r.Key, Kind: r.Kind, State: Reported, RegionID: r.RegionID, Description: strings.TrimSpace(r.Description),
		Affected: r.Affected, Place: cut(strings.TrimSpace(r.Place), 255), StateAt: now, CreatedAt: now, UpdatedAt: now}
	if r.Location != nil {
		inc.HasLocation, inc.Lat, inc.Lng = true, r.Location.Lat, r.Location.Lng
	}
	if r.BusinessID != 0 {
		biz, err := s.d.Registry.Business(ctx, r.BusinessID)
		if err != nil {
			return nil, false, err
		}
		inc.BusinessID, inc.BusinessName, inc.RegionID = biz.ID, biz.Name, biz.RegionID
	}
	if _, err := s.d.Registry.Region(ctx, inc.RegionID); err != nil {
		return nil, false, invalid("region", msgNoPlace)
	}
	if err := s.setReporter(ctx, inc, r); err != nil {
		return nil, false, err
	}
	office, err := s.d.Registry.OfficeFor(ctx, inc.RegionID)
	if err != nil {
		return nil, false, err
	}
	inc.OfficeID = office.ID
	due := now.Add(s.d.Settings.Rule(inc.Kind).Deadline(Reported))
	inc.DueAt = &due
	msgs, offices, err := s.reportedMessages(ctx, inc, office)
	if err != nil {
		return nil, false, err
	}
	err = s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(inc).Error; err != nil {
			return err
		}
		ev := Event{IncidentID: inc.ID, ToState: string(Reported), Actor: s.actorOf(r), ActorName: inc.ReporterName,
			Note: inc.Description, CreatedAt: now}
		if err := tx.Create(&ev).Error; err != nil {
			return err
		}
		if err := addPhotosTx(tx, inc.ID, ev.ID, r.Photos, now); err != nil {
			return err
		}
		if err := s.auditTx(tx, inc, s.actorOf(r), "incident.report",
			fmt.Sprintf("%s，%s，影响%s，%d张照片", inc.Kind.Label(), orNone(inc.BusinessName), inc.AffectedText(), len(r.Photos))); err != nil {
			return err
		}
		_, err := s.d.Outbox.EnqueueTx(tx, s.addressed(msgs, inc.ID, Reported, offices...)...)
		return err
	})
	if err != nil {
		if errs.Is(db.Translate(err), errs.Conflict) {
			// The same report stored meanwhile by a concurrent delivery.
			got, gerr := s.byKey(ctx, r.Key)
			if gerr == nil {
				return got, false, nil
			}
		}
		return nil, false, fmt.Errorf("report incident: %w", db.Translate(err))
	}
	return inc, true, nil
}

func (r Report) check() error {
	var fields []errs.FieldError
	add := func(field, reason string) { fields = append(fields, errs.FieldError{Field: field, Reason: reason}) }
	if r.Key == "" || len(r.Key) > 64 {
		add("key", msgNoKey)
	}
	if !r.Kind.Valid() {
		add("kind", msgBadKind)
	}
	if r.BusinessID == 0 && r.RegionID == 0 {
		add("business", msgNoPlace)
	}
	d := strings.TrimSpace(r.Description)
	if d == "" || utf8.RuneCountInString(d) > maxDescription {
		add("description", fmt.Sprintf(msgBadDescription, maxDescription))
	}
	if r.Affected < -1 || r.Affected > maxAffected {
		add("affected", msgBadAffected)
	}
	if err := checkPhotos(r.Photos); err != nil {
		fields = append(fields, errs.FieldsOf(err)...)
	}
	if r.Reporter == "" && r.StrangerRef == "" {
		add("reporter", msgNoReporter)
	}
	if len(fields) > 0 {
		return errs.InvalidFields(fields[0].Reason, fields...)
	}
	return nil
}

// setReporter names the reporter; a bound person's report is verified.
func (s *Service) setReporter(ctx context.Context, inc *Incident, r Report) error {
	if r.Reporter == "" {
		inc.ReporterKind, inc.ReporterRef, inc.ReporterName = ReporterStranger, cut(r.StrangerRef, 64), msgStrangerName
		return nil
	}
	kind, id, ok := r.Reporter.Parse()
	if !ok {
		return invalid("reporter", msgNoReporter)
	}
	inc.ReporterKind, inc.ReporterID, inc.Verified = kind, id, true
	name, err := s.personName(ctx, kind, id)
	if err != nil {
		return err
	}
	inc.ReporterName = cut(name, 64)
	return nil
}

// personName names a cadre, manager or business contact with their role.
func (s *Service) personName(ctx context.Context, kind string, id int64) (string, error) {
	switch kind {
	case "cadre":
		c, err := s.d.Registry.Cadre(ctx, id)
		if err != nil {
			return "", err
		}
		return c.Name + "（包保干部）", nil
	case "manager":
		m, err := s.d.Registry.Manager(ctx, id)
		if err != nil {
			return "", err
		}
		return m.Name + "（食安办）", nil
	case "contact":
		c, err := s.d.Accounts.Contact(ctx, id)
		if err != nil {
			return "", err
		}
		biz, err := s.d.Registry.Business(ctx, c.BusinessID)
		if err != nil {
			return "", err
		}
		return c.Name + "（" + biz.Name + "）", nil
	}
	return "", invalid("reporter", msgNoReporter)
}

func (s *Service) actorOf(r Report) string {
	if r.Reporter == "" {
		return "openid:" + cut(r.StrangerRef, 24)
	}
	return string(r.Reporter)
}

// byKey returns the incident a report key stored. NotFound if none.
func (s *Service) byKey(ctx context.Context, key string) (*Incident, error) {
	var inc Incident
	if err := s.d.DB.Gorm(ctx).Where("report_key = ?", key).Take(&inc).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNotFound)
	}
	return &inc, nil
}

// auditTx records a change of the incident under its region.
func (s *Service) auditTx(tx *gorm.DB, inc *Incident, actor, action, detail string) error {
	var path string
	var paths []string
	if err := tx.Model(&registry.Region{}).Where("id = ?", inc.RegionID).Pluck("path", &paths).Error; err != nil {
		return err
	}
	if len(paths) > 0 {
		path = paths[0]
	}
	return registry.AuditTx(tx, audit.Entry{At: s.now(), Actor: cut(actor, 64), Action: action, SubjectType: AuditSubject,
		SubjectID: inc.ID, Detail: detail, ScopePath: path})
}

// AuditSubject is the audit log's subject type of an incident.
const AuditSubject = "incident"

func subject(id int64) string { return fmt.Sprintf("incident:%d", id) }

func invalid(field, reason string) error {
	return errs.InvalidFields(reason, errs.FieldError{Field: field, Reason: reason})
}

func orNone(s string) string {
	if s == "" {
		return "未指明主体"
	}
	return s
}

// cut shortens s to at most n bytes on a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
