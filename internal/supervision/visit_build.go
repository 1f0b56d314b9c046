package supervision

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// prior is what a revision inherits from the visit it corrects.
type prior struct {
	visit    *VisitDetail
	deadline map[string]map[int64]bool // item → deadlines already set (Unix)
	photos   map[string]Photo          // media id → stored row
}

func newPrior(d *VisitDetail) *prior {
	p := &prior{visit: d, deadline: map[string]map[int64]bool{}, photos: map[string]Photo{}}
	for _, f := range d.Findings {
		if p.deadline[f.ItemID] == nil {
			p.deadline[f.ItemID] = map[int64]bool{}
		}
		p.deadline[f.ItemID][f.Deadline.Unix()] = true
	}
	for _, ph := range d.Photos {
		if _, ok := p.photos[ph.MediaID]; !ok || ph.Status == PhotoStored {
			p.photos[ph.MediaID] = ph
		}
	}
	return p
}

// build validates a report and turns it into rows. pr is set for a revision.
func (s *Service) build(in VisitInput, b *registry.Business, c *registry.Cadre, now time.Time, pr *prior) (*visitPlan, error) {
	var problems []errs.FieldError
	bad := func(field, reason string) { problems = append(problems, errs.FieldError{Field: field, Reason: reason}) }
	if !in.Mode.Valid() {
		bad("mode", msgBadMode)
	}
	if in.Check != CheckQuick && in.Check != CheckFull {
		bad("check", msgBadCheck)
	}
	if in.Source == "" {
		in.Source = registry.SourceChat
	}
	switch in.Source {
	case registry.SourceChat, registry.SourceConsole, registry.SourceImport, registry.SourceSeed:
	default:
		bad("source", msgBadSource)
	}
	started := in.StartedAt
	if started.IsZero() {
		started = now
	}
	if started.After(now.Add(5 * time.Minute)) {
		bad("started_at", msgStartedFuture)
	}

	// Checklist: every item known and applicable, none twice, the check's
	// whole list covered.
	if len(in.Items) > maxItems {
		bad("items", msgTooManyItems)
	}
	allowed := map[string]bool{}
	for _, it := range s.lists.For(b.Category) {
		allowed[it.ID] = true
	}
	for _, it := range s.lists.Quick() {
		allowed[it.ID] = true
	}
	results := map[string]Result{}
	items := make([]visitItem, 0, len(in.Items))
	for _, ir := range in.Items {
		it, known := s.lists.Item(ir.ItemID)
		switch {
		case !known:
			bad("items", fmt.Sprintf(msgUnknownItem, ir.ItemID))
			continue
		case !allowed[ir.ItemID]:
			bad("items", fmt.Sprintf(msgItemNotApplicable, it.Label, b.Category.Label()))
			continue
		case results[ir.ItemID] != "":
			bad("items", fmt.Sprintf(msgItemTwice, it.Label))
			continue
		case !ir.Result.Valid():
			bad("items", fmt.Sprintf(msgBadResult, it.Label))
			continue
		}
		results[ir.ItemID] = ir.Result
		items = append(items, visitItem{ItemID: ir.ItemID, Result: ir.Result})
	}
	if in.Check == CheckQuick || in.Check == CheckFull {
		var missing []string
		for _, it := range s.lists.Expected(in.Check, b.Category, b.Grade) {
			if results[it.ID] == "" {
				missing = append(missing, it.LabelFor(in.Check))
			}
		}
		if len(missing) > 0 {
			bad("items", fmt.Sprintf(msgItemsMissing, strings.Join(missing, "、")))
		}
	}

	// Findings: one or more per issue, each on an issue item, with a
	// deadline from today on (a revision may keep the one already set).
	today := clock.Date(now)
	photoCount := len(in.Photos)
	found := map[string]bool{}
	findings := make([]findingPlan, 0, len(in.Findings))
	for i, f := range in.Findings {
		field := "findings[" + strconv.Itoa(i) + "]"
		label := s.lists.Label(f.ItemID, in.Check)
		if results[f.ItemID] != ResultIssue {
			bad(field, fmt.Sprintf(msgFindingNotIssue, label))
		}
		found[f.ItemID] = true
		desc, req := strings.TrimSpace(f.Description), strings.TrimSpace(f.Requirement)
		if desc == "" {
			bad(field+".description", fmt.Sprintf(msgFindingNoDescription, label))
		}
		if runeLen(desc) > 500 || runeLen(req) > 500 {
			bad(field, fmt.Sprintf(msgFindingTooLong, label))
		}
		deadline := today.AddDate(0, 0, s.rules.DeadlineDays)
		if !f.Deadline.IsZero() {
			deadline = clock.Date(f.Deadline)
		}
		kept := pr != nil && pr.deadline[f.ItemID][deadline.Unix()]
		if deadline.Before(today) && !kept {
			bad(field+".deadline", fmt.Sprintf(msgDeadlinePast, label))
		}
		if deadline.After(today.AddDate(1, 0, 0)) && !kept {
			bad(field+".deadline", fmt.Sprintf(msgDeadlineFar, label))
		}
		photoCount += len(f.Photos)
		fp := findingPlan{finding: Finding{BusinessID: b.ID, ItemID: f.ItemID, Description: desc, Requirement: req, Deadline: deadline.UTC()}}
		for _, ph := range f.Photos {
			if r := ph.check(); r != "" {
				bad(field+".photos", r)
				continue
			}
			fp.photos = append(fp.photos, pr.photo(ph, now))
		}
		findings = append(findings, fp)
	}
	for _, ir := range items {
		if ir.Result == ResultIssue && !found[ir.ItemID] {
			bad("findings", fmt.Sprintf(msgIssueNoFinding, s.lists.Label(ir.ItemID, in.Check)))
		}
	}

	if photoCount > maxPhotos {
		bad("photos", fmt.Sprintf(msgTooManyPhotos, maxPhotos))
	}
	photos := make([]Photo, 0, len(in.Photos))
	for _, ph := range in.Photos {
		if r := ph.check(); r != "" {
			bad("photos", r)
			continue
		}
		photos = append(photos, pr.photo(ph, now))
	}

	v := Visit{
		SubmissionKey: in.SubmissionKey, BusinessID: b.ID, CadreID: c.ID, CadreLevel: c.Level, Grade: b.Grade,
		Mode: in.Mode, CheckKind: in.Check, StartedAt: started.UTC(), SubmittedAt: now,
		StatusSeen: in.StatusSeen, StatusNote: strings.TrimSpace(in.StatusNote),
		ContactName: strings.TrimSpace(in.ContactName), Remarks: remarksOf(in),
		Source: in.Source, Revision: 1, Current: true, CreatedAt: now,
	}
	if in.Location != nil {
		loc := *in.Location
		loc.Label = strings.TrimSpace(loc.Label)
		switch {
		case !loc.valid():
			bad("location", msgBadLocation)
		case runeLen(loc.Label) > 255:
			bad("location", msgLocationTooLong)
		default:
			v.Latitude, v.Longitude, v.LocationLabel = &loc.Lat, &loc.Lng, loc.Label
			if m, far, ok := s.Distance(*b, loc); ok {
				m = float64(int64(m + 0.5))
				v.DistanceM, v.Far = &m, far
			}
		}
	}
	switch in.StatusSeen {
	case "", registry.EventSuspended, registry.EventResumed:
	case registry.EventChanged, registry.EventRelocated:
		if v.StatusNote == "" {
			bad("status_note", fmt.Sprintf(msgStatusNoteNeeded, in.StatusSeen.Label()))
		}
	default:
		bad("status_seen", msgBadStatusSeen)
	}
	if runeLen(v.StatusNote) > 500 {
		bad("status_note", msgNoteTooLong)
	}
	if runeLen(v.ContactName) > 64 {
		bad("contact_name", msgContactTooLong)
	}
	if runeLen(v.Remarks) > 1000 {
		bad("remarks", msgRemarksTooLong)
	}
	if len(in.Provenance) > maxProvIDs {
		bad("provenance", msgProvenance)
	}
	for _, id := range in.Provenance {
		if id = strings.TrimSpace(id); id == "" || len(id) > 128 || strings.ContainsAny(id, "\r\n") {
			bad("provenance", msgProvenance)
			break
		}
		v.Provenance = append(v.Provenance, id)
	}
	if err := invalid(problems); err != nil {
		return nil, err
	}
	v.CycleKey = s.rules.CycleFor(b.Grade, now).Key
	v.CycleLabel = cycleLabel(v.CycleKey)
	return &visitPlan{visit: v, items: items, findings: findings, photos: photos}, nil
}

// photo is the row for a received picture: a pending one, or for a
// revision a copy of the row the corrected visit already has.
func (pr *prior) photo(in PhotoInput, now time.Time) Photo {
	if pr != nil {
		if old, ok := pr.photos[strings.TrimSpace(in.MediaID)]; ok {
			old.ID, old.VisitID, old.FindingID, old.RectificationEventID = 0, nil, nil, nil
			old.LeaseUntil, old.LeaseToken, old.CreatedAt = nil, "", now
			return old
		}
	}
	return newPhoto(in, now)
}

// remarksOf is the visit's remarks, marked when the visit is an extra one.
func remarksOf(in VisitInput) string {
	r := strings.TrimSpace(in.Remarks)
	if !in.Extra {
		return r
	}
	if r == "" {
		return msgExtraVisit
	}
	return msgExtraVisit + "\n" + r
}
