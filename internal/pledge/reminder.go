package pledge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Reminder stages, part of each reminder's idempotency key.
const (
	StageSigner = "pledge-signer"
	StageCadre  = "pledge-cadre"
	StageOffice = "pledge-office"
)

// unsigned is a subject without a pledge on the current basis.
type unsigned struct {
	Kind         Kind
	ID           int64
	Name         string
	RegionPath   string
	AssignmentID int64
	CadreID      int64
	StartedAt    *time.Time
}

// Unsigned lists the subjects that must sign and have not: active cadres
// who pack at least one business and operating businesses, each without a
// pledge on basis b. Two queries whatever the size of the register.
func (s *Service) unsigned(ctx context.Context, b Basis) ([]unsigned, error) {
	g := s.db.Gorm(ctx)
	var out []unsigned
	err := g.Raw(`
SELECT 'cadre' AS kind, c.id AS id, c.name AS name, r.path AS region_path, 0 AS assignment_id, c.id AS cadre_id
FROM cadres c JOIN regions r ON r.id = c.region_id
WHERE c.active = ?
AND EXISTS (SELECT 1 FROM assignments a WHERE a.cadre_id = c.id AND a.active_business_id IS NOT NULL)
AND NOT EXISTS (SELECT 1 FROM pledges p WHERE p.kind = 'cadre' AND p.subject_id = c.id AND p.year = ? AND p.version = ?)
ORDER BY c.id`, true, b.Year, b.CadreVersion).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("unsigned cadre pledges: %w", err)
	}
	var bs []unsigned
	err = g.Raw(`
SELECT 'business' AS kind, b.id AS id, b.name AS name, r.path AS region_path,
	COALESCE(a.id, 0) AS assignment_id, COALESCE(a.cadre_id, 0) AS cadre_id, a.started_at AS started_at
FROM businesses b JOIN regions r ON r.id = b.region_id
LEFT JOIN assignments a ON a.active_business_id = b.id
WHERE b.status = ?
AND NOT EXISTS (SELECT 1 FROM pledges p WHERE p.kind = 'business' AND p.subject_id = b.id AND p.year = ? AND p.version = ?
	AND p.assignment_id = COALESCE(a.id, 0))
ORDER BY b.id`, registry.StatusOperating, b.Year, b.BusinessVersion).Scan(&bs).Error
	if err != nil {
		return nil, fmt.Errorf("unsigned business pledges: %w", err)
	}
	return append(out, bs...), nil
}

// Due lists the reminders about unsigned pledges at time at: to the
// signer (the cadre; each bound contact of a business) SignerAfterDays
// after the pledge fell due; to each cadre once a week, naming its
// businesses unsigned for CadreAfterDays; to each office's managers once
// a week with the counts unsigned for OfficeAfterDays. It is a source of
// the reminder planner; idempotency keys make asking again harmless.
func (s *Service) Due(ctx context.Context, at time.Time) ([]notify.Message, error) {
	at = at.UTC()
	b := Basis{Year: Year(at), CadreVersion: s.tpl.Cadre.Version, BusinessVersion: s.tpl.Business.Version}
	subjects, err := s.unsigned(ctx, b)
	if err != nil || len(subjects) == 0 {
		return nil, err
	}
	offices, err := s.offices(ctx)
	if err != nil {
		return nil, err
	}
	contacts, err := s.boundContacts(ctx)
	if err != nil {
		return nil, err
	}
	week := weekOf(at)
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	var out []notify.Message
	byCadre := map[int64][]string{}
	type counts struct{ cadres, businesses int }
	byOffice := map[int64]*counts{}
	for _, u := range subjects {
		since := s.dueSince(u, b.Year)
		tp := s.tpl.Of(u.Kind)
		cycle := fmt.Sprintf("%d/%s/%d", b.Year, tp.Version, u.AssignmentID)
		subject := fmt.Sprintf("pledge:%s:%d", u.Kind, u.ID)
		if !at.Before(since.Add(days(s.cfg.SignerAfterDays))) {
			to := []notify.Recipient{{Kind: notify.ToCadre, ID: u.ID}}
			reader := func(id int64) registry.Actor { return registry.ActorOf("cadre", id) }
			if u.Kind == KindBusiness {
				to = to[:0]
				for _, c := range contacts[u.ID] {
					to = append(to, notify.Recipient{Kind: notify.ToContact, ID: c})
				}
				reader = func(id int64) registry.Actor { return registry.ActorOf("contact", id) }
			}
			for _, r := range to {
				out = append(out, notify.Message{
					Kind: "pledge.unsigned", To: r, Channel: notify.ChannelTemplate, Subject: subject, Cycle: cycle, Stage: StageSigner,
					Title:  titleRemind,
					Fields: fields(tp.Title, u.Name, "1份", b.Year),
					Text:   fmt.Sprintf(textRemindSigner, u.Name, b.Year, tp.Title),
					URL:    s.URL(u.Kind, u.ID, reader(r.ID)),
				})
			}
		}
		if u.Kind == KindBusiness && u.CadreID != 0 && !at.Before(since.Add(days(s.cfg.CadreAfterDays))) {
			byCadre[u.CadreID] = append(byCadre[u.CadreID], u.Name)
		}
		if !at.Before(since.Add(days(s.cfg.OfficeAfterDays))) {
			if o := officeFor(offices, u.RegionPath); o != nil {
				c := byOffice[o.ID]
				if c == nil {
					c = &counts{}
					byOffice[o.ID] = c
				}
				if u.Kind == KindCadre {
					c.cadres++
				} else {
					c.businesses++
				}
			}
		}
	}
	for _, cadre := range sortedKeys(byCadre) {
		names := byCadre[cadre]
		list := strings.Join(names, "、")
		if len(names) > 10 {
			list = strings.Join(names[:10], "、") + fmt.Sprintf("等%d家", len(names))
		}
		out = append(out, notify.Message{
			Kind: "pledge.unsigned", To: notify.Recipient{Kind: notify.ToCadre, ID: cadre}, Channel: notify.ChannelTemplate,
			Subject: fmt.Sprintf("pledge-cadre:%d", cadre), Cycle: fmt.Sprintf("%d", b.Year), Stage: StageCadre + ":" + week,
			Title:  titleRemind,
			Fields: fields(s.tpl.Business.Title, whoCadre, fmt.Sprintf("%d家", len(names)), b.Year),
			Text:   fmt.Sprintf(textRemindCadre, len(names), b.Year, s.cfg.CadreAfterDays, list),
		})
	}
	for _, id := range sortedKeys(byOffice) {
		o := offices.byID[id]
		c := byOffice[id]
		for _, m := range offices.managers[id] {
			out = append(out, notify.Message{
				Kind: "pledge.unsigned", To: notify.Recipient{Kind: notify.ToManager, ID: m}, Channel: notify.ChannelTemplate,
				Subject: fmt.Sprintf("pledge-office:%d", id), Cycle: fmt.Sprintf("%d", b.Year), Stage: StageOffice + ":" + week,
				Title:  titleRemindOffice,
				Fields: fields(titleRemindOffice, o.Name, fmt.Sprintf("%d人%d家", c.cadres, c.businesses), b.Year),
				Text:   fmt.Sprintf(textRemindOffice, o.Name, c.cadres, c.businesses, b.Year, s.cfg.OfficeAfterDays),
			})
		}
	}
	return out, nil
}

// fields are the template message's values, the same keys at every stage
// so one configured template ("thing1=title;thing2=who;thing3=count;
// thing4=year") serves them all.
func fields(title, who, count string, year int) map[string]string {
	return map[string]string{"title": title, "who": who, "count": count, "year": fmt.Sprintf("%d年度", year)}
}

// dueSince is when the subject's current basis began.
func (s *Service) dueSince(u unsigned, year int) time.Time {
	since := yearStart(year)
	if e := s.tpl.Of(u.Kind).effective; e.After(since) {
		since = e
	}
	if u.StartedAt != nil && u.StartedAt.After(since) {
		since = u.StartedAt.UTC()
	}
	return since
}

// weekOf names the ISO week of t in China ("2026-W49"): the cadre's and
// office's summaries go once a week.
func weekOf(t time.Time) string {
	y, w := t.In(clock.China).ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

func sortedKeys[V any](m map[int64]V) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// officeIndex is every office with its region's path and active managers.
type officeIndex struct {
	byID     map[int64]registry.Office
	paths    map[int64]string
	managers map[int64][]int64
}

func (s *Service) offices(ctx context.Context) (*officeIndex, error) {
	g := s.db.Gorm(ctx)
	var rows []struct {
		registry.Office
		Path string
	}
	if err := g.Raw(`SELECT o.*, r.path AS path FROM offices o JOIN regions r ON r.id = o.region_id`).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("offices: %w", err)
	}
	ix := &officeIndex{byID: map[int64]registry.Office{}, paths: map[int64]string{}, managers: map[int64][]int64{}}
	for _, r := range rows {
		ix.byID[r.ID], ix.paths[r.ID] = r.Office, r.Path
	}
	var ms []registry.Manager
	if err := g.Where("active = ?", true).Order("id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("managers: %w", err)
	}
	for _, m := range ms {
		ix.managers[m.OfficeID] = append(ix.managers[m.OfficeID], m.ID)
	}
	return ix, nil
}

// officeFor is the nearest office up a region path.
func officeFor(ix *officeIndex, path string) *registry.Office {
	var best *registry.Office
	bestLen := -1
	for id, p := range ix.paths {
		if strings.HasPrefix(path, p) && len(p) > bestLen {
			o := ix.byID[id]
			best, bestLen = &o, len(p)
		}
	}
	return best
}

// boundContacts maps each business to its contacts with a bound WeChat
// identity. One query.
func (s *Service) boundContacts(ctx context.Context) (map[int64][]int64, error) {
	var rows []struct{ BusinessID, ContactID int64 }
	err := s.db.Gorm(ctx).Raw(`
SELECT DISTINCT c.business_id AS business_id, c.id AS contact_id FROM contacts c
JOIN identities i ON i.role = 'contact' AND i.subject_id = c.id AND i.unbound_at IS NULL
ORDER BY c.business_id, c.id`).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("bound contacts: %w", err)
	}
	out := map[int64][]int64{}
	for _, r := range rows {
		out[r.BusinessID] = append(out[r.BusinessID], r.ContactID)
	}
	return out, nil
}
