package meeting

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Rule chooses a meeting's invitees; its parts add up.
type Rule struct {
	// CadresOf invites every active cadre of the region's subtree (a town,
	// a village); 0 invites none this way.
	CadresOf int64
	// BusinessesOf invites the operating businesses of the region's
	// subtree — a batch, narrowed to Categories and Grades when given.
	BusinessesOf int64
	Categories   []registry.Category
	Grades       []registry.Grade
	// CadreIDs and BusinessIDs invite a list.
	CadreIDs, BusinessIDs []int64
}

// Input is a meeting as a manager enters it.
type Input struct {
	Kind     Kind
	Title    string
	StartsAt time.Time
	EndsAt   time.Time
	Place    string
	// Latitude and Longitude place the venue (both or neither), for the
	// distance of a check-in.
	Latitude, Longitude *float64
	// RegionID is the organising office's region; it must have an office.
	RegionID  int64
	Agenda    string
	Materials []Material
	// QuizID names a quiz of configs/quizzes.yaml, or "".
	QuizID string
	// OpensBefore and ClosesAfter are the check-in window around the start
	// (0: the defaults).
	OpensBefore, ClosesAfter time.Duration
	// PresidingCadreID is the cadre who records a 集中督导's results.
	PresidingCadreID int64
	Rule             Rule
}

// Create stores a meeting with its invitees and, when it has not started
// yet, sends the invitations — to each cadre, to each bound contact of
// each business, and a notice to the office's WeCom group — in the same
// transaction. Invalid (every problem at once) for a meeting that breaks a
// rule; Forbidden for a region or a listed person outside scopePath.
func (s *Service) Create(ctx context.Context, scopePath string, in Input, by registry.Actor) (*Meeting, error) {
	now := s.now()
	var problems []errs.FieldError
	bad := func(field, reason string) { problems = append(problems, errs.FieldError{Field: field, Reason: reason}) }
	in.Title, in.Place, in.Agenda = strings.TrimSpace(in.Title), strings.TrimSpace(in.Place), strings.TrimSpace(in.Agenda)
	if !in.Kind.Valid() {
		bad("kind", msgBadKind)
	}
	if n := utf8.RuneCountInString(in.Title); n == 0 || n > 60 {
		bad("title", msgBadTitle)
	}
	if n := utf8.RuneCountInString(in.Place); n == 0 || n > 100 {
		bad("place", msgBadPlace)
	}
	if utf8.RuneCountInString(in.Agenda) > 2000 {
		bad("agenda", msgBadAgenda)
	}
	if in.StartsAt.IsZero() || !in.EndsAt.After(in.StartsAt) || in.EndsAt.Sub(in.StartsAt) > 24*time.Hour {
		bad("ends_at", msgBadTimes)
	}
	if (in.Latitude == nil) != (in.Longitude == nil) || (in.Latitude != nil && (*in.Latitude < -90 || *in.Latitude > 90 || *in.Longitude < -180 || *in.Longitude > 180)) {
		bad("latitude", msgBadPoint)
	}
	if in.QuizID != "" {
		if _, ok := s.d.Quizzes.Get(in.QuizID); !ok {
			bad("quiz", msgBadQuiz)
		}
	}
	if in.OpensBefore == 0 {
		in.OpensBefore = s.d.Config.OpensBefore
	}
	if in.ClosesAfter == 0 {
		in.ClosesAfter = s.d.Config.ClosesAfter
	}
	if in.OpensBefore < 0 || in.OpensBefore > 24*time.Hour || in.ClosesAfter < 0 || in.ClosesAfter > 24*time.Hour {
		bad("window", msgBadWindow)
	}
	if in.Kind == KindCentralized && in.PresidingCadreID == 0 {
		bad("presiding", msgNoPresiding)
	}
	if len(problems) > 0 {
		reasons := make([]string, len(problems))
		for i, p := range problems {
			reasons[i] = p.Reason
		}
		return nil, errs.InvalidFields(strings.Join(reasons, "；"), problems...)
	}
	region, office, err := s.organiser(ctx, scopePath, in.RegionID)
	if err != nil {
		return nil, err
	}
	if in.PresidingCadreID != 0 {
		c, err := s.d.Registry.Cadre(ctx, in.PresidingCadreID)
		if err != nil {
			return nil, err
		}
		if err := s.inScope(ctx, scopePath, c.RegionID); err != nil {
			return nil, err
		}
	}
	people, ruleText, err := s.invitees(ctx, scopePath, in.Rule)
	if err != nil {
		return nil, err
	}
	if len(people) == 0 {
		return nil, errs.E(errs.Invalid, msgNoInvitees)
	}
	m := &Meeting{
		Kind: in.Kind, Title: in.Title, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(), Place: in.Place,
		Latitude: in.Latitude, Longitude: in.Longitude, OfficeID: office.ID, RegionID: region.ID, RegionPath: region.Path,
		Agenda: in.Agenda, Materials: formatMaterials(in.Materials), RuleText: ruleText, QuizID: in.QuizID,
		OpensBeforeMin: int(in.OpensBefore / time.Minute), ClosesAfterMin: int(in.ClosesAfter / time.Minute),
		CreatedBy: by, CreatedAt: now,
	}
	if in.PresidingCadreID != 0 {
		m.PresidingCadreID = &in.PresidingCadreID
	}
	invite := m.StartsAt.After(now)
	if invite {
		m.InvitedAt = &now
	}
	err = s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(m).Error; err != nil {
			return fmt.Errorf("create meeting: %w", err)
		}
		rows := make([]Person, len(people))
		for i, p := range people {
			rows[i] = Person{MeetingID: m.ID, Kind: p.Kind, SubjectID: p.SubjectID, Invited: true, CreatedAt: now}
		}
		if err := tx.CreateInBatches(rows, 200).Error; err != nil {
			return fmt.Errorf("create meeting invitees: %w", err)
		}
		if invite {
			if err := s.inviteTx(tx, m, office.ShortName, rows); err != nil {
				return err
			}
		}
		return audit.Record(tx, audit.Entry{Actor: string(by), Action: "meeting.create", SubjectType: "meeting", SubjectID: m.ID,
			Detail: fmt.Sprintf(msgAuditCreate, m.Kind.Label(), m.Title, m.When(), len(rows)), ScopePath: m.RegionPath, At: now})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// organiser is the organising office of a region in scope.
func (s *Service) organiser(ctx context.Context, scopePath string, regionID int64) (*registry.Region, *registry.Office, error) {
	region, err := s.d.Registry.Region(ctx, regionID)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasPrefix(region.Path, scopePath) {
		return nil, nil, errs.E(errs.Forbidden, msgOutOfScope)
	}
	office, err := s.d.Registry.OfficeFor(ctx, regionID)
	if errs.Is(err, errs.NotFound) {
		return nil, nil, errs.E(errs.Invalid, msgNoOffice, region.Name)
	}
	return region, office, err
}

func (s *Service) inScope(ctx context.Context, scopePath string, regionID int64) error {
	r, err := s.d.Registry.Region(ctx, regionID)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(r.Path, scopePath) {
		return errs.E(errs.Forbidden, msgOutOfScope)
	}
	return nil
}

type subject struct {
	Kind      PersonKind
	SubjectID int64
	// Name is the business's, when known (who fills it in).
	Name string
}

// invitees resolves a rule to people inside scopePath, in a few set-based
// queries, and describes the rule in words.
func (s *Service) invitees(ctx context.Context, scopePath string, r Rule) ([]subject, string, error) {
	q := s.d.DB.Gorm(ctx)
	var words []string
	var cadres, businesses []int64
	if r.CadresOf != 0 {
		region, err := s.d.Registry.Region(ctx, r.CadresOf)
		if err != nil {
			return nil, "", err
		}
		if !strings.HasPrefix(region.Path, scopePath) {
			return nil, "", errs.E(errs.Forbidden, msgOutOfScope)
		}
		if err := q.Raw(`SELECT c.id FROM cadres c JOIN regions r ON r.id = c.region_id
			WHERE c.active = ? AND r.path LIKE ? ORDER BY c.id`, true, region.Path+"%").Scan(&cadres).Error; err != nil {
			return nil, "", fmt.Errorf("meeting invitees: %w", err)
		}
		words = append(words, region.Name+"全部包保干部")
	}
	if r.BusinessesOf != 0 {
		region, err := s.d.Registry.Region(ctx, r.BusinessesOf)
		if err != nil {
			return nil, "", err
		}
		if !strings.HasPrefix(region.Path, scopePath) {
			return nil, "", errs.E(errs.Forbidden, msgOutOfScope)
		}
		sel := q.Table("businesses b").Joins("JOIN regions r ON r.id = b.region_id").
			Where("b.status = ? AND r.path LIKE ?", registry.StatusOperating, region.Path+"%")
		label := region.Name
		if len(r.Categories) > 0 {
			sel = sel.Where("b.category IN ?", r.Categories)
			var cs []string
			for _, c := range r.Categories {
				cs = append(cs, c.Label())
			}
			label += strings.Join(cs, "、")
		}
		label += "主体"
		if len(r.Grades) > 0 {
			sel = sel.Where("b.grade IN ?", r.Grades)
			var gs []string
			for _, g := range r.Grades {
				gs = append(gs, string(g))
			}
			label += "（" + strings.Join(gs, "、") + "级）"
		}
		if err := sel.Order("b.id").Pluck("b.id", &businesses).Error; err != nil {
			return nil, "", fmt.Errorf("meeting invitees: %w", err)
		}
		words = append(words, label)
	}
	listed := func(table string, ids []int64) ([]int64, error) {
		if len(ids) == 0 {
			return nil, nil
		}
		var ok []int64
		err := q.Table(table+" x").Joins("JOIN regions r ON r.id = x.region_id").
			Where("x.id IN ? AND r.path LIKE ?", ids, scopePath+"%").Pluck("x.id", &ok).Error
		if err != nil {
			return nil, fmt.Errorf("meeting invitees: %w", err)
		}
		if len(ok) != len(slices.Compact(slices.Sorted(slices.Values(ids)))) {
			return nil, errs.E(errs.Forbidden, msgListedOutOfScope)
		}
		return ok, nil
	}
	lc, err := listed("cadres", r.CadreIDs)
	if err != nil {
		return nil, "", err
	}
	lb, err := listed("businesses", r.BusinessIDs)
	if err != nil {
		return nil, "", err
	}
	if n := len(lc) + len(lb); n > 0 {
		words = append(words, fmt.Sprintf("另邀请%d人（家）", n))
	}
	var out []subject
	seen := map[subject]bool{}
	add := func(k PersonKind, ids []int64) {
		for _, id := range ids {
			sj := subject{Kind: k, SubjectID: id}
			if !seen[sj] {
				seen[sj] = true
				out = append(out, sj)
			}
		}
	}
	add(PersonCadre, cadres)
	add(PersonCadre, lc)
	add(PersonBusiness, businesses)
	add(PersonBusiness, lb)
	return out, strings.Join(words, "；"), nil
}

// Get is meeting id when it lies in scopePath; NotFound otherwise (a
// meeting outside one's scope does not exist for one).
func (s *Service) Get(ctx context.Context, scopePath string, id int64) (*Meeting, error) {
	var m Meeting
	err := s.d.DB.Gorm(ctx).Where("id = ? AND region_path LIKE ?", id, scopePath+"%").Take(&m).Error
	if err != nil {
		return nil, db.NotFoundAs(err, msgNoMeeting)
	}
	return &m, nil
}

// person is the attendee row of a subject, nil when there is none.
func (s *Service) person(ctx context.Context, meetingID int64, sj subject) (*Person, error) {
	var p Person
	err := db.Translate(s.d.DB.Gorm(ctx).Where("meeting_id = ? AND kind = ? AND subject_id = ?", meetingID, sj.Kind, sj.SubjectID).Take(&p).Error)
	if errs.Is(err, errs.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// onConflictIgnore makes an insert of an existing attendee a no-op on both
// engines.
func onConflictIgnore(tx *gorm.DB) clause.Expression {
	if tx.Dialector.Name() == "mysql" {
		return clause.Insert{Modifier: "IGNORE"}
	}
	return clause.OnConflict{DoNothing: true}
}
